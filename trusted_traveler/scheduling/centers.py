"""Editing enrollment centers: details, services, policies, weekly hours and closures. Changes to hours, closures,
time zone, programs and whether the center is operational re-plan the future slots (see capacity.replan); every
change is audited.

Weekly hours are dated data: a change takes effect from a day (today at the soonest, within a year), the hours
before it are ended the day before and kept (the center's hours history), and a change that has not started yet can
be withdrawn. Before saving, preview_weekly_hours says what the change would do; the save carries the version of the
hours the preview read (hours_version), so a preview made stale by another change saves nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from trusted_traveler.audit.record import record_event
from trusted_traveler.db import service_date
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.locking import locked
from trusted_traveler.scheduling.capacity import Replanned, conflicts, plan_with_hours, replan
from trusted_traveler.scheduling.models import (
    Appointment,
    CapacityTemplate,
    Closure,
    EnrollmentCenter,
    SchedulerService,
    Slot,
)
from trusted_traveler.scheduling.slots import local_time

# What the slots are planned from beside the hours and closures: a change to one re-plans them.
REPLANNED_BY = {"operational", "tz_name", "services"}

# The longest closure: a long renovation. A center that closes for good is marked not operational instead.
MAX_CLOSURE_DAYS = 366


def update_details(
    center: EnrollmentCenter, *, by, fields: dict[str, Any], service_ids: list[int], now: dt.datetime
) -> Replanned | None:
    """Save the center's details and programs. A change to whether it is operational, its time zone (its hours are
    local times: the free times follow the new zone) or its programs re-plans its slots (capacity.replan: bookings
    it can no longer keep are conflicts, and their travelers told); returns what the re-plan did, or None when
    nothing was re-planned."""
    services = list(db.session.scalars(select(SchedulerService).where(SchedulerService.id.in_(service_ids))))
    if not services:
        raise BusinessRuleViolation("A center must offer at least one service.")
    changed = [name for name, value in fields.items() if getattr(center, name) != value]
    if sorted(s.id for s in center.services) != sorted(s.id for s in services):
        changed.append("services")
    known = conflicts(center, now) if REPLANNED_BY.intersection(changed) else None  # before the change
    for name in changed:
        setattr(center, name, services if name == "services" else fields[name])
    db.session.flush()
    if changed:
        record_event("center.updated", "enrollment_center", center.id, by=by, fields=sorted(changed))
    return None if known is None else replan(center, by=by, now=now, known=known)


# How far ahead a change of weekly hours may be dated.
MAX_DAYS_AHEAD = 365


class HoursChanged(BusinessRuleViolation):
    """The center's weekly hours changed after the preview the save was confirmed from."""


@dataclass(frozen=True)
class WeeklyHours:
    """One weekday's hours not saved yet (a preview's), with a template's attributes (slots.planned_slots)."""

    weekday: int
    opens_at: dt.time
    closes_at: dt.time
    slot_minutes: int
    seats: int
    valid_from: dt.date
    valid_until: dt.date | None = None


def rows_as_hours(rows: list[dict], effective_from: dt.date) -> list[WeeklyHours]:
    return [WeeklyHours(valid_from=effective_from, **row) for row in rows]


