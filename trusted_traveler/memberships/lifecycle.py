"""The daily membership job: expiry reminders 6, 3 and 1 months before `valid_until`, then Expired on the day, or,
while a renewal filed before that day is pending, when it is decided or the grace period ends (BRIEF.md 2).

Run by `flask memberships-daily` and once a day by `flask worker`. Idempotent and safe to run twice at once: each
step is a conditional UPDATE (`last_reminder_months` lowered only if it is higher, `status` moved only from
active), and the notification is written only by the run whose UPDATE changed the row, in the same transaction.
Revoked memberships are never touched. A renewal closed without approval after the expiry date expires the
membership it kept in use at once (`renewal_closed`, from the transition). Flushes; the caller commits.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_date
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day, later
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import kept_by_pending_renewal, renewal_of, renewal_window
from trusted_traveler.notifications.service import notify
from trusted_traveler.profiles.models import ApplicantProfile

REMINDER_MONTHS = (6, 3, 1)  # largest first
RENEW_LINK = "/apply"


@dataclass
class DailyResult:
    reminded: int = 0
    expired: int = 0


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (or earlier, when negative), or that month's last day when it is
    shorter (31 August minus six months is 28 or 29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_before(day: dt.date, months: int) -> dt.date:
    return add_months(day, -months)


def reminder_due(membership: Membership, today: dt.date) -> int | None:
    """The reminder this membership is owed today (6, 3 or 1), or None. Only the nearest threshold passed counts,
    so a member first seen two months before expiry gets the 3-month reminder once, not three."""
    if today >= membership.valid_until:
        return None
    passed = [m for m in REMINDER_MONTHS if today >= months_before(membership.valid_until, m)]
    if not passed:
        return None
    due = min(passed)
    if membership.last_reminder_months is not None and membership.last_reminder_months <= due:
        return None
    return due


def owed_something(today: dt.date):
    """SQL: the active memberships that expire today or earlier, unless a pending renewal filed before their expiry
    date keeps them in use (service.kept_by_pending_renewal), or may be owed a reminder today: inside a threshold's
    window and not yet reminded at that threshold. reminder_due decides; this only keeps the job from reading every
    membership of the next six months each day (millions at national scale) to remind a few thousand, and every
    membership a renewal keeps in use each day of its grace period. A few days' slack for month ends: 31 August's
    six-month reminder is due on 28 February."""
    slack = dt.timedelta(days=4)
    last = Membership.last_reminder_months
    within = [
        and_(
            Membership.valid_until > today,
            Membership.valid_until <= add_months(today, months) + slack,
            or_(last.is_(None), last > months),
        )
        for months in REMINDER_MONTHS
    ]
    expiring = and_(Membership.valid_until <= today, ~kept_by_pending_renewal(today))
    return and_(Membership.status == "active", or_(expiring, *within))


def _superseded(membership: Membership):
    """A later unrevoked membership of the same program. A renewal now extends the membership it renews and keeps
    its number (service.issue_membership); a later row is one an early renewal left before that, or a new
    membership after a lapse."""
    later = aliased(Membership)
    return exists().where(
        later.profile_id == membership.profile_id,
        later.program_id == membership.program_id,
        later.id != membership.id,
        later.valid_until > membership.valid_until,
        later.status != "revoked",
    )


def _fmt(day: dt.date):
    """The date as the member will read it, in their language (written when the message is)."""
    return later(format_day, day)


def _remind(membership: Membership, months: int, today: dt.date) -> bool:
    renewing = exists().where(renewal_of(membership, under_way=True))
    if db.session.scalar(select(or_(_superseded(membership), renewing))):
        return False  # already renewed or renewing: a reminder to renew would only confuse
    # Conditional, so two runs at once cannot both send it: the second one's UPDATE matches no row.
    claimed = db.session.execute(
        update(Membership)
        .where(
            Membership.id == membership.id,
            Membership.status == "active",
            or_(Membership.last_reminder_months.is_(None), Membership.last_reminder_months > months),
        )
        .values(last_reminder_months=months)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    membership.last_reminder_months = months
    opens, _closes = renewal_window(membership)
    program = membership.program.name
    renew = (
        _l("You can renew now.")
        if opens <= today
        else _l("You can renew from %(date)s; we will remind you again before it expires.", date=_fmt(opens))
    )
    notify(
        membership.profile.account,
        kind="membership_expiring",
        title=_l("Your %(program)s membership expires on %(date)s", program=program, date=_fmt(membership.valid_until)),
        body=_l(
            "Your %(program)s membership expires on %(date)s. %(renew)s Renewing reuses your profile; check it is up "
            "to date, then choose to renew.",
            program=program,
            date=_fmt(membership.valid_until),
            renew=renew,
        ),
        link=RENEW_LINK,
    )
    return True


def _renewal_filed_before_expiry(membership: Membership) -> tuple[Application | None, bool]:
    """The latest renewal of `membership` submitted on a day before its expiry date, decided or not, and whether it
    is still pending (service.renewal_of); (None, False) when there is none."""
    row = db.session.execute(
        select(Application, renewal_of(membership, pending=True))
        .where(renewal_of(membership, filed_before_expiry=True))
        .order_by(Application.id.desc())
        .limit(1)
    ).first()
    return (row[0], bool(row[1])) if row is not None else (None, False)


def _expire(membership: Membership, today: dt.date) -> bool:
    claimed = db.session.execute(
        update(Membership)
        .where(Membership.id == membership.id, Membership.status == "active")
        .values(status="expired")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    membership.status = "expired"
    if db.session.scalar(select(_superseded(membership))):
        return True  # the renewal carries on from here; nothing for the member to do
    program = membership.program.name
    _opens, closes = renewal_window(membership)
    if closes > today:
        next_step = _l(
            "You can still renew it until %(date)s; after that you would apply again as new.", date=_fmt(closes)
        )
    else:
        next_step = _l("To keep it, apply again.")
    renewal, pending = _renewal_filed_before_expiry(membership) if today > membership.valid_until else (None, False)
    if pending:
        # The grace period ended with the renewal still pending: approving it makes the membership active again.
        next_step = _l(
            "Your renewal %(reference)s is still open; if it is approved, your membership will be active again.",
            reference=renewal.reference,
        )
    closed_on = (renewal.decided_at or renewal.status_entered_at) if renewal is not None else None
    if pending or (closed_on is not None and service_date(closed_on) >= membership.valid_until):
        # Its benefits went on after the expiry date while the renewal was pending.
        body = _l(
            "Your %(program)s membership expired on %(date)s. Its benefits continued while your renewal was "
            "pending and have now ended. %(next_step)s",
            program=program,
            date=_fmt(membership.valid_until),
            next_step=next_step,
        )
    else:
        body = _l(
            "Your %(program)s membership expired on %(date)s. %(next_step)s",
            program=program,
            date=_fmt(membership.valid_until),
            next_step=next_step,
        )
    notify(
        membership.profile.account,
        kind="membership_expired",
        title=_l("Your %(program)s membership has expired", program=program),
        body=body,
        link=RENEW_LINK,
    )
    return True


def renewal_closed(renewal: Application, today: dt.date) -> bool:
    """A renewal closed without approval (denied, withdrawn): the membership it renews no longer has anything to
    wait for, so if its expiry date has come it expires now, not at the next daily run. At most one application of
    a program is open, so no other renewal can be keeping it. Returns whether it expired."""
    if renewal.renewal_of_id is None:
        return False
    membership = db.session.scalar(
        select(Membership)
        .where(
            Membership.application_id == renewal.renewal_of_id,
            Membership.status == "active",
            Membership.valid_until <= today,
        )
        .options(joinedload(Membership.profile).joinedload(ApplicantProfile.account))
    )
    return membership is not None and _expire(membership, today)


def run_daily(today: dt.date) -> DailyResult:
    """Send the expiry reminders due today and expire memberships whose `valid_until` is today or earlier, except
    those a pending renewal filed before that day keeps in use (until it is decided or the grace period ends)."""
    result = DailyResult()
    candidates = db.session.scalars(
        select(Membership)
        .where(owed_something(today))
        .options(joinedload(Membership.profile).joinedload(ApplicantProfile.account))  # each notice's addressee
        .order_by(Membership.valid_until, Membership.id)
    )
    for membership in list(candidates):
        if membership.valid_until <= today:
            result.expired += _expire(membership, today)
        elif (months := reminder_due(membership, today)) is not None:
            result.reminded += _remind(membership, months, today)
    db.session.flush()
    return result
