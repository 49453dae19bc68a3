"""Memberships and Known Traveler Numbers."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from trusted_traveler.errors import NotFound
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.programs.service import parameter_value


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


def issue_membership(application, *, today: dt.date) -> Membership:
    """Create the membership an approved application earns. A renewal extends from the old expiry."""
    program = application.program
    start = today
    if application.renewal_of is not None:
        previous = db.session.scalar(select(Membership).where(Membership.application_id == application.renewal_of_id))
        if previous is not None and previous.valid_until > today:
            start = previous.valid_until
    membership = Membership(
        profile_id=application.profile_id,
        program_id=program.id,
        ktn=new_ktn(program.code),
        valid_from=today,
        valid_until=validity_until(program, application.profile.date_of_birth, start),
        application_id=application.id,
    )
    db.session.add(membership)
    return membership


def memberships_for(profile_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership).where(Membership.profile_id == profile_id).order_by(Membership.valid_from.desc())
        )
    )


def renewal_window(membership: Membership) -> tuple[dt.date, dt.date]:
    """The dates between which `membership` may be renewed (dated parameters: the renewal window before expiry and
    the grace period after it, each the value in force on the expiry date, so a membership's window does not move
    under it when a later change takes effect; no grace period parameter means none)."""
    program = membership.program
    before = int(parameter_value(program, "renewal_window_days", membership.valid_until))
    try:
        after = int(parameter_value(program, "grace_period_days", membership.valid_until))
    except NotFound:
        after = 0
    return membership.valid_until - dt.timedelta(days=before), membership.valid_until + dt.timedelta(days=after)


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
