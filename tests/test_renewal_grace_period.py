"""Benefits while a renewal is pending (BRIEF.md 2, "GE renewal grace period"): a Global Entry renewal filed before
the membership's expiry date keeps the membership in use until the renewal is decided or the grace period (the
dated parameter in force on the expiry date) ends, whichever comes first. The traveler is told so, and until when;
the Known Traveler Number reads as active wherever the service answers that. A renewal filed on or after the expiry
date, or only drafted, keeps nothing; PreCheck has no grace period, so its membership expires on its day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler.casework import decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today, service_zone
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day
from trusted_traveler.memberships.lifecycle import add_months, owed_something, run_daily
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import (
    PendingRenewal,
    kept_by_pending_renewal,
    pending_renewals,
    renewal_window,
    validity_until,
)
from trusted_traveler.notifications.models import Notification
from trusted_traveler.payments import service as payments
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules.models import Parameter

D = dt.date
GRACE = dt.timedelta(days=730)  # Global Entry's grace period in force since 1 January 2023 (seeds/reference.py)


@pytest.fixture
def ctx(app_ctx):
    yield
    db.session.rollback()


@pytest.fixture
def expired(today) -> D:
    """An expiry date just past."""
    return today - dt.timedelta(days=10)


def _member(program: str = "global_entry", *, valid_until: D, email: str | None = None) -> Membership:
    """An approved member (interview or enrollment visit recorded) whose membership ends on `valid_until`."""
    officer = create_officer()
    profile = create_profile(create_account(email)) if email else None
    application = create_application(program, profile=profile, submitted=True)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    if application.status != Status.APPROVED:  # Global Entry is approved by the officer, PreCheck by its check
        decisions.approve(application, by=officer, today=add_months(valid_until, -60))
    membership = db.session.scalar(select(Membership).where(Membership.application_id == application.id))
    membership.valid_until = valid_until
    membership.last_reminder_months = 1  # reminded already: only the expiry is left
    db.session.flush()
    return membership


def _renewal(membership: Membership, *, submitted_on: D | None):
    """The member's renewal of `membership`, paid and submitted on `submitted_on` (None: only drafted)."""
    profile = membership.profile
    renewal = casework.start_application(
        profile,
        get_program(membership.program.code),
        by=profile.account,
        today=service_today(),
        kind="renewal",
        renewal_of=membership.application,
    )
    if submitted_on is not None:
        casework.attest(renewal, by=profile.account)
        payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
        casework.submit(renewal, by=profile.account)
        renewal.submitted_at = dt.datetime.combine(submitted_on, dt.time(15), dt.UTC)  # set-up: the day it was filed
    db.session.flush()
    return renewal


def _interviewed(renewal):
    decisions.record_interview(renewal, by=create_officer(), documents_verified=True, biometrics_captured=True)
    return renewal


