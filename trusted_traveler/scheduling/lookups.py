"""Small shared lookups about appointments (no booking logic), used by the booking service and the waitlist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from trusted_traveler.casework.states import Status
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day, later
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time

S = Status
ACTIVE = ("booked", "checked_in")
BOOKABLE = {"global_entry": S.CONDITIONALLY_APPROVED, "precheck": S.SUBMITTED}
SCHEDULED = {"global_entry": S.INTERVIEW_SCHEDULED, "precheck": S.ENROLLMENT_SCHEDULED}
VISIT = {"global_entry": _l("interview"), "precheck": _l("enrollment visit")}


def describe_time(slot: Slot) -> str:
    return describe_moment(slot.starts_at, slot.center)


def describe_moment(at: dt.datetime, center: EnrollmentCenter) -> str:
    """A moment in the center's local time, in the reader's language: "Tuesday, December 1, 2026 at 9:30 AM EST"."""
    local = local_time(at, center)
    return f"{format_day(local, '%A, %B %-d, %Y at %-I:%M %p')} {local.tzname()}"


def center_phone(center: EnrollmentCenter) -> str | None:
    """The center's telephone number as a person dials it ("(703) 661-2200 ext. 12", "+1 418 555 0100"), or None."""
    if not center.phone_number:
        return None
    number = center.phone_number.strip()
    if center.phone_area_code:
        number = f"({center.phone_area_code.strip()}) {number}"
    if center.phone_country_code and center.phone_country_code.strip().lstrip("+") != "1":
        number = f"+{center.phone_country_code.strip().lstrip('+')} {number}"
    if center.phone_extension:
        number = f"{number} ext. {center.phone_extension.strip()}"
    return number


def center_contact(center: EnrollmentCenter) -> str:
    """How a traveler reaches the center to change what they can no longer change online: its telephone number, or,
    where it has none (most centers' data gives none), its address."""
    return center_phone(center) or f"{center.address}, {center.city}, {center.state} {center.postal_code}".strip()


def how_to_change(center: EnrollmentCenter) -> str:
    """The sentence that says whom to contact to change an appointment at the center, and how."""
    return _("To change it, contact %(center)s at %(contact)s.", center=center.name, contact=center_contact(center))


def offers_program(center: EnrollmentCenter, program) -> bool:
    return any(service.id == program.scheduler_service_id for service in center.services)


def unavailable(center: EnrollmentCenter, program) -> LazyString | None:
    """Why the center takes no appointments for the program now (not operational, or the program not offered
    there), made in the reader's language when read; None when it takes them. Booking, the times page, waitlist
    offers, reminders and the notice to travelers whose appointment it leaves in conflict all ask this."""
    if not center.operational:
        return _l("%(center)s is not taking appointments now.", center=center.name)
    if not offers_program(center, program):
        return _l("%(center)s does not offer %(program)s.", center=center.name, program=program.name)
    return None


def in_conflict(appointment: Appointment, now: dt.datetime) -> bool:
    """Whether the appointment is one its center can no longer keep, as capacity.conflicts found it when the center
    last changed: booked, still to come, and at a slot keeping seats beyond its center's hours (capacity.replan
    records that on the slot from the plan conflicts() reads: fewer seats, a closed day, a center not operational;
    a seat given up when freed clears it) or at a center no longer taking appointments for its program. Its
    traveler was told so (affected_notice), is not reminded of it, and their status page warns them."""
    slot = appointment.slot
    return (
        appointment.status == "booked"
        and slot.starts_at > now
        and (slot.kept_seats > 0 or unavailable(slot.center, appointment.application.program) is not None)
    )


@dataclass(frozen=True)
class AffectedNotice:
    """What a traveler whose appointment is in conflict is told, in the notice and on their status page: `title`,
    `body`, whether the center takes no appointments for their program any more (`elsewhere`: they choose a time at
    another center), `refusal`: why they cannot move it online (scheduling.move_refusal, which says whom to contact),
    said in place of the way to choose another time, or None when they can; and `next_step`, what they need to do
    now."""

    title: LazyString
    body: LazyString
    elsewhere: bool
    next_step: LazyString
    refusal: str | None = None


def affected_notice(appointment: Appointment, center: EnrollmentCenter, refusal: str | None = None) -> AffectedNotice:
    """Why the appointment may not go ahead (the center's hours, or the center no longer taking appointments for
    the program) and what to do, in the reader's language when read. The center goes by its full name, as
    everywhere the traveler reads of their appointment. `refusal` (scheduling.move_refusal): the traveler cannot
    move it online, so nothing tells them to choose another time: they contact the center."""
    application = appointment.application
    visit = VISIT[application.program.code]
    when = later(describe_time, appointment.slot)
    elsewhere = unavailable(center, application.program)
    title = elsewhere or _l("%(center)s changed its hours: your %(visit)s is affected", center=center.name, visit=visit)
    if refusal is not None:
        body = _l("Your %(visit)s on %(when)s may not go ahead.", visit=visit, when=when)
        next_step = _l(
            "Contact %(center)s at %(contact)s to change your appointment. The time you booked may not go ahead.",
            center=center.name,
            contact=center_contact(center),
        )
    elif elsewhere is None:
        body = _l(
            "Your appointment on %(when)s may not go ahead. Choose another time, or the center will contact you.",
            when=when,
        )
        next_step = _l("Choose another time for your appointment. The time you booked may not go ahead.")
    else:
        body = _l(
            "Your %(visit)s on %(when)s may not go ahead. Choose a time at another center, or the center will "
            "contact you.",
            visit=visit,
            when=when,
        )
        next_step = _l("Choose a time at another center. The time you booked may not go ahead.")
    return AffectedNotice(title, body, elsewhere is not None, next_step, refusal)


