"""The applicant profile: one per account, told once, reused by every program and every renewal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework.changes import recheck, under_way
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.references import normalize_reference
from trusted_traveler.casework.states import UNDER_WAY, Status
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.profiles.history import find_gaps
from trusted_traveler.profiles.models import (
    AddressPeriod,
    ApplicantProfile,
    Citizenship,
    CountryVisited,
    EmploymentPeriod,
    IdentityDocument,
    OffenseDisclosure,
    OtherName,
)

# The guided intake, in order. The guardian step applies only to applicants under 18.
STEPS = (
    "names",
    "birth",
    "citizenship",
    "documents",
    "contact",
    "addresses",
    "employment",
    "travel",
    "background",
    "guardian",
)
COLLECTIONS = {
    "other_names": OtherName,
    "citizenships": Citizenship,
    "documents": IdentityDocument,
    "addresses": AddressPeriod,
    "employment": EmploymentPeriod,
    "countries_visited": CountryVisited,
    "offenses": OffenseDisclosure,
}
AGE_OF_MAJORITY = 18
# The profile fields the eligibility rules read (eligibility_facts). Changing one after submission has the rules
# answer again for each application under way (casework.changes.recheck).
RULE_FIELDS = frozenset(
    {
        "date_of_birth",
        "citizenships",
        "lawful_permanent_resident",
        "offenses",
        "customs_immigration_violation",
        "under_investigation",
        "inadmissible_or_waiver",
    }
)


def profile_for(account) -> ApplicantProfile | None:
    return db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account_id == account.id))


def get_or_create_profile(account) -> ApplicantProfile:
    profile = profile_for(account)
    if profile is None:
        profile = ApplicantProfile(account_id=account.id, email=account.email, intake_progress={})
        db.session.add(profile)
        db.session.flush()
    return profile


def age_on(profile: ApplicantProfile, day: dt.date) -> int | None:
    dob = profile.date_of_birth
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def is_minor(profile: ApplicantProfile, today: dt.date) -> bool:
    age = age_on(profile, today)
    return age is not None and age < AGE_OF_MAJORITY


def applicable_steps(profile: ApplicantProfile, today: dt.date) -> list[str]:
    return [s for s in STEPS if s != "guardian" or is_minor(profile, today)]


def address_gaps(profile: ApplicantProfile, today: dt.date):
    return find_gaps(((a.from_month, a.to_month) for a in profile.addresses), today=today)


def employment_gaps(profile: ApplicantProfile, today: dt.date):
    return find_gaps(((e.from_month, e.to_month) for e in profile.employment), today=today)


def step_complete(profile: ApplicantProfile, step: str, today: dt.date) -> bool:
    saved = set((profile.intake_progress or {}).get("saved", []))
    p = profile
    checks = {
        "names": lambda: bool(p.given_names and p.surname),
        "birth": lambda: bool(p.date_of_birth and p.birth_country and p.sex and p.height_cm and p.eye_color),
        "citizenship": lambda: bool(p.citizenships),
        "documents": lambda: bool(p.documents),
        "contact": lambda: bool(p.email and p.phone and (p.mailing_same_as_residential or p.mailing_line1)),
        "addresses": lambda: bool(p.addresses) and not address_gaps(p, today),
        "employment": lambda: bool(p.employment) and not employment_gaps(p, today),
        "travel": lambda: "travel" in saved,
        "background": lambda: p.background_answered_at is not None,
        "guardian": lambda: bool(p.guardian_surname and p.guardian_consent_at),
    }
    return checks[step]()


def missing_steps(profile: ApplicantProfile | None, today: dt.date) -> list[str]:
    if profile is None:
        return list(STEPS[:-1])
    return [s for s in applicable_steps(profile, today) if not step_complete(profile, s, today)]


def profile_complete(profile: ApplicantProfile | None, today: dt.date) -> bool:
    return profile is not None and not missing_steps(profile, today)


def save_step(
    profile: ApplicantProfile,
    step: str,
    *,
    by,
    fields: dict[str, Any] | None = None,
    collections: dict[str, list[dict[str, Any]]] | None = None,
) -> list[str]:
    """Save one intake step: set scalar fields, replace whole child collections, stamp "last saved", remember the
    step was saved, and audit which fields changed (names only, never values). A change to a field the eligibility
    rules read has them answer again for each submitted application still open (casework.changes.recheck; what was
    submitted is kept on the application). Returns the changed field names."""
    if step not in STEPS:
        raise BusinessRuleViolation(f"There is no intake step called {step!r}.")
    changed: list[str] = []
    for name, value in (fields or {}).items():
        if getattr(profile, name) != value:
            setattr(profile, name, value)
            changed.append(name)
    for name, rows in (collections or {}).items():
        model = COLLECTIONS[name]
        current = getattr(profile, name)
        if len(current) != len(rows) or any(_row_values(r, row) != row for r, row in zip(current, rows, strict=True)):
            current.clear()
            db.session.flush()  # delete old rows before inserting new ones (unique constraints)
            current.extend(model(**row) for row in rows)
            changed.append(name)
    progress = dict(profile.intake_progress or {})
    progress["saved"] = sorted(set(progress.get("saved", [])) | {step})
    progress["last_step"] = step
    profile.intake_progress = progress
    profile.updated_at = utcnow()
    if changed:
        record_event("profile.updated", "profile", profile.id, by=by, step=step, fields=changed)
    db.session.flush()
    if RULE_FIELDS.intersection(changed):
        today = dt.date.today()
        recheck(
            under_way(profile.id),
            lambda: eligibility_facts(profile, today),
            step=step,
            fields=changed,
            by=by,
            today=today,
        )
    return changed


def _row_values(obj, like: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in like}


def resolve_guardian(reference: str | None) -> ApplicantProfile | None:
    """The profile behind a parent's application reference or Known Traveler Number, if any."""
    if not reference:
        return None
    text = reference.strip().upper()
    membership = db.session.scalar(select(Membership).where(Membership.ktn == text.replace(" ", "")))
    if membership is not None:
        return membership.profile
    application = db.session.scalar(select(Application).where(Application.reference == normalize_reference(text)))
    return application.profile if application is not None else None