def slots_a_day(hours) -> int:
    """How many slots one weekday's hours open (the last one ends by closing time)."""
    length = dt.datetime.combine(dt.date.min, hours.closes_at) - dt.datetime.combine(dt.date.min, hours.opens_at)
    return max(0, int(length.total_seconds() // 60) // hours.slot_minutes)


def seats_a_week(hours) -> dict[int, int]:
    """Seats each weekday (0 = Monday) opens in an ordinary week, without holidays or closures."""
    seats = dict.fromkeys(range(7), 0)
    for day in hours:
        seats[day.weekday] += slots_a_day(day) * day.seats
    return seats


@dataclass(frozen=True)
class HourPeriod:
    """A stretch of days with the same weekly hours: from `starts_on` to `ends_on` (None: until changed). `hours`
    is empty when the center was closed every day of the week then. `state`: ended, current or scheduled."""

    starts_on: dt.date
    ends_on: dt.date | None
    hours: list
    state: str

    @property
    def seats_per_week(self) -> int:
        return sum(seats_a_week(self.hours).values())


def hour_periods(center: EnrollmentCenter, today: dt.date) -> list[HourPeriod]:
    """The center's weekly hours as periods, oldest first: each starts where hours were dated from or ended."""
    templates = list(center.capacity)
    starts = {t.valid_from for t in templates} | {
        t.valid_until + dt.timedelta(days=1) for t in templates if t.valid_until is not None
    }
    bounds = sorted(starts)
    periods = []
    for index, first in enumerate(bounds):
        last = bounds[index + 1] - dt.timedelta(days=1) if index + 1 < len(bounds) else None
        hours = sorted(
            (t for t in templates if t.valid_from <= first and (t.valid_until is None or t.valid_until >= first)),
            key=lambda t: (t.weekday, t.opens_at),
        )
        state = "scheduled" if first > today else "ended" if last is not None and last < today else "current"
        periods.append(HourPeriod(first, last, hours, state))
    return periods


def hours_on(center: EnrollmentCenter, day: dt.date) -> list[CapacityTemplate]:
    """The weekly hours dated for `day`, by weekday."""
    return sorted(
        (t for t in center.capacity if t.valid_from <= day and (t.valid_until is None or t.valid_until >= day)),
        key=lambda t: (t.weekday, t.opens_at),
    )


def hours_version(center: EnrollmentCenter) -> str:
    """A short digest of every weekly-hours row the center has: a preview carries it, and the save refuses to go on
    when the hours are no longer the ones the preview read."""
    rows = sorted(
        (
            t.id or 0,
            t.weekday,
            str(t.opens_at),
            str(t.closes_at),
            t.slot_minutes,
            t.seats,
            str(t.valid_from),
            str(t.valid_until),
        )
        for t in center.capacity
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def center_today(center: EnrollmentCenter, now: dt.datetime) -> dt.date:
    """The center's own today: its hours are dated in its local days (its evening is already tomorrow in UTC)."""
    return local_time(now, center).date()


def effective_window(center: EnrollmentCenter, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last day a change of weekly hours may take effect from: the center's today, a year on."""
    today = center_today(center, now)
    return today, today + dt.timedelta(days=MAX_DAYS_AHEAD)


def first_unopened_day(center: EnrollmentCenter, now: dt.datetime) -> dt.date:
    """The first day travelers cannot book at the center yet: the day after its furthest slot (slots are opened
    some weeks ahead), or its today when it has no slot to come. A change of hours from then affects no booking, so
    the form offers it first."""
    today, latest = effective_window(center, now)
    furthest = db.session.scalar(select(func.max(Slot.starts_at)).where(Slot.center_id == center.id))
    if furthest is None:
        return today
    return min(latest, max(today, local_time(furthest, center).date() + dt.timedelta(days=1)))


def long_day(day: dt.date) -> str:
    """A day in staff pages' words: "Tuesday, September 1, 2026"."""
    return day.strftime("%A, %B ") + str(day.day) + day.strftime(", %Y")


def check_effective_from(center: EnrollmentCenter, day: dt.date, now: dt.datetime) -> None:
    """Refuse a date a change of hours cannot take effect from, saying which dates it can (field effective_from)."""
    today, latest = effective_window(center, now)
    if day < today:
        raise BusinessRuleViolation(
            f"New hours cannot start in the past. Choose today ({long_day(today)}) or a later day.",
            field="effective_from",
        )
    if day > latest:
        raise BusinessRuleViolation(
            f"Choose a day within a year: {long_day(latest)} at the latest.", field="effective_from"
        )


@dataclass(frozen=True)
class HoursPreview:
    """What saving new weekly hours from `effective_from` would do, before anything is saved: the booked
    appointments from that day on that would no longer fit (`affected`, in time order), those in conflict now that
    would fit again (`cleared`), the seats each weekday opens before and after (an ordinary week), and the scheduled
    changes the new hours replace. `version`: the hours it was read from (hours_version)."""

    effective_from: dt.date
    version: str
    affected: list[Appointment]
    cleared: list[Appointment]
    seats_before: dict[int, int]
    seats_after: dict[int, int]
    replaces: list[HourPeriod]

    @property
    def seats_change(self) -> int:
        return sum(self.seats_after.values()) - sum(self.seats_before.values())


def preview_weekly_hours(
    center: EnrollmentCenter, rows: list[dict], *, effective_from: dt.date, now: dt.datetime
) -> HoursPreview:
    """The effect of saving `rows` (as for set_weekly_hours) from `effective_from`, counted as the save counts it
    (capacity.conflicts over the plan the new hours make), without changing anything."""
    check_effective_from(center, effective_from, now)
    new = rows_as_hours(rows, effective_from)
    known = conflicts(center, now)
    found = conflicts(center, now, plan=plan_with_hours(center, now, hours=new, effective_from=effective_from))
    before, after = {a.id for a in known}, {a.id for a in found}
    return HoursPreview(
        effective_from=effective_from,
        version=hours_version(center),
        affected=[a for a in found if a.id not in before],
        cleared=[a for a in known if a.id not in after],
        seats_before=seats_a_week(hours_on(center, effective_from)),
        seats_after=seats_a_week(new),
        replaces=[p for p in hour_periods(center, center_today(center, now)) if p.starts_on >= effective_from],
    )


def _lock_hours(center: EnrollmentCenter) -> None:
    """Hold the center's row until the commit, so two saves of its hours go one after the other, and read its hours
    afresh (the second then sees the first's)."""
    db.session.execute(locked(EnrollmentCenter, EnrollmentCenter.id == center.id)).scalar_one()
    db.session.expire(center, ["capacity"])


def set_weekly_hours(
    center: EnrollmentCenter,
    rows: list[dict],
    *,
    effective_from: dt.date | None = None,
    by,
    now: dt.datetime,
    version: str | None = None,
) -> Replanned:
    """New weekly hours from `effective_from` (the center's local day: today, the default, at the soonest, within a
    year). The hours in force before it are ended the day before and kept as history; hours dated from that day on
    (a change not started yet) are replaced. Then the slots from that day on are re-planned (those before it are
    left as they are). `rows`: weekday (0 = Monday), opens_at, closes_at, slot_minutes, seats. `version`, when
    given, is the hours_version the preview read: if the hours changed since, nothing is saved (HoursChanged).
    Returns the conflicts and the offers withdrawn (capacity.Replanned)."""
    _lock_hours(center)
    if version is not None and version != hours_version(center):
        raise HoursChanged(
            "The weekly hours of this center changed after your preview, so nothing was saved. The preview below "
            "counts the change from the hours as they are now: check it and save again."
        )
    today = center_today(center, now)
    effective_from = today if effective_from is None else effective_from
    check_effective_from(center, effective_from, now)
    replaced = sorted({p.starts_on for p in hour_periods(center, today) if p.starts_on >= effective_from})
    before = sum(seats_a_week(hours_on(center, effective_from)).values())
    known = conflicts(center, now)
    for template in list(center.capacity):
        if template.valid_from >= effective_from:
            center.capacity.remove(template)
        elif template.valid_until is None or template.valid_until >= effective_from:
            template.valid_until = effective_from - dt.timedelta(days=1)
    for row in rows:
        center.capacity.append(CapacityTemplate(valid_from=effective_from, **row))
    db.session.flush()
    record_event(
        "center.hours_changed",
        "enrollment_center",
        center.id,
        by=by,
        effective_from=effective_from.isoformat(),
        weekdays=len(rows),
        seats_per_week_before=before,
        seats_per_week_after=sum(seats_a_week(rows_as_hours(rows, effective_from)).values()),
        replaced=[day.isoformat() for day in replaced],
    )
    return replan(center, by=by, now=now, known=known, since=effective_from)


def withdraw_hours(center: EnrollmentCenter, starts_on: dt.date, *, by, now: dt.datetime) -> Replanned:
    """Withdraw a change of weekly hours that has not started yet: its hours go, the hours before it run on for its
    days (until the change after it, if any), and the slots from its first day are re-planned."""
    _lock_hours(center)
    today = center_today(center, now)
    period = next((p for p in hour_periods(center, today) if p.starts_on == starts_on), None)
    if period is None or period.state != "scheduled":
        raise BusinessRuleViolation(
            "That change of hours has already started or is no longer scheduled, so it cannot be withdrawn. "
            "To change the hours again, enter new hours below."
        )
    known = conflicts(center, now)
    day_before = starts_on - dt.timedelta(days=1)
    for template in list(center.capacity):
        if template.valid_from == starts_on:
            center.capacity.remove(template)
        elif template.valid_until == day_before:
            template.valid_until = period.ends_on
    db.session.flush()
    record_event(
        "center.hours_withdrawn",
        "enrollment_center",
        center.id,
        by=by,
        effective_from=starts_on.isoformat(),
        weekdays=len(period.hours),
        seats_per_week=period.seats_per_week,
    )
    return replan(center, by=by, now=now, known=known, since=starts_on)


def add_closure(
    center: EnrollmentCenter, *, starts_on: dt.date, ends_on: dt.date, reason: str, by, now: dt.datetime
) -> Replanned:
    if ends_on < starts_on:
        raise BusinessRuleViolation("The closure ends before it starts.")
    today = service_date(now)
    if ends_on < today:
        raise BusinessRuleViolation(
            _(
                "The closure ends before today (%(today)s): add closures for days still to come.",
                today=today.isoformat(),
            )
        )
    if (ends_on - starts_on).days + 1 > MAX_CLOSURE_DAYS:
        raise BusinessRuleViolation(
            _(
                "A closure can last at most %(days)s days. To close the center for good, uncheck “Operational” in "
                "its details instead.",
                days=MAX_CLOSURE_DAYS,
            )
        )
    if not reason.strip():
        raise BusinessRuleViolation("Give a reason for the closure; travelers will see it.")
    known = conflicts(center, now)
    center.closures.append(Closure(starts_on=starts_on, ends_on=ends_on, reason=reason.strip()))
    db.session.flush()
    record_event(
        "center.closure_added", "enrollment_center", center.id, by=by, starts_on=str(starts_on), ends_on=str(ends_on)
    )
    return replan(center, by=by, now=now, known=known)


def remove_closure(center: EnrollmentCenter, closure_id: int, *, by, now: dt.datetime) -> Replanned:
    closure = next((c for c in center.closures if c.id == closure_id), None)
    if closure is None:
        raise BusinessRuleViolation("That closure does not exist.")
    known = conflicts(center, now)
    center.closures.remove(closure)
    db.session.flush()
    record_event("center.closure_removed", "enrollment_center", center.id, by=by, closure=closure_id)
    return replan(center, by=by, now=now, known=known)
