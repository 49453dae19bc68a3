"""Changing a center's hours, seats, closures, time zone, programs or whether it is operational. Future slots are
re-planned from the new hours, as far ahead as the center's slots go; a booking is never dropped silently: where
fewer seats remain than are booked, or the center no longer takes appointments for the booking's program, the
appointments are conflicts, listed for a supervisor and told to the travelers, and the slot keeps their seats until
someone resolves them. A conflict the change resolves is told too: the visit goes ahead. A waitlist offer is not a
booking: one the new hours leave no seat for is withdrawn, its seat released, and its traveler waits again in their
place and is told."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, true
from sqlalchemy.orm import contains_eager

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_date
from trusted_traveler.extensions import db
from trusted_traveler.i18n import later
from trusted_traveler.notifications.service import notify_about
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.programs.models import Program
from trusted_traveler.scheduling.lookups import VISIT, affected_notice, describe_time
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot, WaitlistEntry
from trusted_traveler.scheduling.service import move_refusal
from trusted_traveler.scheduling.slots import booking_window_end, generate_slots, local_time, planned_slots
from trusted_traveler.scheduling.waitlist import withdraw_offers


@dataclass(frozen=True)
class Replanned:
    """What a re-plan did that staff are told: the appointments now in conflict (all of them, listed for a
    supervisor) and how many waitlist offers it withdrew."""

    conflicts: list[Appointment]
    offers_withdrawn: int = 0


def _last_day(center: EnrollmentCenter, now: dt.datetime) -> dt.date:
    """The last of the center's local days that its slots are planned to: the booking window's last day, the one
    the generator opens slots to (slots.booking_window_end, from the service's today as the generator counts it), or
    its furthest slot's day when slots were opened further ahead (a re-plan that stopped short removed the slots
    after and made their bookings conflicts). Never further: a change of hours keeps the booking window as it was
    (a re-plan to a fixed 56 days made the four weeks `flask seed` opened eight)."""
    last = booking_window_end(service_date(now))
    furthest = db.session.scalar(select(func.max(Slot.starts_at)).where(Slot.center_id == center.id))
    return last if furthest is None else max(last, local_time(furthest, center).date())


Plan = dict[dt.datetime, tuple[int, int]]


def _plan(center: EnrollmentCenter, now: dt.datetime, last: dt.date) -> Plan:
    """(minutes, seats) of each slot the center's hours open from its own today (not UTC's: at 14:30 in Honolulu
    it is already tomorrow in UTC, and today's remaining slots would look unplanned) to `last`."""
    today = local_time(now, center).date()
    return {at: (minutes, seats) for at, minutes, seats in planned_slots(center, today, (last - today).days + 1)}


def plan_with_hours(center: EnrollmentCenter, now: dt.datetime, *, hours, effective_from: dt.date) -> Plan:
    """The plan the center would have if `hours` (weekly hours not saved: anything with a template's attributes)
    applied from `effective_from` on: before that day the plan it has now, from it the new hours'. A preview asks
    conflicts() with it, so it counts what saving would count."""
    last = _last_day(center, now)
    kept = {at: plan for at, plan in _plan(center, now, last).items() if local_time(at, center).date() < effective_from}
    start = max(effective_from, local_time(now, center).date())
    if start <= last:
        for at, minutes, seats in planned_slots(center, start, (last - start).days + 1, templates=hours):
            kept[at] = (minutes, seats)
    return kept


