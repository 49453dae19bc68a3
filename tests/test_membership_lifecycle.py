"""The membership lifecycle: expiry reminders 6, 3 and 1 months before, Expired on the day, and renewal within the
dated grace period."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_application, create_officer, create_profile
from trusted_traveler.casework import service as casework
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.memberships.lifecycle import add_months, reminder_due, run_daily
from trusted_traveler.memberships.service import current_membership, issue_membership, renewal_window
from trusted_traveler.notifications.models import Notification, OutboxMessage

D = dt.date


@pytest.fixture
def ctx(app_ctx):
    yield
    db.session.rollback()


def _member(program: str = "precheck", *, valid_until: D, profile=None):
    application = create_application(program, profile=profile, submitted=True)
    membership = issue_membership(application, today=add_months(valid_until, -60))
    membership.valid_until = valid_until
    db.session.flush()
    return membership


def _notes(kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def _days(first: D, last: D):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_reminders_go_six_three_and_one_month_before_expiry_each_exactly_once(ctx):
    """Run daily (twice a day) from seven months before expiry to after it: one reminder at each of 6, 3 and 1
    months, then Expired on the day, with one notice."""
    membership = _member(valid_until=D(2027, 6, 15))
    sent_on = {}
    for day in _days(D(2026, 11, 1), D(2027, 6, 30)):
        for _ in range(2):
            result = run_daily(day)
            if result.reminded or result.expired:
                sent_on.setdefault(day, []).append((result.reminded, result.expired))
    assert sent_on == {
        D(2026, 12, 15): [(1, 0)],
        D(2027, 3, 15): [(1, 0)],
        D(2027, 5, 15): [(1, 0)],
        D(2027, 6, 15): [(0, 1)],
    }
    assert len(_notes("membership_expiring")) == 3
    assert len(_notes("membership_expired")) == 1
    assert membership.status == "expired" and membership.last_reminder_months == 1


def test_a_member_first_seen_two_months_before_expiry_gets_the_three_month_reminder_once(ctx):
    """A member the job first sees two months before expiry is owed only the 3-month reminder (not three at once),
    and then the 1-month one."""
    membership = _member(valid_until=D(2027, 6, 15))
    assert reminder_due(membership, D(2027, 4, 15)) == 3
    assert run_daily(D(2027, 4, 15)).reminded == 1
    assert membership.last_reminder_months == 3
    assert run_daily(D(2027, 4, 16)).reminded == 0
    assert run_daily(D(2027, 5, 15)).reminded == 1
    assert len(_notes("membership_expiring")) == 2


def test_a_reminder_says_when_it_expires_when_renewal_opens_and_links_to_apply(ctx):
    """The reminder gives the expiry date, the first day of the renewal window (renewal_window()) and links to
    /apply, in the app and in the e-mail."""
    membership = _member(valid_until=D(2027, 6, 15))
    opens, _ = renewal_window(membership)
    assert opens == D(2026, 12, 17)  # PreCheck: 180 days before expiry
    run_daily(D(2026, 12, 15))
    [note] = _notes("membership_expiring")
    assert note.title == "Your TSA PreCheck membership expires on June 15, 2027"
    assert "expires on June 15, 2027" in note.body
    assert "You can renew from December 17, 2026" in note.body
    assert note.link == "/apply"
    [email] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email.membership_expiring"))
    assert email.payload["link"] == "/apply" and email.recipient == membership.profile.account.email

    run_daily(D(2027, 3, 15))  # by the 3-month reminder renewal is open
    assert "You can renew now." in _notes("membership_expiring")[-1].body


def test_a_membership_expires_on_its_valid_until_date_and_the_member_is_told(ctx):
    """The day before, still active; on the day, Expired, with a notice that says how long renewal stays open."""
    membership = _member("global_entry", valid_until=D(2027, 6, 15))
    membership.last_reminder_months = 1
    assert run_daily(D(2027, 6, 14)).expired == 0
    assert membership.status == "active"
    assert run_daily(D(2027, 6, 15)).expired == 1
    assert membership.status == "expired"
    [note] = _notes("membership_expired")
    assert note.title == "Your Global Entry membership has expired"
    assert "You can still renew it until June 14, 2029" in note.body  # the 730-day grace period
    assert note.link == "/apply"
    assert run_daily(D(2027, 6, 16)).expired == 0


def test_a_precheck_membership_without_a_grace_period_says_to_apply_again(ctx):
    """PreCheck has no grace period: the expiry notice says to apply again."""
    _member("precheck", valid_until=D(2027, 6, 15)).last_reminder_months = 1
    run_daily(D(2027, 6, 20))
    [note] = _notes("membership_expired")
    assert "To keep it, apply again." in note.body


def test_revoked_memberships_are_never_touched(ctx):
    """A revoked membership gets no reminder and is never marked expired."""
    membership = _member(valid_until=D(2027, 6, 15))
    membership.status = "revoked"
    for day in (D(2026, 12, 15), D(2027, 5, 15), D(2027, 6, 15), D(2028, 1, 1)):
        assert run_daily(day).reminded == run_daily(day).expired == 0
    assert membership.status == "revoked" and membership.last_reminder_months is None
    assert _notes("membership_expiring") == _notes("membership_expired") == []


def test_a_member_who_has_already_renewed_is_not_reminded_or_told_it_expired(ctx):
    """Once a renewal has made a later membership, the old one expires quietly: nothing to do for the member."""
    old = _member("global_entry", valid_until=D(2027, 6, 15))
    old.application.status = "approved"  # set-up only: the first application is decided, so a second can open
    _member("global_entry", valid_until=D(2032, 6, 15), profile=old.profile)
    run_daily(D(2027, 5, 15))
    run_daily(D(2027, 6, 15))
    assert old.status == "expired"
    assert _notes("membership_expiring") == _notes("membership_expired") == []


def test_a_month_end_expiry_is_reminded_on_the_last_day_of_the_shorter_month(ctx):
    """31 August: the 6-month reminder goes on 28 February (29 in a leap year)."""
    _member(valid_until=D(2027, 8, 31))
    assert run_daily(D(2027, 2, 27)).reminded == 0
    assert run_daily(D(2027, 2, 28)).reminded == 1


def test_renewal_stays_open_through_the_dated_grace_period_after_expiry(ctx):
    """Global Entry: the membership still counts for renewal until 730 days after expiry (the grace period in
    force on the expiry date), and not a day longer; PreCheck, without a grace period, stops on the expiry day."""
    ge = _member("global_entry", valid_until=D(2027, 6, 15))
    assert renewal_window(ge) == (D(2026, 6, 15), D(2029, 6, 14))
    assert current_membership(ge.profile_id, ge.program_id, D(2029, 6, 14)) is ge
    assert current_membership(ge.profile_id, ge.program_id, D(2029, 6, 15)) is None

    pre = _member("precheck", valid_until=D(2027, 6, 15))
    assert current_membership(pre.profile_id, pre.program_id, D(2027, 6, 15)) is pre
    assert current_membership(pre.profile_id, pre.program_id, D(2027, 6, 16)) is None


def test_the_grace_period_is_the_one_in_force_on_the_expiry_date(ctx):
    """The 730-day grace period is in force from 1 January 2023; a membership that expired before then had none."""
    earlier = _member("global_entry", valid_until=D(2022, 6, 15))
    assert renewal_window(earlier)[1] == D(2022, 6, 15)
    assert current_membership(earlier.profile_id, earlier.program_id, D(2022, 6, 16)) is None


def test_an_expired_global_entry_member_within_the_grace_period_is_offered_renewal(ctx):
    """After the daily job marks the membership Expired, the member can still renew (not apply as new) within the
    grace period, and the renewal is a new term from today."""
    profile = create_profile(dob=dt.date(1985, 8, 20))
    application = create_application("global_entry", profile=profile, submitted=True)
    casework.record_interview(application, by=create_officer(), documents_verified=True, biometrics_captured=True)
    membership = casework.approve(application, by=create_officer("second.officer@example.com"), today=D(2026, 11, 22))
    run_daily(membership.valid_until)
    assert membership.status == "expired"

    later = membership.valid_until + dt.timedelta(days=100)
    option = casework.program_options(profile, today=later)["global_entry"]
    assert option["action"] == "renew" and option["membership"] is membership
    assert current_membership(profile.id, membership.program_id, later + dt.timedelta(days=700)) is None


def test_the_daily_command_commits_its_reminders_and_running_it_twice_sends_nothing_twice(app, ctx):
    """`flask memberships-daily` run twice on one day: the reminder goes once, and it is committed."""
    _member(valid_until=add_months(service_today(), 1))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "Sent 1 expiry reminders" in runner.invoke(args=["memberships-daily"]).output
    assert "Sent 0 expiry reminders" in runner.invoke(args=["memberships-daily"]).output
    db.session.rollback()
    assert len(_notes("membership_expiring")) == 1


def test_the_daily_job_reads_only_the_memberships_that_may_be_owed_something_today(ctx):
    """At national scale millions of memberships expire within six months; the job must not read them all each day
    to remind a few thousand. Every membership reminder_due owes something, and every expired one, is read; one
    already reminded at its threshold is not (a few days' slack at month ends aside)."""
    from trusted_traveler.memberships.lifecycle import owed_something
    from trusted_traveler.memberships.models import Membership

    today = D(2027, 3, 31)  # a month end, where six and three months back are shorter months
    made = []
    for offset in range(-2, 200, 3):
        for last in (None, 6, 3, 1):
            membership = _member(valid_until=today + dt.timedelta(days=offset))
            membership.last_reminder_months = last
            made.append(membership)
    db.session.flush()
    read = set(db.session.scalars(select(Membership.id).where(owed_something(today))))
    owed = {m.id for m in made if m.valid_until <= today or reminder_due(m, today) is not None}
    assert owed <= read
    extra = [m for m in made if m.id in read - owed]
    near_a_threshold = [add_months(today, months) for months in (6, 3, 1)]
    assert all(any(0 <= (m.valid_until - t).days <= 4 for t in near_a_threshold) for m in extra), [
        (m.valid_until, m.last_reminder_months) for m in extra
    ]
    assert len(read) < len(made) / 2  # most are owed nothing today