def _notes(kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


# --- The daily job --------------------------------------------------------------------------------------------


def test_a_global_entry_membership_stays_active_past_its_expiry_date_while_a_renewal_filed_before_it_is_pending(
    ctx, today, expired
):
    """The renewal was filed 30 days before the expiry date and is still pending: the daily job leaves the
    membership active on the day and after, without an expiry notice; a member with no renewal expires that day."""
    kept = _member(valid_until=expired)
    renewal = _renewal(kept, submitted_on=expired - dt.timedelta(days=30))
    lapsed = _member(valid_until=expired)

    assert run_daily(expired).expired == 1
    assert run_daily(today).expired == 0
    assert (kept.status, lapsed.status) == ("active", "expired")
    assert renewal.status_enum is Status.CONDITIONALLY_APPROVED  # pending: vetting clear, interview to come
    assert [n.account_id for n in _notes("membership_expired")] == [lapsed.profile.account_id]
    assert pending_renewals([kept, lapsed], today) == {
        kept.id: PendingRenewal(reference=renewal.reference, until=expired + GRACE, expired=True)
    }


def test_the_membership_expires_when_the_grace_period_ends_with_the_renewal_still_pending(ctx, expired):
    """Benefits last up to the end of the grace period (730 days after the expiry date, the day renewal_window
    closes), not a day longer; the notice says the renewal is still open, and approving it later makes the
    membership active again under the same number, for a new term from the day it is approved."""
    membership = _member(valid_until=expired)
    renewal = _renewal(membership, submitted_on=expired - dt.timedelta(days=1))
    last_day = expired + GRACE - dt.timedelta(days=1)
    assert renewal_window(membership)[1] == expired + GRACE

    assert run_daily(last_day).expired == 0 and membership.status == "active"
    assert pending_renewals([membership], last_day)[membership.id].until == expired + GRACE
    assert run_daily(expired + GRACE).expired == 1 and membership.status == "expired"
    [note] = _notes("membership_expired")
    assert note.body == (
        f"Your Global Entry membership expired on {format_day(expired)}. Its benefits continued while your renewal "
        f"was pending and have now ended. Your renewal {renewal.reference} is still open; if it is approved, your "
        "membership will be active again."
    )

    approved_on = expired + GRACE + dt.timedelta(days=9)
    decisions.approve(_interviewed(renewal), by=create_officer(), today=approved_on)
    assert (membership.status, membership.application_id) == ("active", renewal.id)
    assert membership.valid_until == validity_until(membership.program, membership.profile.date_of_birth, approved_on)


def test_approving_the_renewal_after_the_expiry_date_extends_the_membership_it_kept_in_use(ctx, today, expired):
    membership = _member(valid_until=expired)
    number = membership.ktn
    renewal = _renewal(membership, submitted_on=expired - dt.timedelta(days=60))
    run_daily(today)
    decisions.approve(_interviewed(renewal), by=create_officer(), today=today)
    assert (membership.ktn, membership.status, membership.application_id) == (number, "active", renewal.id)
    assert membership.valid_until == validity_until(membership.program, membership.profile.date_of_birth, today)
    assert run_daily(today + dt.timedelta(days=1)).expired == 0
    assert _notes("membership_expired") == []


def test_a_renewal_denied_after_the_expiry_date_expires_the_membership_at_once(ctx, today, expired):
    """The decision ends what the renewal was keeping: the membership expires in the same transaction as the
    denial, not at the next daily run, and the member is told their benefits have ended and how long they can
    still renew."""
    membership = _member(valid_until=expired)
    renewal = _renewal(membership, submitted_on=expired - dt.timedelta(days=30))
    run_daily(today)
    assert membership.status == "active"

    decisions.deny(_interviewed(renewal), by=create_officer(), reason_codes=["not_low_risk"])
    assert membership.status == "expired"
    assert db.session.scalar(select(Membership.status).where(Membership.id == membership.id)) == "expired"
    [note] = _notes("membership_expired")
    assert note.body == (
        f"Your Global Entry membership expired on {format_day(expired)}. Its benefits continued while your renewal "
        f"was pending and have now ended. You can still renew it until {format_day(expired + GRACE)}; after that "
        "you would apply again as new."
    )
    assert pending_renewals([membership], today) == {}
    assert run_daily(today).expired == 0  # nothing left for the job; no second notice
    assert len(_notes("membership_expired")) == 1


def test_a_renewal_denied_before_the_expiry_date_keeps_nothing_even_when_reconsideration_is_asked(ctx, today):
    """Decided before the expiry date, the renewal kept nothing: the membership expires on its day with the usual
    notice. Asking for reconsideration of the denial reopens the case but does not keep the benefits again."""
    ahead = today + dt.timedelta(days=10)
    membership = _member(valid_until=ahead)
    renewal = _renewal(membership, submitted_on=today)
    decisions.deny(_interviewed(renewal), by=create_officer(), reason_codes=["not_low_risk"])
    assert membership.status == "active"  # its expiry date has not come
    decisions.request_reconsideration(renewal, by=membership.profile.account, statement="Please look again.")
    assert renewal.status_enum is Status.RECONSIDERATION_REQUESTED

    assert run_daily(ahead).expired == 1 and membership.status == "expired"
    [note] = _notes("membership_expired")
    assert "benefits continued" not in note.body and f"expired on {format_day(ahead)}." in note.body


@pytest.mark.parametrize("filed", ["on the expiry date", "after the expiry date"])
def test_a_renewal_filed_on_or_after_the_expiry_date_does_not_bring_the_benefits_back_while_pending(
    ctx, filed, today, expired
):
    """Inside the grace period a member may still renew (and keep the number), but the benefits stopped on the
    expiry date and come back only if the renewal is approved."""
    membership = _member(valid_until=expired)
    _renewal(membership, submitted_on=expired if filed == "on the expiry date" else today)
    assert pending_renewals([membership], today) == {}
    assert run_daily(today).expired == 1 and membership.status == "expired"


def test_filed_before_expiry_is_judged_on_the_services_calendar_not_utcs(ctx, today, expired):
    """At 21:30 in New York on the day before expiry it is already the expiry day in UTC: that renewal was filed
    before expiry; one filed at 00:30 on the expiry day was not."""
    zone = service_zone()
    evening = _member(valid_until=expired, email="evening@example.com")
    renewal = _renewal(evening, submitted_on=None)
    casework.attest(renewal, by=evening.profile.account)
    payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
    casework.submit(renewal, by=evening.profile.account)
    renewal.submitted_at = dt.datetime.combine(expired - dt.timedelta(days=1), dt.time(21, 30), zone)
    assert renewal.submitted_at.astimezone(dt.UTC).date() == expired  # the UTC day is the expiry day
    db.session.flush()
    assert evening.id in pending_renewals([evening], today)
    assert run_daily(today).expired == 0 and evening.status == "active"
    renewal.submitted_at = dt.datetime.combine(expired, dt.time(0, 30), zone)  # the expiry day itself
    db.session.flush()
    assert pending_renewals([evening], today) == {}
    assert run_daily(today).expired == 1 and evening.status == "expired"


def test_a_renewal_only_drafted_before_the_expiry_date_keeps_nothing(ctx, expired):
    membership = _member(valid_until=expired)
    draft = _renewal(membership, submitted_on=None)
    assert draft.status_enum is Status.DRAFT
    assert run_daily(expired).expired == 1


def test_precheck_has_no_grace_period_so_its_membership_expires_on_its_day_renewal_pending_or_not(ctx, expired):
    """BRIEF.md gives PreCheck's "grace period of up to a year" as unconfirmed, and no grace period parameter is
    seeded for it: a pending PreCheck renewal (usually decided in days) keeps nothing, and the notice says to apply
    again."""
    membership = _member("precheck", valid_until=expired)
    renewal = _renewal(membership, submitted_on=expired - dt.timedelta(days=30))
    assert renewal.status_enum is Status.SUBMITTED  # pending: the enrollment visit is next
    assert pending_renewals([membership], expired) == {}
    assert run_daily(expired).expired == 1 and membership.status == "expired"
    assert "To keep it, apply again." in _notes("membership_expired")[0].body


def test_the_grace_period_that_counts_is_the_one_in_force_on_the_expiry_date(ctx, today):
    """A shorter grace period taking effect later applies only to memberships expiring from then on; one that
    expired before the grace period parameter existed (1 January 2023) had none. The job's SQL and renewal_window
    agree on every day."""
    program = get_program("global_entry")
    change = today - dt.timedelta(days=5)
    db.session.add(
        Parameter(program_id=program.id, key="grace_period_days", value=180, effective_from=change, reference="test")
    )
    before_change = _member(valid_until=change - dt.timedelta(days=1), email="before@example.com")
    after_change = _member(valid_until=change, email="after@example.com")
    before_parameter = _member(valid_until=D(2022, 12, 30), email="early@example.com")
    for membership in (before_change, after_change, before_parameter):
        _renewal(membership, submitted_on=membership.valid_until - dt.timedelta(days=30))
    assert renewal_window(before_change)[1] == before_change.valid_until + GRACE
    assert renewal_window(after_change)[1] == change + dt.timedelta(days=180)

    made = (before_change, after_change, before_parameter)
    for day in (
        today,
        change + dt.timedelta(days=179),
        change + dt.timedelta(days=180),
        before_change.valid_until + GRACE,
    ):
        kept = set(db.session.scalars(select(Membership.id).where(kept_by_pending_renewal(day))))
        assert kept == {m.id for m in made if m.valid_until <= day < renewal_window(m)[1]}, day

    assert run_daily(today).expired == 1 and before_parameter.status == "expired"
    assert run_daily(change + dt.timedelta(days=180)).expired == 1 and after_change.status == "expired"
    assert before_change.status == "active"


def test_a_grace_period_this_worker_changes_counts_at_once_though_the_periods_are_kept(ctx, today, expired):
    """The grace period's dated values are kept by the worker for a minute (rules.service), but a flush that writes
    a parameter forgets them: the next question reads the new value."""
    membership = _member(valid_until=expired)
    _renewal(membership, submitted_on=expired - dt.timedelta(days=30))
    kept = select(Membership.id).where(kept_by_pending_renewal(today))  # reads the periods: kept from now
    assert db.session.scalars(kept).all() == [membership.id]
    db.session.add(
        Parameter(
            program_id=membership.program_id,
            key="grace_period_days",
            value=5,  # ended five days after the expiry date, before today
            effective_from=expired,
            reference="test",
        )
    )
    db.session.flush()
    assert db.session.scalars(select(Membership.id).where(kept_by_pending_renewal(today))).all() == []


def test_the_daily_job_does_not_read_the_memberships_renewals_keep_in_use(ctx, today, expired):
    """Set-based: the memberships a pending renewal keeps are left out by the candidates' SQL, so the job does not
    read each of them every day of a grace period up to two years long."""
    kept = [_member(valid_until=expired - dt.timedelta(days=n)) for n in range(3)]
    for membership in kept:
        _renewal(membership, submitted_on=membership.valid_until - dt.timedelta(days=3))
    lapsed = _member(valid_until=expired)
    read = set(db.session.scalars(select(Membership.id).where(owed_something(today))))
    assert read == {lapsed.id}


# --- What the traveler, the API and the officer see ---------------------------------------------------------


@pytest.fixture
def kept_member(app, today, expired):
    """A Global Entry member whose expiry date has passed, with a renewal filed before it still pending; the job
    has run. Returns (membership's number, first application's reference, renewal's reference)."""
    with app.app_context():
        membership = _member(valid_until=expired, email="renewing@example.com")
        renewal = _renewal(membership, submitted_on=expired - dt.timedelta(days=20))
        run_daily(today)
        assert membership.status == "active"
        create_account("olga.officer@example.com", roles=("officer",))
        found = membership.ktn, membership.application.reference, renewal.reference
        db.session.commit()
        return found


def test_the_traveler_reads_that_benefits_continue_while_the_renewal_is_pending_and_until_when(
    client, kept_member, expired
):
    number, first, renewal = kept_member
    told = (
        f"You filed your renewal {renewal} before this membership's end date, {format_day(expired)}. So you keep "
        f"your benefits while we decide it, up to {format_day(expired + GRACE)}."
    )
    sign_in(client, "renewing@example.com")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert number in dashboard and "Active" in dashboard
    assert told in dashboard
    for reference in (first, renewal):  # the page of the application holding the number, and the renewal's
        page = client.get(f"/applications/{reference}").get_data(as_text=True)
        assert told in page, reference

    detail = client.get(f"/api/v1/applications/{first}").get_json()
    assert detail["membership"] == {
        "known_traveler_number": number,
        "valid_from": detail["membership"]["valid_from"],
        "valid_until": expired.isoformat(),
        "status": "active",
        "renewal_pending": renewal,
        "benefits_continue_until": (expired + GRACE).isoformat(),
    }


def test_the_officer_sees_the_number_in_use_while_the_renewal_filed_before_expiry_is_pending(
    client, kept_member, expired
):
    number, _first, renewal = kept_member
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{renewal}").get_data(as_text=True)
    assert f"Global Entry {number} · active · valid until {expired.isoformat()}" in html
    assert (
        f"renewal {renewal}, filed before expiry, is pending: in use until it is decided, "
        f"{(expired + GRACE).isoformat()} at the latest"
    ) in html


def test_before_the_expiry_date_the_dashboard_says_benefits_will_continue_if_the_renewal_is_still_pending(
    client, app, today
):
    ahead = today + dt.timedelta(days=40)
    with app.app_context():
        membership = _member(valid_until=ahead, email="early.renewer@example.com")
        renewal = _renewal(membership, submitted_on=today).reference
        db.session.commit()
    sign_in(client, "early.renewer@example.com")
    html = client.get("/dashboard").get_data(as_text=True)
    assert (
        f"Your renewal {renewal} is pending. If we have not decided it by {format_day(ahead)}, you keep your "
        f"benefits while we do, up to {format_day(ahead + GRACE)}."
    ) in html
