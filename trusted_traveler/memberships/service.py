"""Memberships and Known Traveler Numbers."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import UNDER_WAY
from trusted_traveler.db import service_day
from trusted_traveler.errors import NotFound
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.programs.models import program_includes
from trusted_traveler.programs.service import parameter_value
from trusted_traveler.rules.service import parameter_periods_in_force


def new_ktn(program_code: str) -> str:
    """Global Entry: a 9-digit PASSID starting 15, 98 or 99. PreCheck: TT followed by 7 digits.
    Unique across the service and never reused (memberships are never deleted)."""
    for _ in range(20):
        if program_code == "global_entry":
            candidate = secrets.choice(("15", "98", "99")) + f"{secrets.randbelow(10**7):07d}"
        else:
            candidate = f"TT{secrets.randbelow(10**7):07d}"
        if db.session.scalar(select(Membership.id).where(Membership.ktn == candidate)) is None:
            return candidate
    raise RuntimeError("could not find a free Known Traveler Number")  # 20 collisions: the space is exhausted


def _birthday_in_year(date_of_birth: dt.date, year: int) -> dt.date:
    try:
        return date_of_birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 2, 28)


def validity_until(program, date_of_birth: dt.date | None, start: dt.date) -> dt.date:
    """Global Entry ends on the member's birthday in the fifth year; PreCheck five years from the start."""
    years = int(parameter_value(program, "validity_years", start))
    if program.code == "global_entry" and date_of_birth:
        return _birthday_in_year(date_of_birth, start.year + years)
    return _birthday_in_year(start, start.year + years)


def renewed_membership(application) -> Membership | None:
    """The membership a renewal application carries on: the one held by the application it renews, unless that
    was revoked (a revoked number stays stopped; only reconsidering the revocation brings it back). None for a new
    application."""
    if application.renewal_of_id is None:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.application_id == application.renewal_of_id, Membership.status != "revoked")
    )


def issue_membership(application, *, today: dt.date) -> Membership:
    """The membership an approved application earns.

    A renewal keeps the member's Known Traveler Number (BRIEF.md 2: the KTN is kept on renewal): the membership it
    renews is extended in place rather than joined by a second one, so a member never holds two numbers that both
    work, and revoking one membership row stops the number. The new term runs on from the old expiry when that is
    still ahead (early renewal loses nothing), else from today; the row then belongs to the renewal application
    (the application that last issued or renewed it, which the next renewal points at), is active again (a Global
    Entry renewal may come inside the grace period, after the daily job marked it expired) and owes the new term's
    reminders afresh.
    """
    program = application.program
    previous = renewed_membership(application)
    if previous is not None:
        return extend_membership(previous, application, today=today)
    membership = Membership(
        profile_id=application.profile_id,
        program_id=program.id,
        ktn=new_ktn(program.code),
        valid_from=today,
        valid_until=validity_until(program, application.profile.date_of_birth, today),
        application_id=application.id,
    )
    db.session.add(membership)
    return membership


def extend_membership(membership: Membership, application, *, today: dt.date) -> Membership:
    """The renewal `application`'s new term on the `membership` it renews (its renewed_membership), same number."""
    start = max(membership.valid_until, today)
    membership.valid_until = validity_until(application.program, application.profile.date_of_birth, start)
    membership.application = application  # the relationship, not only its id: read in this transaction too
    membership.status = "active"
    membership.last_reminder_months = None
    return membership


def unrevoked_memberships(profile_id: int, program_id: int) -> list[Membership]:
    """Every membership of a profile in a program that has not been revoked (a revocation stops them all: before
    renewals kept the number, an early renewal left a second membership with its own number)."""
    return list(
        db.session.scalars(
            select(Membership)
            .where(
                Membership.profile_id == profile_id,
                Membership.program_id == program_id,
                Membership.status != "revoked",
            )
            .order_by(Membership.id)
        )
    )


def memberships_for(profile_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.profile_id == profile_id).order_by(Membership.valid_from.desc())
        )
    )


GRACE_PERIOD = "grace_period_days"


def grace_days(program, expiry: dt.date) -> int:
    """The grace period after a membership's expiry date, in days: the dated parameter in force on that date (so it
    does not move under a membership when a later change takes effect); none in force means none (PreCheck)."""
    try:
        return int(parameter_value(program, GRACE_PERIOD, expiry))
    except NotFound:
        return 0


def renewal_window(membership: Membership) -> tuple[dt.date, dt.date]:
    """The dates between which `membership` may be renewed (dated parameters: the renewal window before expiry and
    the grace period after it, each the value in force on the expiry date, so a membership's window does not move
    under it when a later change takes effect; no grace period parameter means none)."""
    program = membership.program
    before = int(parameter_value(program, "renewal_window_days", membership.valid_until))
    after = grace_days(program, membership.valid_until)
    return membership.valid_until - dt.timedelta(days=before), membership.valid_until + dt.timedelta(days=after)