def guardian_is_member_or_applying(profile: ApplicantProfile, today: dt.date, *, paying_with=()) -> bool:
    """Whether the linked parent or guardian is a Global Entry member or is applying at the same time: the condition
    of a minor's fee waiver (BRIEF.md section 2). The parent's application ID or Known Traveler Number, entered by
    the minor, is the proof, so it counts only for what it shows on `today`:

    - a member: the guardian holds an active Global Entry membership still valid on `today`;
    - applying: the guardian has a Global Entry application that was submitted, so its fee was paid, and is still
      under way (any open status but draft); or an attested draft of theirs is in `paying_with`, the applications
      paid for in the same checkout, which are submitted together with the minor's or not at all.

    An unpaid draft does not count: it is only an intention, which its owner can drop or let expire at any time, so
    a waiver resting on it could outlive it. The waiver is worked out again at checkout and at submission
    (casework.service.fee_in_force), so one whose condition no longer holds is never kept."""
    guardian_id = profile.guardian_profile_id
    if guardian_id is None:
        return False
    member = db.session.scalar(
        select(Membership.id)
        .join(Membership.program)
        .where(Membership.profile_id == guardian_id, Membership.status == "active", Membership.valid_until >= today)
        .where(Membership.program.has(code="global_entry"))
        .limit(1)
    )
    if member is not None:
        return True
    if any(
        a.profile_id == guardian_id
        and a.program.code == "global_entry"
        and a.status == Status.DRAFT
        and a.attested_at is not None
        for a in paying_with
    ):
        return True
    applying = db.session.scalar(
        select(Application.id)
        .where(Application.profile_id == guardian_id, Application.status.in_(sorted(s.value for s in UNDER_WAY)))
        .where(Application.program.has(code="global_entry"))
        .limit(1)
    )
    return applying is not None


def guardian_has_unpaid_draft(profile: ApplicantProfile) -> bool:
    """Whether the linked parent or guardian has started a Global Entry application but not yet paid for it: it
    does not waive the minor's fee (guardian_is_member_or_applying), but it will once it is paid, which the minor
    is told before paying in full."""
    if profile.guardian_profile_id is None:
        return False
    draft = db.session.scalar(
        select(Application.id)
        .where(Application.profile_id == profile.guardian_profile_id, Application.status == Status.DRAFT)
        .where(Application.program.has(code="global_entry"))
        .limit(1)
    )
    return draft is not None


def eligibility_facts(profile: ApplicantProfile, today: dt.date) -> dict[str, Any]:
    """The profile as the facts of an eligibility check (CONTRACTS.md section 1 field names)."""
    return {
        "date_of_birth": profile.date_of_birth,
        "citizenships": profile.citizenship_codes,
        "lawful_permanent_resident": bool(profile.lawful_permanent_resident),
        "offenses": [
            {"category": o.category, "status": o.status, "date": o.date, "released_on": o.released_on}
            for o in profile.offenses
        ],
        "customs_immigration_violation": bool(profile.customs_immigration_violation),
        "under_investigation": bool(profile.under_investigation),
        "inadmissible_or_waiver": bool(profile.inadmissible_or_waiver),
        "parent_member_or_applying": guardian_is_member_or_applying(profile, today),
        "travels_internationally": True,
    }


def profile_record(profile: ApplicantProfile, today: dt.date) -> dict[str, Any]:
    """The profile as an application keeps it when submitted (Application.submitted_profile), in JSON values: the
    facts the eligibility rules read (eligibility_facts), the names, the identity documents as the case page shows
    them (kind, issuer, last four digits, expiry: never the whole number) and the background explanation."""
    return _json_values(
        {
            "facts": eligibility_facts(profile, today),
            "name": {
                "given_names": profile.given_names,
                "middle_names": profile.middle_names,
                "surname": profile.surname,
            },
            "other_names": [
                {"given_names": n.given_names, "surname": n.surname, "kind": n.kind} for n in profile.other_names
            ],
            "documents": [
                {
                    "kind": d.kind,
                    "issuing_country": d.issuing_country,
                    "issuing_region": d.issuing_region,
                    "number_last4": d.number_last4,
                    "expires_on": d.expires_on,
                }
                for d in profile.documents
            ],
            "background_details": profile.background_details,
        }
    )


def _json_values(value: Any) -> Any:
    """`value` with its dates as ISO text (a JSON column holds no dates)."""
    if isinstance(value, dict):
        return {k: _json_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_values(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def update_identity(
    profile: ApplicantProfile,
    *,
    by,
    given_names: str,
    surname: str,
    date_of_birth: dt.date,
    citizenships: list[str],
) -> ApplicantProfile:
    """Names, date of birth and citizenships in one call (used by demo data and tests)."""
    save_step(profile, "names", by=by, fields={"given_names": given_names.strip(), "surname": surname.strip()})
    save_step(profile, "birth", by=by, fields={"date_of_birth": date_of_birth})
    save_step(
        profile,
        "citizenship",
        by=by,
        collections={"citizenships": [{"country_code": c.upper()} for c in citizenships]},
    )
    return profile
