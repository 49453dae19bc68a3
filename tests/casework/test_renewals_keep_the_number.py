"""A renewal keeps the member's Known Traveler Number (BRIEF.md 2) and carries their membership on: a member never
holds two numbers of one program that both work, and a revocation stops every number they hold in it."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_application, create_officer
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import issue_membership
from trusted_traveler.payments import service as payments
from trusted_traveler.programs.service import get_program

pytestmark = pytest.mark.usefixtures("app_ctx")


def _member(program: str, officer):
    """An approved member (clean vetting, interview or enrollment visit recorded); returns the membership."""
    application = create_application(program, submitted=True)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    if program == "global_entry":
        return decisions.approve(application, by=officer, today=service_today())
    return db.session.scalar(select(Membership).where(Membership.application_id == application.id))


def _renewal(membership):
    """The member's renewal of `membership`, paid and submitted (vetting runs on submission)."""
    profile = membership.profile
    renewal = casework.start_application(
        profile,
        get_program(membership.program.code),
        by=profile.account,
        today=service_today(),
        kind="renewal",
        renewal_of=membership.application,
    )
    casework.attest(renewal, by=profile.account)
    payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
    casework.submit(renewal, by=profile.account)
    return renewal


def _memberships_of(membership) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.profile_id == membership.profile_id, Membership.program_id == membership.program_id)
            .order_by(Membership.id)
        )
    )


def test_an_early_global_entry_renewal_keeps_the_number_and_adds_the_new_term_to_the_old_one(today):
    officer = create_officer()
    membership = _member("global_entry", officer)
    number, first_application = membership.ktn, membership.application
    membership.valid_until = today + dt.timedelta(days=100)  # renewal opens a year before expiry
    membership.last_reminder_months = 6
    renewal = _renewal(membership)
    decisions.record_interview(renewal, by=officer, documents_verified=True, biometrics_captured=True)
    renewed = decisions.approve(renewal, by=officer, today=today)

    assert renewed.ktn == number
    assert _memberships_of(membership) == [renewed]  # one membership, one number
    born = membership.profile.date_of_birth
    assert renewed.valid_until == born.replace(year=(today + dt.timedelta(days=100)).year + 5)  # from the old expiry
    assert renewed.status == "active" and renewed.last_reminder_months is None  # the new term's reminders are owed
    assert renewed.application_id == renewal.id and first_application.status == Status.APPROVED
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.renewed"))
    assert audit.object_id == number and audit.details["application"] == renewal.reference


def test_a_precheck_renewal_approved_by_its_background_check_keeps_the_number(today):
    officer = create_officer()
    membership = _member("precheck", officer)
    number, old_expiry = membership.ktn, today + dt.timedelta(days=30)
    membership.valid_until = old_expiry
    renewal = _renewal(membership)
    decisions.record_biometrics(renewal, by=officer)  # the all-clear approves it (a system move)
    assert renewal.status == Status.APPROVED
    assert [m.ktn for m in _memberships_of(membership)] == [number]
    until = membership.valid_until
    assert (until.year, until.month) == (old_expiry.year + 5, old_expiry.month)  # five years from the old expiry


def _renewed_member(officer):
    """A Global Entry member who renewed early: (the first application, the approved renewal, the membership)."""
    today = service_today()
    membership = _member("global_entry", officer)
    first_application = membership.application
    membership.valid_until = today + dt.timedelta(days=100)
    renewal = _renewal(membership)
    decisions.record_interview(renewal, by=officer, documents_verified=True, biometrics_captured=True)
    decisions.approve(renewal, by=officer, today=today)
    return first_application, renewal, membership


def test_a_renewed_membership_is_revoked_from_the_renewal_that_holds_it_which_then_reads_revoked(today):
    """Revoking is about the member's number, and the number now belongs to the renewal: revoking from the renewal
    stops it and marks the renewal Revoked through the one transition (a status event and an audit record), with
    the letter; the first application stays Approved, the decision it was. Reconsidered and approved again, the
    renewal gets the member's own number back, not a second one."""
    officer = create_officer()
    first_application, renewal, membership = _renewed_member(officer)
    assert "revoke" in decisions.available_actions(renewal, officer)

    decisions.revoke(renewal, by=officer, reason_codes=["program_violation"])
    assert [m.status for m in _memberships_of(membership)] == ["revoked"]
    assert renewal.status == Status.REVOKED and first_application.status == Status.APPROVED
    event = renewal.events[-1]
    assert (event.from_status, event.to_status, event.actor_id) == ("approved", "revoked", officer.id)
    assert [letter.kind for letter in renewal.letters] == ["revocation"] and first_application.letters == []
    audit = {
        (a.action, a.object_id)
        for a in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["application.transition", "membership.revoked"]))
        )
    }
    assert {("application.transition", renewal.reference), ("membership.revoked", membership.ktn)} <= audit

    decisions.request_reconsideration(renewal, by=membership.profile.account, statement="Declared.")
    decisions.reopen_for_review(renewal, by=officer)
    decisions.conditionally_approve(renewal, by=officer)
    decisions.record_interview(renewal, by=officer, documents_verified=True, biometrics_captured=True)
    again = decisions.approve(renewal, by=officer, today=today)
    assert again.id == membership.id and again.status == "active" and again.application_id == renewal.id
    assert len(_memberships_of(membership)) == 1


def test_revoking_from_the_application_a_renewal_took_over_is_refused_naming_the_renewal_and_changes_nothing():
    """The first application no longer holds the membership: revoking from it used to stop the number while the
    renewal holding it still read Approved. It is refused with the renewal's reference and the number, and not
    offered on the case; nothing is written."""
    officer = create_officer()
    first_application, renewal, membership = _renewed_member(officer)
    events_before = len(first_application.events)
    assert "revoke" not in decisions.available_actions(first_application, officer)
    assert decisions.membership_moved_to(first_application) is membership
    assert decisions.membership_moved_to(renewal) is None

    with pytest.raises(BusinessRuleViolation) as refused:
        decisions.revoke(first_application, by=officer, reason_codes=["program_violation"])
    assert renewal.reference in refused.value.message and membership.ktn in refused.value.message
    assert "Revoke the membership from " + renewal.reference in refused.value.message
    assert membership.status == "active" and first_application.status == renewal.status == Status.APPROVED
    assert len(first_application.events) == events_before and first_application.letters == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.revoked")) is None


def test_a_revocation_also_stops_a_second_number_left_by_an_earlier_renewal(today):
    """Before renewals kept the number, an early renewal left a second active membership with its own number:
    revoking from the application holding the later one (the member's current membership) stops both; from the
    older one it is refused, naming the later application, as for a renewal that took the membership over."""
    officer = create_officer()
    old = _member("global_entry", officer)
    second = create_application("global_entry", profile=old.profile, submitted=True)
    decisions.record_interview(second, by=officer, documents_verified=True, biometrics_captured=True)
    second.status = Status.APPROVED.value  # set-up only: the shape such a renewal left behind
    newer = issue_membership(second, today=today)
    newer.valid_until = old.valid_until + dt.timedelta(days=365)  # the early renewal's term ran on from the old one
    db.session.flush()
    assert newer.ktn != old.ktn

    with pytest.raises(BusinessRuleViolation, match=second.reference):
        decisions.revoke(old.application, by=officer, reason_codes=["program_violation"])
    decisions.revoke(second, by=officer, reason_codes=["program_violation"])
    assert (old.status, newer.status) == ("revoked", "revoked")
    revoked = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "membership.revoked"))
    assert set(revoked) == {old.ktn, newer.ktn}
