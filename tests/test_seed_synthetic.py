"""`flask seed-synthetic`: a synthetic population that is consistent with the schema, the status machines and the
booking counters, readable by the application, and refused where it must be.

The load itself needs PostgreSQL (COPY). Those tests are collected only when the suite runs on PostgreSQL
(TEST_DATABASE_URL set, as conftest.py decides), and the SQLite run checks the refusal instead: CI fails any skipped
test (TT_NO_SKIPS=1) and runs the suite on both databases, so each database gets the tests that mean something on it.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from tests.factories import create_officer, sign_in
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.states import OPEN, TRANSITIONS, Status
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.profiles.models import ApplicantProfile, IdentityDocument
from trusted_traveler.profiles.service import address_gaps, employment_gaps
from trusted_traveler.scheduling.models import Appointment, Slot
from trusted_traveler.synthetic.generate import TABLES, Context, Ids, Seats, generate_batch, ktn_for, reference_for
from trusted_traveler.synthetic.journeys import JOURNEYS, is_valid_path

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
KTN = {"global_entry": re.compile(r"^(15|98|99)\d{7}$"), "precheck": re.compile(r"^TT\d{7}$")}
REFERENCE = re.compile(r"^TT2-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}$")

pytestmark = pytest.mark.usefixtures("app_ctx")


def _seed(app, *args: str):
    return app.test_cli_runner().invoke(args=["seed-synthetic", *args])


def test_every_journey_is_a_path_through_its_program_and_together_they_end_on_every_status():
    for code, journeys in JOURNEYS.items():
        assert all(is_valid_path(code, path) for _weight, path in journeys)
        assert {path[-1] for _weight, path in journeys} == set(TRANSITIONS[code])


def _context() -> Context:
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    return Context(
        now=now,
        programs={"precheck": 1, "global_entry": 2},
        fees={"precheck": [(dt.date(2021, 10, 1), "78.00")], "global_entry": [(dt.date(2024, 10, 1), "120.00")]},
        validity_years={"precheck": 5, "global_entry": 5},
        rule_sets={"precheck": "precheck-x", "global_entry": "global_entry-x"},
        centers={"precheck": [9001, 9002], "global_entry": [5001, 8001]},
        officers=[1, 2],
        documents={k: [("cipher", "1234")] for k in ("passport", "permanent_resident_card", "drivers_license")},
        seats=Seats({c: [[c * 10, 3], [c * 10 + 1, 2]] for c in (9001, 9002, 5001, 8001)}),
    )


def test_the_same_seed_gives_the_same_rows_and_never_overbooks():
    start = dict.fromkeys(TABLES, 1)
    first = generate_batch(random.Random(5), _context(), Ids(start), 400)
    second = generate_batch(random.Random(5), _context(), Ids(start), 400)
    assert first == second
    rows, taken = first
    assert len(rows["applicant_profiles"]) == 400
    assert sum(taken.values()) == len(rows["appointments"]) <= 4 * 5  # the seats there were, no more


def test_derived_numbers_are_well_formed_and_distinct():
    assert len({reference_for(i) for i in range(1, 20_001)}) == 20_000
    assert all(REFERENCE.match(reference_for(i)) for i in (1, 2, 10**6, 2**31 - 1))
    for code, pattern in KTN.items():
        numbers = {ktn_for(code, i) for i in range(1, 20_001)}
        assert len(numbers) == 20_000 and all(pattern.match(n) for n in numbers)
        assert ktn_for(code, 7, attempt=1) != ktn_for(code, 7)


def test_the_production_configuration_refuses_without_the_confirmation(app):
    app.config["NAME"] = "production"
    try:
        result = _seed(app, "--applicants", "5")
    finally:
        app.config["NAME"] = "test"
    assert result.exit_code != 0
    assert "--i-know-this-is-not-production" in result.output
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


if not ON_POSTGRES:

    def test_sqlite_gets_the_clear_refusal(app):
        result = _seed(app, "--applicants", "5")
        assert result.exit_code != 0
        assert "COPY needs PostgreSQL; set DATABASE_URL=postgresql+psycopg://" in result.output
        assert db.session.scalar(select(func.count()).select_from(ApplicantProfile)) == 0


if ON_POSTGRES:

    def _statuses() -> dict[str, set[str]]:
        rows = db.session.execute(
            text("SELECT p.code, a.status FROM applications a JOIN programs p ON p.id = a.program_id")
        ).all()
        found: dict[str, set[str]] = {}
        for code, status in rows:
            found.setdefault(code, set()).add(status)
        return found

    def test_a_small_population_loads_consistently(app):
        result = _seed(app, "--applicants", "300", "--seed", "7", "--batch", "100")
        assert result.exit_code == 0, result.output
        assert "300 applicants in" in result.output

        assert db.session.scalar(select(func.count()).select_from(ApplicantProfile)) == 300
        for table in ("accounts", "applicant_profiles", "applications", "status_events", "memberships"):
            assert re.search(rf"^{table}\s+[\d,]+$", result.output, re.M), table
            count = db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (constant names)
            shown = re.search(rf"^{table}\s+([\d,]+)$", result.output, re.M).group(1)
            assert count == int(shown.replace(",", "")), table
        # every status of both machines
        statuses = _statuses()
        for code, table in TRANSITIONS.items():
            assert statuses[code] == {s.value for s in table}, code

        apps = db.session.scalars(select(Application)).all()
        events: dict[int, list[StatusEvent]] = {}
        for event in db.session.scalars(select(StatusEvent).order_by(StatusEvent.id)):
            events.setdefault(event.application_id, []).append(event)
        for application in apps:
            path = events[application.id]
            assert path[0].from_status is None and path[0].to_status == Status.DRAFT
            assert all(a.to_status == b.from_status for a, b in zip(path, path[1:], strict=False))
            assert is_valid_path(application.program.code, [e.to_status for e in path]), application.reference
            assert path[-1].to_status == application.status
            assert all(a.created_at < b.created_at for a, b in zip(path, path[1:], strict=False))
            assert application.status_entered_at == path[-1].created_at
            assert REFERENCE.match(application.reference)
            assert application.fee is not None and application.eligibility_snapshot["outcome"] == "eligible"
            if application.status != Status.DRAFT and application.status != Status.WITHDRAWN:
                assert application.submitted_at is not None

        # one open application per profile and program
        open_pairs = Counter((a.profile_id, a.program_id) for a in apps if Status(a.status) in OPEN)
        assert max(open_pairs.values()) == 1

        # memberships: one per approved (or later revoked) application, well-formed unique numbers, validity
        memberships = db.session.scalars(select(Membership)).all()
        assert len({m.ktn for m in memberships}) == len(memberships)
        for m in memberships:
            assert KTN[m.program.code].match(m.ktn), m.ktn
            born = m.profile.date_of_birth
            if m.program.code == "global_entry":
                assert (m.valid_until.month, m.valid_until.day) in ((born.month, born.day), (2, 28))
                assert m.valid_until.year == m.valid_from.year + 5
            else:
                assert m.valid_until.year == m.valid_from.year + 5
            assert m.application.status in (Status.APPROVED, Status.REVOKED, Status.RECONSIDERATION_REQUESTED)
            assert (m.status == "revoked") == (m.revoked_at is not None)
        approved = [a for a in apps if a.status == Status.APPROVED]
        assert {m.application_id for m in memberships} >= {a.id for a in approved}

        # booked counters equal the active appointments; every scheduled application holds one
        counted = dict(
            db.session.execute(
                select(Appointment.slot_id, func.count())
                .where(Appointment.status.in_(("booked", "checked_in")))
                .group_by(Appointment.slot_id)
            ).all()
        )
        for slot in db.session.scalars(select(Slot).where(Slot.booked > 0)):
            assert slot.booked == counted.get(slot.id, 0) <= slot.capacity
        assert sum(counted.values()) == db.session.scalar(select(func.sum(Slot.booked)))
        scheduled = {a.id for a in apps if a.status in (Status.INTERVIEW_SCHEDULED, Status.ENROLLMENT_SCHEDULED)}
        assert scheduled and scheduled == set(db.session.scalars(select(Appointment.application_id)))

        # complete profiles: five years of history without gaps, document numbers that decrypt
        for profile in db.session.scalars(select(ApplicantProfile).limit(40)):
            assert not address_gaps(profile, dt.date.today()) and not employment_gaps(profile, dt.date.today())
        number = db.session.scalars(select(IdentityDocument).limit(1)).one().number
        assert number[-4:] == db.session.scalars(select(IdentityDocument.number_last4).limit(1)).one()

    def test_a_synthetic_traveler_reads_the_status_page_and_an_officer_opens_the_case(app, client):
        assert _seed(app, "--applicants", "150", "--seed", "3").exit_code == 0
        member = db.session.scalars(
            select(Membership).where(Membership.status == "active").order_by(Membership.id).limit(1)
        ).one()
        reference, account_id, ktn = member.application.reference, member.profile.account_id, member.ktn
        case = db.session.scalars(
            select(Application).where(Application.status == Status.OFFICER_REVIEW).order_by(Application.id).limit(1)
        ).one()
        case_reference = case.reference
        create_officer("synthetic.check@example.com")
        db.session.commit()

        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = str(account_id), True
        page = client.get(f"/applications/{reference}")
        assert page.status_code == 200
        assert reference in page.get_data(as_text=True) and ktn in page.get_data(as_text=True)

        client.get("/auth/sign-out")
        with client.session_transaction() as session:
            session.clear()
        sign_in(client, "synthetic.check@example.com")
        page = client.get(f"/officer/cases/{case_reference}")
        assert page.status_code == 200
        assert case_reference in page.get_data(as_text=True)

    def test_running_twice_adds_more_without_collisions(app):
        assert _seed(app, "--applicants", "120", "--seed", "1").exit_code == 0
        first = db.session.scalar(select(func.count()).select_from(Application))
        second = _seed(app, "--applicants", "120", "--seed", "1")
        assert second.exit_code == 0, second.output
        assert db.session.scalar(select(func.count()).select_from(ApplicantProfile)) == 240
        assert db.session.scalar(select(func.count()).select_from(Application)) > first
        assert db.session.scalar(select(func.count(func.distinct(Membership.ktn)))) == db.session.scalar(
            select(func.count()).select_from(Membership)
        )
        # the sequences moved past the loaded ids: the service's next insert does not collide
        for table in ("accounts", "applications", "status_events", "memberships", "slots"):
            top = db.session.scalar(text(f"SELECT max(id) FROM {table}"))  # noqa: S608 (constant names)
            nxt = db.session.scalar(text(f"SELECT last_value FROM {table}_id_seq"))  # noqa: S608
            assert nxt >= top, table
