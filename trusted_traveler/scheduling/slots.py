"""Turning weekly opening hours into bookable slots. Hours are kept in the center's local time; slots are stored in
UTC, so a center keeps opening at 8:00 local time on both sides of a daylight-saving change."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from flask import current_app
from sqlalchemy import select

from trusted_traveler.extensions import db
from trusted_traveler.locking import insert_skipping_conflicts
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot


@cache
def _holiday_calendar(country: str, region: str, year: int):
    try:
        return holidays.country_holidays(country, subdiv=region or None, years=year)
    except (NotImplementedError, KeyError):  # a region the package does not know: the national days
        return holidays.country_holidays(country, years=year)


def is_holiday(center: EnrollmentCenter, day: dt.date) -> str | None:
    """The public holiday (U.S. federal, or the province's for a Canadian center) on `day`, if any."""
    region = center.state if center.country_code == "CA" else ""
    return _holiday_calendar(center.country_code or "US", region, day.year).get(day)


def closed_on(center: EnrollmentCenter, day: dt.date) -> str | None:
    """Why the center is closed on `day`, or None when it is open."""
    for closure in center.closures:
        if closure.starts_on <= day <= closure.ends_on:
            return closure.reason
    return is_holiday(center, day)


def local_to_utc(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a local wall-clock time, or None when that time does not exist (the hour skipped when
    clocks go forward). An ambiguous time (the hour repeated when clocks go back) is its first occurrence."""
    local = dt.datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def planned_slots(
    center: EnrollmentCenter, start: dt.date, days: int, *, templates=None
) -> list[tuple[dt.datetime, int, int]]:
    """(start in UTC, minutes, seats) for every slot the templates open from `start` for `days` days: none at a
    center that is not operational (a re-plan then keeps only what is booked, as conflicts). Each day follows the
    weekly hours dated for it (valid_from to valid_until). `templates`, when given, stands for the center's weekly
    hours (anything with their attributes: a change's preview plans hours not saved yet)."""
    if not center.operational:
        return []
    zone = ZoneInfo(center.tz_name)
    planned = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if closed_on(center, day):
            continue
        for template in center.capacity if templates is None else templates:
            if template.weekday != day.weekday() or template.valid_from > day:
                continue
            if template.valid_until is not None and template.valid_until < day:
                continue
            at = dt.datetime.combine(day, template.opens_at)
            end = dt.datetime.combine(day, template.closes_at)
            while at + dt.timedelta(minutes=template.slot_minutes) <= end:
                instant = local_to_utc(day, at.time(), zone)
                if instant is not None:
                    planned.append((instant, template.slot_minutes, template.seats))
                at += dt.timedelta(minutes=template.slot_minutes)
    return planned


def generate_slots(center: EnrollmentCenter, *, start: dt.date, days: int, after: dt.datetime | None = None) -> int:
    """Create the slots the center's hours open in the period (only those starting after `after`, if given);
    existing slots are left as they are, and so is one another transaction creates meanwhile (two workers starting
    at once, or a worker beside `flask generate-slots` or a center's re-plan: the insert skips a start the unique
    (center, start) already holds instead of failing). Returns how many were created."""
    planned = [p for p in planned_slots(center, start, days) if after is None or p[0] > after]
    if not planned:
        return 0
    first, last = min(at for at, _, _ in planned), max(at for at, _, _ in planned)
    existing = set(
        db.session.scalars(
            select(Slot.starts_at).where(Slot.center_id == center.id, Slot.starts_at >= first, Slot.starts_at <= last)
        )
    )
    new = [
        {"center_id": center.id, "starts_at": at, "duration_minutes": minutes, "capacity": seats}
        for at, minutes, seats in planned
        if at not in existing
    ]
    if not new:
        return 0
    created = db.session.execute(insert_skipping_conflicts(Slot).returning(Slot.id), new)
    return len(created.all())


def booking_window_weeks() -> int:
    """How many weeks ahead travelers can book (the setting BOOKING_WINDOW_WEEKS, 8 unless set)."""
    return current_app.config["BOOKING_WINDOW_WEEKS"]


def booking_window_end(today: dt.date) -> dt.date:
    """The last day of the booking window that starts on `today` (the service's today): the last day that
    generate_all(start=today, days=7 * booking_window_weeks()) opens."""
    return today + dt.timedelta(days=7 * booking_window_weeks() - 1)


def generate_all(*, start: dt.date, days: int) -> int:
    centers = db.session.scalars(select(EnrollmentCenter).where(EnrollmentCenter.operational.is_(True)))
    return sum(generate_slots(center, start=start, days=days) for center in centers)


def local_time(instant: dt.datetime, center: EnrollmentCenter) -> dt.datetime:
    return instant.astimezone(ZoneInfo(center.tz_name))
