"""The status machines: only listed moves, guards enforced, every move recorded, Known Traveler Numbers issued."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile
from tests.support.overlap import two_runs_at_once
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import EXPLANATIONS, PUBLIC_LABELS, TRANSITIONS, Status
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation, InvalidTransition, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for, validity_until
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.programs.service import get_program

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_every_state_has_a_public_label_and_every_target_is_a_state():
    for program, table in TRANSITIONS.items():
        assert set(table) == set(PUBLIC_LABELS[program])
        assert set(table) - {Status.DRAFT} <= set(EXPLANATIONS)
        for targets in table.values():
            assert targets <= set(table)


def test_a_draft_cannot_be_submitted_before_the_fee_is_paid():
    application = create_application("precheck")
    casework.attest(application, by=application.profile.account)
    with pytest.raises(BusinessRuleViolation, match="fee must be paid"):
        casework.submit(application, by=application.profile.account)
    assert application.status == Status.DRAFT


def test_a_move_not_in_the_table_is_refused_with_plain_words():
    application = create_application("precheck", submitted=True)
    with pytest.raises(InvalidTransition, match="'Visit an enrollment center' cannot move to 'Approved'"):
        casework.transition(application, Status.APPROVED, by=create_officer())


def test_a_traveler_cannot_make_an_officer_decision():
    application = create_application("precheck", submitted=True)
    with pytest.raises(PermissionDenied):
        casework.transition(application, Status.BIOMETRICS_CAPTURED, by=application.profile.account)


def test_clean_global_entry_application_becomes_conditionally_approved_by_itself():
    application = create_application("global_entry", submitted=True)
    assert application.status == Status.CONDITIONALLY_APPROVED
    moves = [(e.from_status, e.to_status, e.actor_id) for e in application.events]
    assert moves[1:] == [
        ("draft", "submitted", application.profile.account_id),
        ("submitted", "in_vetting", None),
        ("in_vetting", "conditionally_approved", None),
    ]
    assert {r.outcome for r in application.vetting_results} == {"clear"}


def test_a_vetting_hit_sends_the_case_to_an_officer_with_the_hit_recorded():
    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application("global_entry", profile=profile, submitted=True)
    assert application.status == Status.OFFICER_REVIEW
    hits = [r for r in application.vetting_results if r.outcome == "hit"]
    assert [h.source for h in hits] == ["criminal_history"]


def test_precheck_enrollment_visit_then_clear_vetting_approves_and_issues_a_ktn():
    application = create_application("precheck", submitted=True)
    officer = create_officer()
    casework.record_biometrics(application, by=officer)
    assert application.status == Status.APPROVED
    (member,) = memberships_for(application.profile_id)
    assert re.fullmatch(r"TT\d{7}", member.ktn)
    assert member.valid_until == validity_until(get_program("precheck"), None, service_today())
    assert (member.valid_until - service_today()).days in (1825, 1826, 1827)
    audit = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == officer.id)).all()
    assert "application.transition" in audit


def test_global_entry_approval_issues_a_passid_ending_on_the_birthday_in_year_five():
    profile = create_profile(dob=dt.date(1985, 8, 20))
    application = create_application("global_entry", profile=profile, submitted=True)
    officer = create_officer()
    casework.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    member = casework.approve(application, by=officer, today=dt.date(2026, 11, 22))
    assert re.fullmatch(r"(15|98|99)\d{7}", member.ktn)
    assert member.valid_until == dt.date(2031, 8, 20)


def test_validity_for_a_leap_day_birthday_falls_on_28_february():
    program = get_program("global_entry")
    assert validity_until(program, dt.date(1992, 2, 29), dt.date(2026, 3, 1)) == dt.date(2031, 2, 28)


def test_every_visible_status_change_tells_the_traveler_in_app_and_by_email():
    application = create_application("precheck", submitted=True)
    account_id = application.profile.account_id
    notes = db.session.scalars(select(Notification.title).where(Notification.account_id == account_id)).all()
    assert notes == [f"TSA PreCheck application {application.reference}: Visit an enrollment center"]
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert [m.recipient for m in outbox] == [application.profile.account.email]


def test_only_one_open_application_per_program():
    profile = create_profile()
    first = create_application("precheck", profile=profile)
    again = casework.start_application(profile, get_program("precheck"), by=profile.account, today=service_today())
    assert again.id == first.id
    # The database enforces it too, whatever the code path.
    db.session.add(Application(reference="TT2-AAAA-BBBB", profile_id=profile.id, program_id=first.program_id))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.flush()
    db.session.rollback()


def test_references_are_safe_to_read_aloud():
    application = create_application("precheck")
    assert re.fullmatch(r"TT2-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", application.reference)


def test_a_new_application_never_gets_a_reference_another_already_has(monkeypatch):
    """Drawn again on a collision (a few a month at national scale), never an error for the traveler."""
    taken = create_application("precheck").reference
    draws = iter([taken, taken, "TT2-ZZZZ-2222"])
    monkeypatch.setattr(casework, "new_reference", lambda: next(draws))
    profile = create_profile()
    program = get_program("precheck")
    application = casework.start_application(profile, program, by=profile.account, today=service_today())
    assert application.reference == "TT2-ZZZZ-2222"


def test_a_traveler_cannot_load_someone_elses_application():
    application = create_application("precheck")
    stranger = create_account("stranger@example.com")
    from trusted_traveler.errors import NotFound

    with pytest.raises(NotFound):
        casework.get_application_for_traveler(application.reference, stranger)


def test_drafts_get_one_reminder_two_weeks_before_they_expire_and_close_after_180_days():
    from trusted_traveler.db import utcnow

    application = create_application("precheck")
    start = utcnow()
    application.created_at = start
    assert casework.expire_drafts(start + dt.timedelta(days=100)) == (0, 0)
    assert casework.expire_drafts(start + dt.timedelta(days=170)) == (1, 0)
    assert casework.expire_drafts(start + dt.timedelta(days=171)) == (0, 0)  # once only
    outbox = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email.draft_expiring")).all()
    assert len(outbox) == 1 and "will be deleted on" in outbox[0].payload["subject"]
    assert casework.expire_drafts(start + dt.timedelta(days=181)) == (0, 1)
    assert application.status == Status.WITHDRAWN
    assert application.events[-1].reason_code == "draft_expired" and application.events[-1].actor_id is None
    assert application.profile.given_names == "Luz"  # the profile is kept


def test_two_draft_runs_at_once_remind_and_close_each_draft_once_and_neither_fails(app, monkeypatch):
    """`flask expire-drafts` runs daily from cron: a slow run overlaps the next, or two hosts run it. The draft due
    for its reminder is reminded once and the one past 180 days is closed once, and neither run fails (PostgreSQL: a
    run passes over the drafts the other holds; SQLite: it waits for the other's commit, then finds them done)."""
    from trusted_traveler.db import utcnow

    now = utcnow()
    with app.app_context():
        expiring, old = create_application("precheck"), create_application("global_entry")
        expiring.created_at = now - dt.timedelta(days=170)
        old.created_at = now - dt.timedelta(days=181)
        db.session.commit()
        expiring_id, old_id = expiring.id, old.id
    done, errors = two_runs_at_once(
        app, lambda: casework.expire_drafts(now), monkeypatch, (casework, "notify"), (casework, "transition")
    )

    assert errors == [] and len(done) == 2
    assert (sum(reminded for reminded, _ in done), sum(expired for _, expired in done)) == (1, 1)
    with app.app_context():
        reminders = db.session.scalars(select(Notification).where(Notification.kind == "draft_expiring")).all()
        assert [n.account_id for n in reminders] == [db.session.get(Application, expiring_id).profile.account_id]
        closed = db.session.get(Application, old_id)
        assert closed.status == Status.WITHDRAWN
        assert [e.reason_code for e in closed.events].count("draft_expired") == 1