# --- Benefits while a renewal is pending ----------------------------------------------------------------------
# BRIEF.md 2: a renewal filed before expiry keeps the benefits while it is pending, for up to the grace period.
# The membership then stays active past its valid_until: until the renewal is decided (approval extends it; a denial
# expires it at once: lifecycle.renewal_closed) or the grace period ends (valid_until + grace days, the day the
# daily job expires it, as it expires an ordinary membership on valid_until). A renewal filed after expiry, inside
# the grace period, renews the number but brings no benefits back until it is approved. Only programs with a grace
# period in force on the expiry date (today Global Entry) keep benefits so.


UNDER_WAY_STATUSES = tuple(sorted(s.value for s in UNDER_WAY))


def renewal_of(
    membership=Membership,
    renewal=Application,
    *,
    filed_before_expiry: bool = False,
    under_way: bool = False,
    pending: bool = False,
):
    """SQL: `renewal` renews `membership`: it points at the application that holds the membership (the one that issued
    or last renewed it, where a revocation is decided too), narrowed by what is asked:

    - `filed_before_expiry`: submitted (paid) on a day before the membership's expiry date, the service's day
      (`service_day`; a draft has no such day);
    - `under_way`: submitted and not closed (a denial taken back to reconsideration included: the member is renewing);
    - `pending`: under way and never decided (a denial taken back to reconsideration was: it keeps no benefits again).

    A renewal that keeps the membership's benefits (BRIEF.md 2) is filed before expiry and pending. `membership` and
    `renewal` may be entities, aliases or (`membership`) a loaded row, whose values are then bound."""
    conditions = [renewal.renewal_of_id == membership.application_id]
    if under_way or pending:
        conditions.append(renewal.status.in_(UNDER_WAY_STATUSES))
    if pending:
        conditions.append(renewal.decided_at.is_(None))
    if filed_before_expiry:
        conditions.append(service_day(renewal.submitted_at) < membership.valid_until)
    return and_(*conditions)


def within_grace_period(today: dt.date, membership=Membership):
    """SQL: memberships whose grace period after expiry has not ended on `today` (valid_until + grace days > today,
    with the grace period in force on each one's valid_until). The periods of the dated parameter become one range
    of expiry dates each, so the database compares dates with dates computed here and reads no parameter per row;
    the periods are read once a minute per worker, as the rule books are (rules.service.parameter_periods_in_force)."""
    clauses = []
    for program_id, periods in parameter_periods_in_force(GRACE_PERIOD).items():
        for start, until, days in periods:
            if not days or int(days) <= 0:
                continue
            clauses.append(
                and_(
                    membership.program_id == program_id,
                    membership.valid_until >= start,
                    *([membership.valid_until < until] if until is not None else []),
                    membership.valid_until > today - dt.timedelta(days=int(days)),
                )
            )
    return or_(false(), *clauses)


@functools.cache
def _renewal_alias():
    """The renewal side of `renewal_of` in statements that also read the membership's own application: one alias,
    made on first use (the mappers are configured by then). A new alias per call costs its columns' adaptation each
    time: the status page's renewal look-up took 2.2-2.6 ms with it and 1.0-1.2 ms without; the SQL is the same."""
    return aliased(Application, name="renewal")


def kept_by_pending_renewal(today: dt.date, membership=Membership):
    """SQL: active memberships past their expiry date whose benefits continue on `today`: a renewal filed before
    the expiry date is pending and the grace period has not ended. The daily job leaves them active."""
    renewal = _renewal_alias()
    return and_(
        membership.status == "active",
        membership.valid_until <= today,
        exists().where(renewal_of(membership, renewal, filed_before_expiry=True, pending=True)),
        within_grace_period(today, membership),
    )


@dataclass(frozen=True)
class PendingRenewal:
    """A renewal that keeps (or, if still pending on the expiry date, will keep) a membership in use."""

    reference: str  # the renewal application's
    until: dt.date  # the end of the grace period: the benefits continue until it at the latest
    expired: bool  # past the expiry date: the membership is in use only because of the renewal


def pending_renewals(memberships: list[Membership], today: dt.date) -> dict[int, PendingRenewal]:
    """The renewals keeping each of `memberships` in use after its expiry date, by membership id: a renewal filed
    before the expiry date and still pending, for a membership that is active and whose program has a grace period
    that has not ended. One statement for the renewals, whatever the number of memberships (at most one renewal
    is open per program); the grace period is read only for those that have one."""
    active = {m.id: m for m in memberships if m.status == "active"}
    if not active:
        return {}
    renewal = _renewal_alias()
    rows = db.session.execute(
        select(Membership.id, renewal.reference)
        .join(renewal, renewal_of(Membership, renewal, filed_before_expiry=True, pending=True))
        .where(Membership.id.in_(sorted(active)))
    ).all()
    found = {}
    for membership_id, reference in rows:
        membership = active[membership_id]
        until = renewal_window(membership)[1]
        if until > membership.valid_until and until > today:
            found[membership_id] = PendingRenewal(reference, until, expired=membership.valid_until <= today)
    return found


