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
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import issue_membership
from trusted_traveler.payments import service as payments
from trusted_traveler.programs.service import get_program

pytestmark = pytest.mark.usefixtures("app_ctx")
TODAY = service_today()


def _member(program: str, officer):
    """An approved member (clean vetting, interview or enrollment visit recorded); returns the membership."""
    application = create_application(program, submitted=True)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    if program == "global_entry":
        return decisions.approve(application, by=officer, today=TODAY)
    return db.session.scalar(select(Membership).where(Membership.application_id == application.id))


def _renewal(membership):
    """The member's renewal of `membership`, paid and submitted (vetting runs on submission)."""
    profile = membership.profile
    renewal = casework.start_application(
        profile,
        get_program(membership.program.code),
        by=profile.account,
        today=TODAY,
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


def test_an_early_global_entry_renewal_keeps_the_number_and_adds_the_new_term_to_the_old_one():
    officer = create_officer()
    membership = _member("global_entry", officer)
    number, first_application = membership.ktn, membership.application
    membership.valid_until = TODAY + dt.timedelta(days=100)  # renewal opens a year before expiry
    membership.last_reminder_months = 6
    renewal = _renewal(membership)
    decisions.record_interview(renewal, by=officer, documents_verified=True, biometrics_captured=True)
    renewed = decisions.approve(renewal, by=officer, today=TODAY)

    assert renewed.ktn == number
    assert _memberships_of(membership) == [renewed]  # one membership, one number
    born = membership.profile.date_of_birth
    assert renewed.valid_until == born.replace(year=(TODAY + dt.timedelta(days=100)).year + 5)  # from the old expiry
    assert renewed.status == "active" and renewed.last_reminder_months is None  # the new term's reminders are owed
    assert renewed.application_id == renewal.id and first_application.status == Status.APPROVED
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.renewed"))
    assert audit.object_id == number and audit.details["application"] == renewal.reference


def test_a_precheck_renewal_approved_by_its_background_check_keeps_the_number():
    officer = create_officer()
    membership = _member("precheck", officer)
    number, old_expiry = membership.ktn, TODAY + dt.timedelta(days=30)
    membership.valid_until = old_expiry
    renewal = _renewal(membership)
    decisions.record_biometrics(renewal, by=officer)  # the all-clear approves it (a system move)
    assert renewal.status == Status.APPROVED
    assert [m.ktn for m in _memberships_of(membership)] == [number]
    until = membership.valid_until
    assert (until.year, until.month) == (old_expiry.year + 5, old_expiry.month)  # five years from the old expiry


def test_revoking_a_renewed_member_stops_their_number_whichever_application_the_officer_acts_from():
    officer = create_officer()
    membership = _member("global_entry", officer)
    first_application = membership.application
    membership.valid_until = TODAY + dt.timedelta(days=100)
    renewal = _renewal(membership)
    decisions.record_interview(renewal, by=officer, documents_verified=True, biometrics_captured=True)
    decisions.approve(renewal, by=officer, today=TODAY)

    decisions.revoke(first_application, by=officer, reason_codes=["program_violation"])
    assert [m.status for m in _memberships_of(membership)] == ["revoked"]

    # Reconsidered and approved again: the member's own number comes back, not a second one.
    decisions.request_reconsideration(first_application, by=membership.profile.account, statement="Declared.")
    decisions.reopen_for_review(first_application, by=officer)
    decisions.conditionally_approve(first_application, by=officer)
    decisions.record_interview(first_application, by=officer, documents_verified=True, biometrics_captured=True)
    again = decisions.approve(first_application, by=officer, today=TODAY)
    assert again.id == membership.id and again.status == "active"
    assert len(_memberships_of(membership)) == 1


def test_a_revocation_also_stops_a_second_number_left_by_an_earlier_renewal():
    """Before renewals kept the number, an early renewal left a second active membership with its own number:
    revoking either application must stop both."""
    officer = create_officer()
    old = _member("global_entry", officer)
    second = create_application("global_entry", profile=old.profile, submitted=True)
    decisions.record_interview(second, by=officer, documents_verified=True, biometrics_captured=True)
    second.status = Status.APPROVED.value  # set-up only: the shape such a renewal left behind
    newer = issue_membership(second, today=TODAY)
    db.session.flush()
    assert newer.ktn != old.ktn

    decisions.revoke(old.application, by=officer, reason_codes=["program_violation"])
    assert (old.status, newer.status) == ("revoked", "revoked")
    revoked = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "membership.revoked"))
    assert set(revoked) == {old.ktn, newer.ktn}