def active_appointment(application) -> Appointment | None:
    return db.session.scalar(
        select(Appointment).where(Appointment.application_id == application.id, Appointment.status.in_(ACTIVE))
    )


def active_appointments(application_ids: list[int]) -> dict[int, Appointment]:
    """The active appointment (with its slot and center) of each of these applications that has one, in one
    statement."""
    if not application_ids:
        return {}
    found = db.session.scalars(
        select(Appointment)
        .join(Slot, Slot.id == Appointment.slot_id)
        .join(EnrollmentCenter, EnrollmentCenter.id == Slot.center_id)
        .where(Appointment.application_id.in_(application_ids), Appointment.status.in_(ACTIVE))
        .options(contains_eager(Appointment.slot).contains_eager(Slot.center))
    )
    return {appointment.application_id: appointment for appointment in found}


def online_changes_closed(appointment: Appointment, now: dt.datetime) -> bool:
    """Inside the center's cut-off before the appointment: a traveler can no longer move or cancel it online."""
    center = appointment.slot.center
    return appointment.slot.starts_at - now < dt.timedelta(hours=center.cancel_cutoff_hours)


def own_moves(appointment: Appointment) -> int:
    """How many times the traveler moved the appointment: every move but those its center forced (a move away from a
    time the center could no longer keep), which do not count against the center's limit."""
    return appointment.reschedule_count - appointment.forced_moves


def moves_used_up(appointment: Appointment) -> bool:
    """Moved online as many times as its center allows."""
    return own_moves(appointment) >= appointment.slot.center.max_reschedules


def bookable_after(now: dt.datetime):
    """SQL predicate: the slot starts late enough to book under its center's minimum notice (portable: one branch
    per distinct notice period, which are few). Use with a join to EnrollmentCenter."""
    hours = db.session.scalars(select(EnrollmentCenter.min_notice_hours).distinct()).all() or [0]
    return or_(
        *(and_(EnrollmentCenter.min_notice_hours == h, Slot.starts_at >= now + dt.timedelta(hours=h)) for h in hours)
    )


def claim_seat(slot_id: int, counter: str) -> tuple[int, int, int, int] | None:
    """Count one more seat as `booked` or `held` if one is free. The whole never-overbook rule: a conditional
    UPDATE the database applies atomically (with the booked <= capacity check constraint behind it). Returns the
    slot's new (booked, held, capacity, kept_seats), or None when no seat was free."""
    column = getattr(Slot, counter)
    claimed = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked + Slot.held < Slot.capacity)
        .values({counter: column + 1})
        .returning(Slot.booked, Slot.held, Slot.capacity, Slot.kept_seats)
        .execution_options(synchronize_session=False)
    ).first()
    return None if claimed is None else tuple(claimed)


def release_seat(slot_id: int, counter: str, *, give_up_kept: bool = True) -> tuple[int, int, int, int] | None:
    """Count one seat fewer as `booked` or `held` (never below zero). Returns the slot's new (booked, held,
    capacity, kept_seats), or None when there was none to release. A seat kept for a conflict is given up with it,
    unless `give_up_kept` is False: a hold released for its own traveler to book the seat at once."""
    column = getattr(Slot, counter)
    values = {counter: column - 1}
    if give_up_kept:  # a seat kept for a conflict is given up, not freed (capacity.replan)
        kept = Slot.kept_seats > 0
        values[Slot.capacity] = case((kept, Slot.capacity - 1), else_=Slot.capacity)
        values[Slot.kept_seats] = case((kept, Slot.kept_seats - 1), else_=Slot.kept_seats)
    released = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, column > 0)
        .values(values)
        .returning(Slot.booked, Slot.held, Slot.capacity, Slot.kept_seats)
        .execution_options(synchronize_session=False)
    ).first()
    return None if released is None else tuple(released)


def set_counts(slot: Slot, counts: tuple[int, int, int, int]) -> None:
    """The slot's counts as claim_seat or release_seat returned them (no second read; slot.center stays loaded)."""
    for name, value in zip(("booked", "held", "capacity", "kept_seats"), counts, strict=True):
        set_committed_value(slot, name, value)


def release_held_seats(counts: dict[int, int]) -> dict[int, int]:
    """Count `counts[slot_id]` seats fewer as held on each of these slots (never below zero), in one UPDATE. Returns
    each slot's new held count. Kept seats are left alone: capacity.replan, which withdraws the offers behind these
    holds, sets each slot's capacity and kept seats from what is still booked and held."""
    if not counts:
        return {}
    fewer = case(*((Slot.id == slot_id, n) for slot_id, n in counts.items()), else_=0)
    released = db.session.execute(
        update(Slot)
        .where(Slot.id.in_(list(counts)))
        .values(held=case((Slot.held > fewer, Slot.held - fewer), else_=0))
        .returning(Slot.id, Slot.held)
        .execution_options(synchronize_session=False)
    )
    return dict(released.all())
