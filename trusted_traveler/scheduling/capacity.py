"""Changing a center's hours, seats or closures. Future slots are re-planned from the new hours; a booking is
never dropped silently: where fewer seats remain than are booked, the appointments are conflicts, listed for a
supervisor and told to the travelers, and the slot keeps their seats until someone resolves them."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import contains_eager, joinedload

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db
from trusted_traveler.i18n import later
from trusted_traveler.notifications.service import notify_about
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.scheduling.lookups import ACTIVE, VISIT, describe_time
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, planned_slots

HORIZON_DAYS = 56


def _planned_seats(center: EnrollmentCenter, now: dt.datetime) -> dict[dt.datetime, int]:
    return {at: seats for at, _, seats in planned_slots(center, now.date(), HORIZON_DAYS + 1)}


def conflicts(center: EnrollmentCenter, now: dt.datetime) -> list[Appointment]:
    """Future active appointments at slots that the center's hours no longer give enough seats for."""
    planned = _planned_seats(center, now)
    slots = db.session.scalars(
        select(Slot).where(Slot.center_id == center.id, Slot.starts_at > now, Slot.booked > 0).order_by(Slot.starts_at)
    ).all()
    over = [s for s in slots if s.booked > planned.get(s.starts_at, 0)]
    if not over:
        return []
    return list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.slot_id.in_([s.id for s in over]), Appointment.status.in_(ACTIVE))
            .join(Slot)
            .options(  # what the conflicts list shows and the notice needs, for every row in this one statement
                contains_eager(Appointment.slot),
                joinedload(Appointment.application)
                .joinedload(Application.profile)
                .joinedload(ApplicantProfile.account),
                joinedload(Appointment.application).joinedload(Application.program),
            )
            .order_by(Slot.starts_at, Appointment.id)
        )
    )


def replan(center: EnrollmentCenter, *, by, now: dt.datetime, known: set[int]) -> list[Appointment]:
    """Bring future slots in line with the center's (already changed) hours; returns the appointments now in
    conflict and tells their travelers, except those in `known` (in conflict before this change)."""
    planned = _planned_seats(center, now)
    future = db.session.scalars(select(Slot).where(Slot.center_id == center.id, Slot.starts_at > now)).all()
    empty_and_gone = []
    for slot in future:
        seats = planned.get(slot.starts_at, 0)
        taken = slot.booked + slot.held
        if seats == 0 and taken == 0:
            empty_and_gone.append(slot.id)
        else:
            slot.capacity = max(seats, taken)  # never below what is booked or held
    if empty_and_gone:
        db.session.execute(delete(Slot).where(Slot.id.in_(empty_and_gone)))
    db.session.flush()
    generate_slots(center, start=now.date(), days=HORIZON_DAYS)
    found = conflicts(center, now)
    for appointment in found:
        if appointment.id in known:
            continue
        application = appointment.application
        notify_about(
            application,
            kind="appointment_affected",
            title=_l(
                "%(center)s changed its hours: your %(visit)s is affected",
                center=center.short_name,
                visit=VISIT[application.program.code],
            ),
            body=_l(
                "Your appointment on %(when)s may not go ahead. Choose another time, or the center will contact you.",
                when=later(describe_time, appointment.slot),
            ),
        )
    record_event(
        "center.capacity_changed",
        "enrollment_center",
        center.id,
        by=by,
        conflicts=len(found),
        slots_removed=len(empty_and_gone),
    )
    return found
