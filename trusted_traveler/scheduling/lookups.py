"""Small shared lookups about appointments (no booking logic), used by the booking service and the waitlist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select

from trusted_traveler.casework.states import Status
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time

S = Status
ACTIVE = ("booked", "checked_in")
BOOKABLE = {"global_entry": S.CONDITIONALLY_APPROVED, "precheck": S.SUBMITTED}
SCHEDULED = {"global_entry": S.INTERVIEW_SCHEDULED, "precheck": S.ENROLLMENT_SCHEDULED}
VISIT = {"global_entry": "interview", "precheck": "enrollment visit"}


def describe_time(slot: Slot) -> str:
    local = local_time(slot.starts_at, slot.center)
    return f"{local:%A, %B %-d, %Y at %-I:%M %p} {local.tzname()}"


def active_appointment(application) -> Appointment | None:
    return db.session.scalar(
        select(Appointment).where(Appointment.application_id == application.id, Appointment.status.in_(ACTIVE))
    )


def bookable_after(now: dt.datetime):
    """SQL predicate: the slot starts late enough to book under its center's minimum notice (portable: one branch
    per distinct notice period, which are few). Use with a join to EnrollmentCenter."""
    hours = db.session.scalars(select(EnrollmentCenter.min_notice_hours).distinct()).all() or [0]
    return or_(
        *(and_(EnrollmentCenter.min_notice_hours == h, Slot.starts_at >= now + dt.timedelta(hours=h)) for h in hours)
    )