def conflicts(center: EnrollmentCenter, now: dt.datetime, *, plan: Plan | None = None) -> list[Appointment]:
    """Future booked appointments the center can no longer keep: every one when it is not operational, those for a
    program it no longer offers, and those at slots that its hours no longer give enough seats for. A traveler who
    has checked in is at the center already: their visit goes ahead, and nobody tells them to choose another time
    (their seat still counts against the slot's). `plan` (plan_with_hours) asks it of hours not saved yet."""
    upcoming = and_(Slot.center_id == center.id, Slot.starts_at > now)
    if center.operational:
        if plan is None:
            plan = _plan(center, now, _last_day(center, now))
        slots = db.session.scalars(select(Slot).where(upcoming, Slot.booked > 0).order_by(Slot.starts_at)).all()
        over = [s.id for s in slots if s.booked > plan.get(s.starts_at, (0, 0))[1]]
        offered = [service.id for service in center.services]
        cannot_keep = or_(Appointment.slot_id.in_(over), Program.scheduler_service_id.not_in(offered))
    else:
        cannot_keep = true()
    return list(
        db.session.scalars(
            select(Appointment)
            .join(Slot, Slot.id == Appointment.slot_id)
            .join(Application, Application.id == Appointment.application_id)
            .join(Program, Program.id == Application.program_id)
            .where(upcoming, Appointment.status == "booked", cannot_keep)
            .options(  # what the conflicts list shows and the notice needs, for every row in this one statement
                contains_eager(Appointment.slot),
                contains_eager(Appointment.application).contains_eager(Application.program),
                contains_eager(Appointment.application)
                .joinedload(Application.profile)
                .joinedload(ApplicantProfile.account),
            )
            .order_by(Slot.starts_at, Appointment.id)
        )
    )


def _tell(appointment: Appointment, center: EnrollmentCenter, now: dt.datetime) -> None:
    """Tell the traveler their appointment is now in conflict: why (the center's hours, or the center no longer
    taking appointments for their program) and what to do. Their status page says the same (lookups.in_conflict).
    When they cannot move it online (inside the center's cut-off: a move away from a time the center cannot keep
    is allowed however often they moved before), the notice says so and whom to contact, as the status page does,
    rather than to choose another time."""
    traveler = appointment.application.profile.account
    refusal = move_refusal(appointment, by=traveler, now=now)
    notice = affected_notice(appointment, center, refusal=refusal)
    body = notice.body
    if refusal is not None:  # the refusal too in the traveler's language, made as notify writes the notice
        body = later(lambda: f"{notice.body} {move_refusal(appointment, by=traveler, now=now)}")
    notify_about(appointment.application, kind="appointment_affected", title=notice.title, body=body)


def _tell_all_clear(appointment: Appointment, center: EnrollmentCenter) -> None:
    """Tell the traveler that their appointment, in conflict before the change, goes ahead after all."""
    application = appointment.application
    notify_about(
        application,
        kind="appointment_goes_ahead",
        title=_l(
            "Your %(visit)s goes ahead as booked: %(when)s",
            visit=VISIT[application.program.code],
            when=later(describe_time, appointment.slot),
        ),
        body=_l("%(center)s can keep your appointment after all. You do not need to do anything.", center=center.name),
    )


def replan(
    center: EnrollmentCenter, *, by, now: dt.datetime, known: list[Appointment], since: dt.date | None = None
) -> Replanned:
    """Bring future slots in line with the center's (already changed) hours, time zone, programs and operational
    state, as far ahead as its slots go; returns the appointments now in conflict and tells their travelers, except
    those in `known` (in conflict before this change: conflicts() read then), who are told instead when they are no
    longer in conflict; and withdraws the waitlist offers left without a seat (telling their travelers too).
    `since` (a change of weekly hours dated from that local day): the slots before it are left exactly as they are."""
    last = _last_day(center, now)  # before any slot goes
    plan = _plan(center, now, last)
    today = local_time(now, center).date()
    first = today if since is None else max(today, since)
    upcoming = [Slot.center_id == center.id, Slot.starts_at > now]
    if first > today:  # from the center's local midnight of that day
        midnight = dt.datetime.combine(first, dt.time(), tzinfo=ZoneInfo(center.tz_name)).astimezone(dt.UTC)
        upcoming.append(Slot.starts_at >= midnight)
    future = db.session.scalars(select(Slot).where(*upcoming).order_by(Slot.starts_at)).all()
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
    if first <= last:
        generate_slots(center, start=first, days=(last - first).days + 1, after=now)
    found = conflicts(center, now)
    before, after = {a.id for a in known}, {a.id for a in found}
    for appointment in found:
        if appointment.id not in before:
            _tell(appointment, center, now)
    cleared = [appointment for appointment in known if appointment.id not in after]
    for appointment in cleared:
        _tell_all_clear(appointment, center)
    record_event(
        "center.capacity_changed",
        "enrollment_center",
        center.id,
        by=by,
        conflicts=len(found),
        conflicts_cleared=len(cleared),
        slots_removed=len(gone),
        slots_closed=closed,
        offers_withdrawn=withdrawn,
    )
    return Replanned(found, withdrawn)