@dataclass(frozen=True)
class OpenRenewal:
    """A membership whose renewal window is open today, for the member to act on."""

    renew_by: dt.date  # before expiry: the last day it is valid; after it (a grace period): the window's last day
    lapsed: bool  # past the expiry date: renewing renews the number, but the benefits stopped on that day


def open_renewals(memberships: list[Membership], today: dt.date, *, busy_program_ids=()) -> dict[int, OpenRenewal]:
    """By membership id, the memberships among `memberships` (one person's) that can be renewed on `today`, as the
    apply page offers it (casework.service.program_options): the latest unrevoked one of its program, inside its
    renewal_window, with no application open for the program (`busy_program_ids`: a renewal started or under way)
    and not included by another membership the person holds. Reads only for memberships inside their window."""
    latest: dict[int, Membership] = {}
    for membership in memberships:
        if membership.status == "revoked":
            continue
        kept = latest.get(membership.program_id)
        if kept is None or membership.valid_until > kept.valid_until:
            latest[membership.program_id] = membership
    found = {}
    for program_id, membership in latest.items():
        if program_id in busy_program_ids:
            continue
        opens, closes = renewal_window(membership)
        if not opens <= today <= closes or including_membership(membership.profile_id, membership.program, today):
            continue
        if today < membership.valid_until:
            found[membership.id] = OpenRenewal(membership.valid_until - dt.timedelta(days=1), lapsed=False)
        else:
            found[membership.id] = OpenRenewal(closes, lapsed=True)
    return found


def latest_membership(profile_id: int, program_id: int) -> Membership | None:
    """The member's latest membership of a program whatever its status (latest expiry, then latest issued): the
    one their standing in the program rests on now, and the application that holds it is where it is decided."""
    return latest_memberships(profile_id).get(program_id)


def latest_memberships(profile_id: int) -> dict[int, Membership]:
    """`latest_membership` of each program the person has held one of, by program id, in one statement (a person
    holds a few memberships at most)."""
    latest: dict[int, Membership] = {}
    for membership in db.session.scalars(
        select(Membership)
        .where(Membership.profile_id == profile_id)
        .order_by(Membership.valid_until.desc(), Membership.id.desc())
    ):
        latest.setdefault(membership.program_id, membership)
    return latest


def current_membership(profile_id: int, program_id: int, today: dt.date) -> Membership | None:
    """The member's latest unrevoked membership of a program that is still valid or within its grace period."""
    latest = db.session.scalar(
        select(Membership)
        .where(Membership.profile_id == profile_id, Membership.program_id == program_id, Membership.status != "revoked")
        .order_by(Membership.valid_until.desc())
        .limit(1)
    )
    if latest is None or renewal_window(latest)[1] < today:
        return None
    return latest


def including_membership(profile_id: int, program, today: dt.date) -> Membership | None:
    """A membership the person holds on `today` in a program that includes `program` (Global Entry includes TSA
    PreCheck, BRIEF.md section 2: its Known Traveler Number works for both), the one that lasts longest: active,
    begun, and either not yet at its `valid_until` (the day it expires) or kept in use by a renewal filed before
    that day (kept_by_pending_renewal). An application under way gives nothing yet, and neither does a membership
    merely in its grace period: it has expired."""
    includers = db.session.scalars(
        select(program_includes.c.program_id).where(program_includes.c.included_program_id == program.id)
    ).all()
    if not includers:  # Global Entry: no program includes it
        return None
    return db.session.scalar(
        select(Membership)
        .join(program_includes, program_includes.c.program_id == Membership.program_id)
        .where(
            program_includes.c.included_program_id == program.id,
            Membership.profile_id == profile_id,
            Membership.status == "active",
            Membership.valid_from <= today,
            or_(Membership.valid_until > today, kept_by_pending_renewal(today)),
        )
        .order_by(Membership.valid_until.desc(), Membership.id)
        .limit(1)
    )


def in_use_until(membership: Membership, today: dt.date) -> dt.date:
    """The last day `membership`'s number can be counted on as of `today`: its expiry date, or, while a renewal filed
    before that date keeps it in use, the end of the grace period."""
    if membership.valid_until > today:
        return membership.valid_until
    pending = pending_renewals([membership], today).get(membership.id)
    return pending.until if pending is not None else membership.valid_until
