"""Reference data the service needs to work: programs, scheduler services and the dated parameters
(fees, validity, windows), each with the public source it comes from where one is known, else a plain description
of what it is. Idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.rules.models import Parameter
from trusted_traveler.scheduling.models import SchedulerService

PRECHECK_SERVICE_ID = 101

SERVICES = [
    (1, "Global Entry"),
    (2, "NEXUS"),
    (3, "SENTRI"),
    (4, "U.S. / Mexico FAST"),
    (5, "U.S. / Canada FAST"),
    (PRECHECK_SERVICE_ID, "TSA PreCheck"),
]

PROGRAMS = [
    {
        "code": "precheck",
        "name": "TSA PreCheck",
        "name_es": "TSA PreCheck",
        "agency": "TSA",
        "interview_required": False,
        "scheduler_service_id": PRECHECK_SERVICE_ID,
    },
    {
        "code": "global_entry",
        "name": "Global Entry",
        "name_es": "Global Entry",
        "agency": "CBP",
        "interview_required": True,
        "scheduler_service_id": 1,
    },
]

D = dt.date
FR_2021 = "Federal Register 2021-21147 (TSA PreCheck fee structure from 2021-10-01)"
FR_2024 = "Federal Register 2024-25701 (FBI fee change: renewals reduced by $11.25 from 2024-11-12)"
CBP_2024 = "CBP fee change for Trusted Traveler Programs, effective 2024-10-01"

# (program code or None, key, value, effective_from, reference)
PARAMETERS = [
    (
        "precheck",
        "fee_new",
        "85.00",
        D(2013, 12, 4),
        "TSA PreCheck launch fee, non-refundable",
    ),
    ("precheck", "fee_new", "78.00", D(2021, 10, 1), FR_2021),
    ("precheck", "fee_renewal", "70.00", D(2021, 10, 1), FR_2021 + "; $70 online renewal"),
    ("precheck", "fee_renewal", "58.75", D(2024, 11, 12), FR_2024),
    ("precheck", "validity_years", 5, D(2013, 12, 4), "TSA PreCheck term: 5 years"),
    ("precheck", "renewal_window_days", 180, D(2013, 12, 4), "Online renewal up to 6 months before expiry"),
    ("global_entry", "fee_new", "100.00", D(2009, 1, 1), "Global Entry fee until 2024-09-30"),
    ("global_entry", "fee_new", "120.00", D(2024, 10, 1), CBP_2024),
    ("global_entry", "fee_renewal", "100.00", D(2009, 1, 1), "Global Entry renewal fee until 2024-09-30"),
    ("global_entry", "fee_renewal", "120.00", D(2024, 10, 1), CBP_2024),
    (
        "global_entry",
        "fee_minor_with_member_parent",
        "0.00",
        D(2024, 10, 1),
        CBP_2024 + "; under 18 with a member parent",
    ),
    (
        "global_entry",
        "validity_years",
        5,
        D(2009, 1, 1),
        "Global Entry term: 5 years, ending on the birthday",
    ),
    ("global_entry", "renewal_window_days", 365, D(2009, 1, 1), "Renew up to 1 year early without penalty"),
    (
        "global_entry",
        "grace_period_days",
        730,
        D(2023, 1, 1),
        "Renewal grace period: benefits kept up to 24 months while a renewal filed before expiry is pending",
    ),
    (
        "global_entry",
        "partner_countries",
        ["AR", "BH", "BR", "CH", "CO", "DE", "GB", "IN", "KR", "MX", "NL", "PA", "SG", "TW"],
        D(2008, 6, 10),
        "Global Entry partner countries as the service started with them, dated from the start of Global Entry's "
        "rule set: the dates countries joined are not confirmed, so program leads add dated lists as they are",
    ),
    (None, "age_of_majority", 18, D(2009, 1, 1), "Applicants under 18 need parental consent"),
    (None, "waitlist_hold_minutes", 30, D(2026, 1, 1), "How long a seat offered from the waitlist is held"),
]


def load_reference() -> dict[str, int]:
    added = {"services": 0, "programs": 0, "parameters": 0}
    for sid, name in SERVICES:
        if db.session.get(SchedulerService, sid) is None:
            db.session.add(SchedulerService(id=sid, name=name))
            added["services"] += 1
    db.session.flush()
    programs = {}
    for data in PROGRAMS:
        program = db.session.scalar(select(Program).where(Program.code == data["code"]))
        if program is None:
            program = Program(**data)
            db.session.add(program)
            added["programs"] += 1
        programs[data["code"]] = program
    db.session.flush()
    if programs["precheck"] not in programs["global_entry"].includes:
        programs["global_entry"].includes.append(programs["precheck"])
    for code, key, value, effective, reference in PARAMETERS:
        program_id = programs[code].id if code else None
        exists = db.session.scalar(
            select(Parameter.id).where(
                Parameter.program_id.is_(program_id) if program_id is None else Parameter.program_id == program_id,
                Parameter.key == key,
                Parameter.effective_from == effective,
            )
        )
        if exists is None:
            db.session.add(
                Parameter(program_id=program_id, key=key, value=value, effective_from=effective, reference=reference)
            )
            added["parameters"] += 1
    db.session.flush()
    return added
