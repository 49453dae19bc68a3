"""Small shared lookups about appointments (no booking logic), used by the booking service and the waitlist."""

from __future__ import annotations

from sqlalchemy import select

from trusted_traveler.casework.states import Status
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import Appointment, Slot
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
