"""Changing a center's hours, seats or closures. Future slots are re-planned from the new hours; a booking is
never dropped silently: where fewer seats remain than are booked, the appointments are conflicts, listed for a
supervisor and told to the travelers, and the slot keeps their seats until someone resolves them. A waitlist offer
is not a booking: one the new hours leave no seat for is withdrawn, its seat released, and its traveler waits again
in their place and is told."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot, WaitlistEntry
from trusted_traveler.scheduling.slots import generate_slots, local_time, planned_slots
from trusted_traveler.scheduling.waitlist import withdraw_offers

HORIZON_DAYS = 56


@dataclass(frozen=True)
class Replanned:
    """What a re-plan did that staff are told: the appointments now in conflict (all of them, listed for a
    supervisor) and how many waitlist offers it withdrew."""

    conflicts: list[Appointment]
    offers_withdrawn: int = 0


def _plan(center: EnrollmentCenter, now: dt.datetime) -> dict[dt.datetime, tuple[int, int]]:
    """(minutes, seats) of each slot the center's hours open from its own today (not UTC's: at 14:30 in Honolulu
    it is already tomorrow in UTC, and today's remaining slots would look unplanned)."""
    today = local_time(now, center).date()
    return {at: (minutes, seats) for at, minutes, seats in planned_slots(center, today, HORIZON_DAYS + 1)}


def conflicts(center: EnrollmentCenter, now: dt.datetime) -> list[Appointment]:
    """Future active appointments at slots that the center's hours no longer give enough seats for."""
    plan = _plan(center, now)
    slots = db.session.scalars(
        select(Slot).where(Slot.center_id == center.id, Slot.starts_at > now, Slot.booked > 0).order_by(Slot.starts_at)
    ).all()
    over = [s for s in slots if s.booked > plan.get(s.starts_at, (0, 0))[1]]
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


def replan(center: EnrollmentCenter, *, by, now: dt.datetime, known: set[int]) -> Replanned:
    """Bring future slots in line with the center's (already changed) hours; returns the appointments now in
    conflict and tells their travelers, except those in `known` (in conflict before this change), and withdraws
    the waitlist offers left without a seat (telling their travelers too)."""
    plan = _plan(center, now)
    future = db.session.scalars(select(Slot).where(Slot.center_id == center.id, Slot.starts_at > now)).all()
    # An offer keeps its held seat only where the new hours still have a seat for it beside the bookings: the others
    # are withdrawn and their seats released, not kept, so no one accepts a time the center no longer opens.
    room = {slot: max(0, plan.get(slot.starts_at, (0, 0))[1] - slot.booked) for slot in future if slot.held}
    withdrawn = withdraw_offers(room, now=now)
    # An empty slot the hours no longer open goes, unless a cancelled appointment or a past waitlist offer still
    # names it (their history stays whole): that one is closed in place, with no seats.
    referenced = set(
        db.session.scalars(
            select(Appointment.slot_id).join(Slot).where(Slot.center_id == center.id, Slot.starts_at > now)
        )
    ) | set(
        db.session.scalars(
            select(WaitlistEntry.offered_slot_id)
            .join(Slot, Slot.id == WaitlistEntry.offered_slot_id)
            .where(Slot.center_id == center.id, Slot.starts_at > now)
        )
    )
    gone, closed = [], 0
    for slot in future:
        minutes, seats = plan.get(slot.starts_at, (slot.duration_minutes, 0))
        taken = slot.booked + slot.held
        if seats == 0 and taken == 0 and slot.id not in referenced:
            gone.append(slot.id)
            continue
        closed += seats == 0 and taken == 0
        slot.duration_minutes = minutes  # a new slot length applies to the slots that keep their start
        slot.capacity = max(seats, taken)  # never below what is booked or held
        slot.kept_seats = max(0, taken - seats)  # given up as they are released
    if gone:
        db.session.execute(delete(Slot).where(Slot.id.in_(gone)))
    db.session.flush()
    generate_slots(center, start=local_time(now, center).date(), days=HORIZON_DAYS, after=now)
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
        slots_removed=len(gone),
        slots_closed=closed,
        offers_withdrawn=withdrawn,
    )
    return Replanned(found, withdrawn)
