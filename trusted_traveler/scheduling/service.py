"""Booking, moving and cancelling appointments. Never overbooked: a seat is taken by one conditional UPDATE
(`... WHERE booked + held < capacity`), which the database applies atomically whatever the concurrency, with a
check constraint behind it; one active appointment per application is a unique index."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import APPOINTMENT_MOVED
from trusted_traveler.casework.transitions import own_application_message, record_step
from trusted_traveler.errors import BusinessRuleViolation, NotFound, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.i18n import later
from trusted_traveler.locking import locked
from trusted_traveler.notifications.service import notify_about
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.scheduling import waitlist
from trusted_traveler.scheduling.lookups import (
    ACTIVE,
    BOOKABLE,
    SCHEDULED,
    VISIT,
    active_appointment,
    bookable_after,
    claim_seat,
    describe_time,
    how_to_change,
    in_conflict,
    moves_used_up,
    online_changes_closed,
    own_moves,
    set_counts,
    unavailable,
)
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time


class SlotTaken(BusinessRuleViolation):
    code = "slot_taken"


def _check_slot(application, slot: Slot, now: dt.datetime) -> None:
    center = slot.center
    refusal = unavailable(center, application.program)
    if refusal is not None:
        raise BusinessRuleViolation(str(refusal))
    if slot.starts_at < now + dt.timedelta(hours=center.min_notice_hours):
        raise BusinessRuleViolation(
            _(
                "That time is too soon or has passed: %(center)s takes bookings at least %(hours)s hours ahead.",
                center=center.name,
                hours=center.min_notice_hours,
            )
        )


def _take_seat(slot: Slot) -> None:
    counts = claim_seat(slot.id, "booked")
    if counts is None:
        raise SlotTaken(_("That time was just taken by someone else. Choose another time."))
    set_counts(slot, counts)


def book(application, slot: Slot, *, by, now: dt.datetime) -> Appointment:
    """Book `slot` for the application: Global Entry after conditional approval, PreCheck once submitted.

    The seat is taken last, just before the caller commits: everyone after the same time waits on that slot's row
    lock, so it is held for the commit only, not for the appointment, status change and notice written before it.
    On SlotTaken or BusinessRuleViolation the caller rolls the whole transaction back.

    Raises:
        SlotTaken: the last seat went to someone else first.
        BusinessRuleViolation: the application cannot book now, already has an appointment, or the time is
            not bookable (too soon, center closed, program not offered there).
    """
    code = application.program.code
    already = _("This application already has an appointment. Move it instead of booking again.")
    if application.status == SCHEDULED[code]:
        raise BusinessRuleViolation(already)
    if application.status != BOOKABLE[code]:
        raise BusinessRuleViolation(
            _("You can book your interview once your application is conditionally approved.")
            if code == "global_entry"
            else _("You can book your enrollment visit once your application is submitted.")
        )
    _check_slot(application, slot, now)
    appointment = Appointment(application_id=application.id, slot_id=slot.id, booked_at=now)
    db.session.add(appointment)
    try:
        db.session.flush()
    except IntegrityError:  # one active appointment per application (a unique index): a second tab, say
        raise BusinessRuleViolation(already) from None
    # The booking notice below says what the status change would, with the time and place: one message, not two.
    casework.transition(application, SCHEDULED[code], by=by, reason_code="appointment_booked", notify=False)
    notify_about(
        application,
        kind="appointment_booked",
        title=_l("Your %(visit)s is booked: %(when)s", visit=VISIT[code], when=later(describe_time, slot)),
        body=f"{slot.center.name}, {slot.center.address}, {slot.center.city}. {slot.center.notes or ''}".strip(),
    )
    _take_seat(slot)
    return appointment


def _staff_for(appointment: Appointment, by) -> bool:
    """Whether `by` acts as staff on this appointment, free of the limits on online changes: a staff member, but
    not on their own application (staff never act on their own case: casework.transitions)."""
    # the applicant first: a traveler's role grants are not loaded for it (capacity._tell asks for each conflict)
    return not appointment.application.is_applicant(by) and getattr(by, "is_staff", False)


def _refuse_own(appointment: Appointment, by) -> None:
    if appointment.application.is_applicant(by):
        raise PermissionDenied(own_application_message())


def change_refusal(appointment: Appointment, *, by, now: dt.datetime) -> str | None:
    """Why `by` can neither move nor cancel the appointment now (inside its center's cut-off, for a traveler), or
    None. The status page shows it in place of the links; cancel and reschedule refuse with it."""
    if _staff_for(appointment, by) or not online_changes_closed(appointment, now):
        return None
    center = appointment.slot.center
    closed = _("Online changes close %(hours)s hours before the appointment.", hours=center.cancel_cutoff_hours)
    return f"{closed} {how_to_change(center)}"


def move_refusal(appointment: Appointment, *, by, now: dt.datetime) -> str | None:
    """Why `by` cannot move the appointment now (inside the cut-off, or moved the most allowed online), or None. A
    move away from an appointment its center can no longer keep (lookups.in_conflict) is the center's doing: it is
    allowed however often the traveler moved before, and does not count against the limit (reschedule counts it
    as forced: lookups.own_moves)."""
    refusal = change_refusal(appointment, by=by, now=now)
    if (
        refusal is None
        and moves_used_up(appointment)
        and not _staff_for(appointment, by)
        and not in_conflict(appointment, now)
    ):
        used_up = _("This appointment has been moved %(n)s times, the most allowed online.", n=own_moves(appointment))
        refusal = f"{used_up} {how_to_change(appointment.slot.center)}"
    return refusal


def _check_change_allowed(appointment: Appointment, *, by, now: dt.datetime) -> None:
    refusal = change_refusal(appointment, by=by, now=now)
    if refusal is not None:
        raise BusinessRuleViolation(refusal)


def cancel(appointment: Appointment, *, by, now: dt.datetime, reason: str = "cancelled_by_applicant") -> None:
    if appointment.status not in ACTIVE:
        raise BusinessRuleViolation(_("This appointment is not active."))
    _check_change_allowed(appointment, by=by, now=now)
    application = appointment.application
    waitlist.cancel_booked(appointment, now=now)
    # The cancellation notice says what the status change would, and what to do next: one message, not two.
    casework.transition(application, BOOKABLE[application.program.code], by=by, reason_code=reason, notify=False)
    notify_about(
        application,
        kind="appointment_cancelled",
        title=_l("Your appointment on %(when)s is cancelled", when=later(describe_time, appointment.slot)),
        body=_l("Book a new time whenever you are ready."),
    )


def reschedule(appointment: Appointment, new_slot: Slot, *, by, now: dt.datetime) -> Appointment:
    """Move the appointment to `new_slot`, taking its seat and passing the old one on. A second request that read the
    appointment before this one committed (the same move sent twice, a second tab) is refused with StaleDataError,
    "This changed while you were working", and changes nothing: see the history step it records.

    Raises:
        SlotTaken: the new time's last seat went to someone else first.
        BusinessRuleViolation: the appointment cannot be moved (not booked, inside the cut-off, moved the most
            allowed online) or not to that time.
    """
    if appointment.status != "booked":
        raise BusinessRuleViolation(_("Only a booked appointment can be moved."))
    refusal = move_refusal(appointment, by=by, now=now)
    if refusal is not None:
        raise BusinessRuleViolation(refusal)
    if new_slot.id == appointment.slot_id:
        raise BusinessRuleViolation(_("That is the time you already have."))
    _check_slot(appointment.application, new_slot, now)
    # A step in the case's history (the traveler's timeline says "Appointment moved"); it writes the application's
    # row now, moving its version on: of two requests that read the appointment before either committed, the
    # second's write matches no row and fails with StaleDataError before it touches a seat. Booking and cancelling
    # get the same from their status change.
    record_step(appointment.application, by=by, reason_code=APPOINTMENT_MOVED)
    forced = in_conflict(appointment, now)  # moved because its center can no longer keep it: not the traveler's own
    old_slot = appointment.slot
    _take_seat(new_slot)
    waitlist.free_booked_seat(old_slot, now=now, not_to=appointment.application_id)
    appointment.slot_id, appointment.slot = new_slot.id, new_slot
    appointment.reschedule_count += 1  # every move: the calendar file's SEQUENCE (ics), the privacy export
    appointment.forced_moves += int(forced)  # not against the limit (lookups.own_moves)
    appointment.reminder_sent_at = None  # the new time gets its own reminder
    notify_about(
        appointment.application,
        kind="appointment_moved",
        title=_l("Your appointment moved to %(when)s", when=later(describe_time, new_slot)),
        body=f"{new_slot.center.name}, {new_slot.center.address}, {new_slot.center.city}.",
    )
    db.session.flush()
    return appointment


def get_slot(slot_id: int) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise NotFound(_("That appointment time does not exist."))
    return slot


def open_slots(center: EnrollmentCenter, *, since: dt.datetime, until: dt.datetime, limit: int = 500) -> list[Slot]:
    """The free times from `since` until `until`, soonest first, at most `limit` of them. Not for a whole schedule:
    500 free times are about two weeks at an airport seating two (open_days then open_slots_on is)."""
    return list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.center_id == center.id,
                Slot.starts_at >= since,
                Slot.starts_at < until,
                Slot.booked + Slot.held < Slot.capacity,
            )
            .order_by(Slot.starts_at)
            .limit(limit)
        )
    )


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant a local calendar day starts at the center."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def open_days(center: EnrollmentCenter, *, since: dt.datetime, until: dt.datetime) -> list[dt.date]:
    """The center's local days with a free seat from `since` until `until`, in one query that returns a number per
    day rather than the slots (about 2,000 free times in 60 days at an airport seating two).

    The local midnights between are worked out here, where the zone's daylight-saving rules are known, and the
    database sorts each free slot into its day by comparing it with them: plain comparisons of UTC times, the same
    on SQLite (which knows no time zones) and PostgreSQL."""
    zone = ZoneInfo(center.tz_name)
    first, last = since.astimezone(zone).date(), until.astimezone(zone).date()
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    day_number = case(
        *((Slot.starts_at < _local_midnight(day + dt.timedelta(days=1), zone), n) for n, day in enumerate(days))
    )
    numbers = db.session.scalars(
        select(day_number)
        .distinct()
        .where(
            Slot.center_id == center.id,
            Slot.starts_at >= since,
            Slot.starts_at < until,
            Slot.booked + Slot.held < Slot.capacity,
        )
        .order_by(day_number)
    )
    return [days[n] for n in numbers]


def open_slots_on(center: EnrollmentCenter, day: dt.date, *, since: dt.datetime) -> list[Slot]:
    """The free times on one local day at the center, from `since` on (the center's minimum notice)."""
    zone = ZoneInfo(center.tz_name)
    return open_slots(
        center, since=max(since, _local_midnight(day, zone)), until=_local_midnight(day + dt.timedelta(days=1), zone)
    )


def soonest_by_center(program, *, since: dt.datetime) -> dict[int, dt.datetime]:
    """The soonest free slot per operational center offering the program, in one query.

    Each center's soonest is its own short walk of the slots' (center, start) index from `since`, stopping at the
    first slot with a free seat. Grouping every future slot of every center and taking the minimum read them all:
    27,806 slots for PreCheck's 24 centers with 60 days of slots, 17.5 ms in-process against 3 to 4.5 ms."""
    soonest = (
        select(Slot.starts_at)
        .where(
            Slot.center_id == EnrollmentCenter.id,
            Slot.starts_at >= since,
            bookable_after(since),
            Slot.booked + Slot.held < Slot.capacity,
        )
        .order_by(Slot.starts_at)
        .limit(1)
        .correlate(EnrollmentCenter)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(EnrollmentCenter.id, soonest).where(
            EnrollmentCenter.operational.is_(True),
            EnrollmentCenter.services.any(id=program.scheduler_service_id),
        )
    ).all()
    return {center_id: starts_at for center_id, starts_at in rows if starts_at is not None}  # None: no free seat


def send_reminders(now: dt.datetime, *, ahead: dt.timedelta = dt.timedelta(hours=48)) -> int:
    """Remind each traveler once, in the two days before an appointment that goes ahead. An appointment in conflict
    is not reminded as if it did (lookups.in_conflict): one at a slot keeping seats beyond its center's hours (a
    closed day, fewer seats: capacity.replan), or at a center no longer taking appointments for its program. Its
    traveler was told it may not go ahead; should it stand again after all (capacity.replan tells them), it is
    reminded then.

    Two runs at once (a slow hourly run and the next, or two hosts' cron) remind each traveler once: the appointments
    are claimed with locking.locked, which reads them afresh and checks "not reminded yet" on the locked rows (a run
    passes over the ones another holds)."""
    unreminded = (
        Appointment.status == "booked",
        Appointment.reminder_sent_at.is_(None),
        Appointment.slot.has(and_(Slot.starts_at > now, Slot.starts_at <= now + ahead, Slot.kept_seats == 0)),
    )
    due = db.session.scalars(
        locked(Appointment, *unreminded, skip_locked=True).options(
            # each reminder goes to the traveler's account, with the slot's time: all in this statement
            joinedload(Appointment.slot),
            joinedload(Appointment.application).joinedload(Application.profile).joinedload(ApplicantProfile.account),
            joinedload(Appointment.application).joinedload(Application.program),
        )
    ).all()
    due = [a for a in due if not in_conflict(a, now)]  # the query passed over the kept seats: this asks the rest
    for appointment in due:
        application = appointment.application
        notify_about(
            application,
            kind="appointment_reminder",
            title=_l(
                "Reminder: your %(visit)s is %(when)s",
                visit=VISIT[application.program.code],
                when=later(describe_time, appointment.slot),
            ),
            body=f"{appointment.slot.center.name}. {appointment.slot.center.notes or ''}".strip(),
        )
        appointment.reminder_sent_at = now
    db.session.flush()
    return len(due)


# --- At the center -------------------------------------------------------------------------------------------


def day_schedule(center: EnrollmentCenter, day: dt.date) -> list[Appointment]:
    """Every appointment at the center on a local calendar day, in time order."""
    zone = ZoneInfo(center.tz_name)
    start, end = _local_midnight(day, zone), _local_midnight(day + dt.timedelta(days=1), zone)
    return list(
        db.session.scalars(
            select(Appointment)
            .join(Slot)
            .where(
                Slot.center_id == center.id,
                Slot.starts_at >= start,
                Slot.starts_at < end,
                Appointment.status != "cancelled",
            )
            .options(  # what the day's list shows of each, in this one statement
                contains_eager(Appointment.slot),
                joinedload(Appointment.application).joinedload(Application.profile),
                joinedload(Appointment.application).joinedload(Application.program),
            )
            .order_by(Slot.starts_at, Appointment.id)
        )
    )


def check_in(appointment: Appointment, *, by, now: dt.datetime) -> None:
    """The traveler came for their visit (on its day at the center). Not by staff on their own application."""
    _refuse_own(appointment, by)
    if appointment.status != "booked":
        raise BusinessRuleViolation("Only a booked appointment can be checked in.")
    center = appointment.slot.center
    day = local_time(appointment.slot.starts_at, center).date()
    if local_time(now, center).date() != day:  # the center's own day: a visit due next week is not held today
        raise BusinessRuleViolation(f"This appointment is on {day:%A, %B %-d, %Y}. Check the traveler in on that day.")
    appointment.status, appointment.checked_in_at = "checked_in", now
    record_event("appointment.checked_in", "application", appointment.application.reference, by=by)
    db.session.flush()


def mark_no_show(appointment: Appointment, *, by, now: dt.datetime) -> None:
    """The traveler did not come: the application goes back to booking, and they are told. Not by staff on their
    own application."""
    _refuse_own(appointment, by)
    if appointment.status != "booked":
        raise BusinessRuleViolation("Only a booked appointment that has not been checked in can be a no-show.")
    if appointment.slot.starts_at > now:
        raise BusinessRuleViolation("The appointment has not started yet.")
    application = appointment.application
    appointment.status = "no_show"
    # The missed-appointment notice says what the status change would, and what to do next: one message, not two.
    casework.transition(application, BOOKABLE[application.program.code], by=by, reason_code="no_show", notify=False)
    notify_about(
        application,
        kind="appointment_missed",
        title=_l(
            "You missed your %(visit)s on %(when)s",
            visit=VISIT[application.program.code],
            when=later(describe_time, appointment.slot),
        ),
        body=_l("Book a new time to keep your application going."),
    )


def complete_visit(
    appointment: Appointment,
    *,
    by,
    now: dt.datetime,
    documents_verified: bool,
    biometrics_captured: bool,
    note: str | None = None,
) -> None:
    """Documents checked and fingerprints taken (PreCheck, vetting follows) or the interview held (Global Entry),
    as the officer confirms both: the same two checks the case page asks for (casework.record_interview refuses
    either missing, naming it), with the officer's notes of it if any (officers only). Recording it completes the
    checked-in appointment, and frees its seat for the waitlist when its time is still ahead: a traveler seen early
    on the day of the visit."""
    if appointment.status != "checked_in":
        raise BusinessRuleViolation("Check the traveler in before completing the visit.")
    casework.record_interview(
        appointment.application,
        by=by,
        documents_verified=documents_verified,
        biometrics_captured=biometrics_captured,
        now=now,
        note=note,
    )


def complete_on_arrival(
    application, *, by, documents_verified: bool = True, biometrics_captured: bool = True, note: str | None = None
) -> None:
    """Enrollment on Arrival: a conditionally approved Global Entry applicant interviewed at the airport."""
    if application.program.code != "global_entry":
        raise BusinessRuleViolation("Enrollment on Arrival is for Global Entry.")
    casework.record_interview(
        application,
        by=by,
        documents_verified=documents_verified,
        biometrics_captured=biometrics_captured,
        reason_code="enrollment_on_arrival",
        note=note,
    )


def accept_offer(entry, *, by, now: dt.datetime, slot_id: int | None = None) -> Appointment:
    """Book (or move to) the seat the waitlist holds for this traveler; `slot_id`, when given, is the time their page
    offered (an offer withdrawn or replaced since is refused, see waitlist.take_held_seat)."""
    slot = waitlist.take_held_seat(entry, now=now, slot_id=slot_id)
    current = active_appointment(entry.application)
    appointment = (
        reschedule(current, slot, by=by, now=now) if current else book(entry.application, slot, by=by, now=now)
    )
    db.session.flush()
    return appointment
