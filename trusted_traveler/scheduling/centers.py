"""Editing enrollment centers: details, services, policies, weekly hours and closures. Changes to hours, closures,
time zone, programs and whether the center is operational re-plan the future slots (see capacity.replan); every
change is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.db import service_date
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.capacity import Replanned, conflicts, replan
from trusted_traveler.scheduling.models import CapacityTemplate, Closure, EnrollmentCenter, SchedulerService
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


def set_weekly_hours(center: EnrollmentCenter, rows: list[dict], *, by, now: dt.datetime) -> Replanned:
    """Replace the weekly hours from today on (earlier hours are kept as history), then re-plan the slots.
    `rows`: weekday (0 = Monday), opens_at, closes_at, slot_minutes, seats. Returns the conflicts and the offers
    withdrawn (capacity.Replanned)."""
    today = local_time(now, center).date()  # the center's today: its evening is already tomorrow in UTC
    known = conflicts(center, now)
    for template in list(center.capacity):
        if template.valid_from >= today:
            center.capacity.remove(template)
        elif template.valid_until is None or template.valid_until >= today:
            template.valid_until = today - dt.timedelta(days=1)
    for row in rows:
        center.capacity.append(CapacityTemplate(valid_from=today, **row))
    db.session.flush()
    record_event("center.hours_changed", "enrollment_center", center.id, by=by, weekdays=len(rows))
    return replan(center, by=by, now=now, known=known)


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
