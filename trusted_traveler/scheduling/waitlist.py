"""A fair waitlist: "tell me if something earlier opens". A freed seat is offered to waiting travelers in the order
they joined and held for them (the `held` seat count: nobody else can book it) until the offer expires; accepting
books it, expiry passes it to the next person; a re-plan that shuts the slot withdraws the offer, and its traveler
waits again in their place. Everything is in the database and every message goes through the outbox, so the worker
can stop and restart at any point and nothing is lost or offered twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_date, service_today
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day, later
from trusted_traveler.notifications.service import notify_about
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.programs.service import parameter_value
from trusted_traveler.scheduling.lookups import (
    BOOKABLE,
    SCHEDULED,
    active_appointments,
    claim_seat,
    describe_moment,
    describe_time,
    moves_used_up,
    online_changes_closed,
    release_held_seats,
    release_seat,
    set_counts,
    unavailable,
)
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot, WaitlistEntry, waitlist_entry_centers
from trusted_traveler.scheduling.slots import booking_window_weeks, local_time

DEFAULT_HOLD = dt.timedelta(minutes=30)
# How far ahead a traveler may wait for a time, and the times page shows openings, at the least: beyond the eight
# weeks the worker opens slots for by default (days_ahead).
DAYS_AHEAD = 60
# An offer shorter than this is no offer: nobody reads the e-mail and accepts in time.
SHORTEST_HOLD = dt.timedelta(minutes=15)


def days_ahead() -> int:
    """How many days ahead a traveler may wait for a time, and the times page shows openings: DAYS_AHEAD, or the
    whole booking window when BOOKING_WINDOW_WEEKS makes it longer (slots.booking_window_weeks)."""
    return max(DAYS_AHEAD, 7 * booking_window_weeks())


def hold_period(today: dt.date) -> dt.timedelta:
    """How long an offered seat is held (the dated service-wide parameter waitlist_hold_minutes)."""
    try:
        return dt.timedelta(minutes=int(parameter_value(None, "waitlist_hold_minutes", today)))
    except NotFound:
        return DEFAULT_HOLD


def choice_problems(
    centers: list[EnrollmentCenter], *, earliest: dt.date | None, latest: dt.date | None, today: dt.date
) -> dict[str, str]:
    """What is wrong with a traveler's waitlist choices, by the form field it is about ("center_ids", "earliest",
    "latest"), so a page can say each beside its field: no center; a first day already over (before the service's
    today) or further ahead than times open; a last day before the first or further ahead than times open. A date
    left out (None) is the form's to ask for."""
    problems = {}
    if not centers:
        problems["center_ids"] = _("Choose at least one center.")
    ahead = days_ahead()
    last = today + dt.timedelta(days=ahead)
    if earliest is not None and earliest < today:
        problems["earliest"] = _(
            "The first day has passed. Choose %(today)s or a later day.", today=format_day(today, "%B %-d, %Y")
        )
    elif earliest is not None and earliest > last:
        problems["earliest"] = _(
            "Choose a first day no later than %(last)s. We open times up to %(days)s days ahead.",
            last=format_day(last, "%B %-d, %Y"),
            days=ahead,
        )
    if latest is not None and earliest is not None and latest < earliest:
        problems["latest"] = _(
            "The last day is before the first day. Choose %(first)s or a later day.",
            first=format_day(earliest, "%B %-d, %Y"),
        )
    elif latest is not None and latest < today:
        problems["latest"] = _(
            "The last day has passed. Choose %(today)s or a later day.", today=format_day(today, "%B %-d, %Y")
        )
    elif latest is not None and latest > last:
        problems["latest"] = _(
            "Choose a last day no later than %(last)s. We open times up to %(days)s days ahead.",
            last=format_day(last, "%B %-d, %Y"),
            days=ahead,
        )
    return problems


def join(
    application: Application,
    centers: list[EnrollmentCenter],
    *,
    earliest: dt.date,
    latest: dt.date,
    by,
    today: dt.date | None = None,
) -> WaitlistEntry:
    """Put the application on the waitlist for `centers` from `earliest` to `latest` (days at each center). Refused
    (BusinessRuleViolation, its `field` the form field it is about) when the application cannot book, is already
    waiting, or the choices are wrong (choice_problems; `today` is the service's today unless given)."""
    code = application.program.code
    if application.status not in (BOOKABLE[code], SCHEDULED[code]):
        raise BusinessRuleViolation(_("You can join the waitlist once you can book an appointment."))
    problems = choice_problems(centers, earliest=earliest, latest=latest, today=today or service_today())
    if problems:  # the first, beside its field
        field, message = next(iter(problems.items()))
        raise BusinessRuleViolation(message, field=field)
    existing = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.application_id == application.id, WaitlistEntry.status.in_(("waiting", "offered"))
        )
    )
    if existing is not None:
        raise BusinessRuleViolation(_("You are already on the waitlist. Leave it first to change your choices."))
    entry = WaitlistEntry(
        application_id=application.id, earliest_date=earliest, latest_date=latest, centers=list(centers)
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def leave(entry: WaitlistEntry, *, now: dt.datetime) -> None:
    """Leave the queue. A seat held for the traveler passes to the next person waiting for it, as at expiry."""
    if entry.status == "offered" and _end_offer(entry, "cancelled"):
        offer_free_seats(db.session.get(Slot, entry.offered_slot_id), now=now)
    entry.status = "cancelled"
    db.session.flush()


def _end_offer(entry: WaitlistEntry, status: str, *, to_book: bool = False) -> bool:
    """End the offer held for `entry` (it becomes `status`) and free its seat, once: the entry changes only while
    it still holds that offer (a conditional UPDATE, as withdraw_offers), so of the traveler accepting or leaving
    and the worker expiring it at the same moment, the first ends it and the others get False (the entry as it is
    now). `to_book`: for its traveler to book now, so the seat passes to them rather than being given up where the
    slot keeps seats beyond its hours (for another offer, past its hold, that a re-plan left to expire_offers:
    withdraw_offers withdraws the live ones it leaves no seat for)."""
    ended = db.session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.id == entry.id,
            WaitlistEntry.status == "offered",
            WaitlistEntry.offered_slot_id == entry.offered_slot_id,
        )
        .values(status=status)
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session=False)
    ).first()
    if ended is None:
        db.session.refresh(entry)
        return False
    set_committed_value(entry, "status", status)
    release_seat(entry.offered_slot_id, "held", give_up_kept=not to_book)
    return True


def free_booked_seat(slot: Slot, *, now: dt.datetime, not_to: int) -> None:
    """A booked seat its traveler no longer needs (the appointment cancelled or moved, or the interview held before
    its time): free it and offer it to the waitlist, never back to application `not_to`, who let it go."""
    counts = release_seat(slot.id, "booked")
    if counts is None:  # nothing to release: read the counts as they are
        db.session.refresh(slot, attribute_names=("booked", "held", "capacity", "kept_seats"))
    else:
        set_counts(slot, counts)
    offer_free_seats(slot, now=now, not_to=not_to)


def cancel_booked(appointment, *, now: dt.datetime) -> None:
    """Cancel an active appointment and pass its seat on (`free_booked_seat`): the traveler cancelled it, or the
    case can no longer go ahead to the visit (a revocation stands against it). Its status change is the caller's."""
    appointment.status, appointment.cancelled_at = "cancelled", now
    free_booked_seat(appointment.slot, now=now, not_to=appointment.application_id)


def offer_free_seats(slot: Slot, *, now: dt.datetime, not_to: int | None = None) -> int:
    """Offer the slot's free seats to the earliest-joined waiting travelers who want it and can take it: its day is
    within their dates; the center is taking appointments for their program (lookups.unavailable: nothing is offered
    at a center that stopped, nor for a program it dropped); their application can still book (an entry whose
    application moved on is closed); and any appointment they hold is later and can still be moved online. Never to
    application `not_to` (the traveler who just let this seat go). The hold ends by the center's minimum notice
    before the time, so an offer can always be accepted while it lasts. Returns offers made. A fixed number of
    queries however long the waitlist: the entries with their travelers, then their appointments, each in one
    statement."""
    last_chance = slot.starts_at - dt.timedelta(hours=slot.center.min_notice_hours)
    expires_at = min(now + hold_period(service_date(now)), last_chance)  # the same for every offer of this seat
    if expires_at - now < SHORTEST_HOLD:
        return 0
    day = local_time(slot.starts_at, slot.center).date()
    waiting = db.session.scalars(
        select(WaitlistEntry)
        .join(waitlist_entry_centers, waitlist_entry_centers.c.entry_id == WaitlistEntry.id)
        .where(
            waitlist_entry_centers.c.center_id == slot.center_id,
            WaitlistEntry.status == "waiting",
            WaitlistEntry.earliest_date <= day,
            WaitlistEntry.latest_date >= day,
        )
        .options(  # the notice goes to each one's account; the program says what "can book" is
            joinedload(WaitlistEntry.application).joinedload(Application.profile).joinedload(ApplicantProfile.account),
            joinedload(WaitlistEntry.application).joinedload(Application.program),
        )
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
    ).all()
    held = active_appointments([entry.application_id for entry in waiting])
    made = 0
    for entry in waiting:
        if entry.application_id == not_to:
            continue
        code = entry.application.program.code
        if entry.application.status not in (BOOKABLE[code], SCHEDULED[code]):
            entry.status = "cancelled"  # visited, decided or withdrawn since joining: no longer waiting
            continue
        if unavailable(slot.center, entry.application.program) is not None:  # they still wait for their other centers
            continue
        current = held.get(entry.application_id)
        if current is not None and (
            slot.starts_at >= current.slot.starts_at  # only something earlier is an offer
            or online_changes_closed(current, now)
            or moves_used_up(current)
        ):
            continue
        if not claim_seat(slot.id, "held"):
            break  # no free seat left
        entry.status, entry.offered_slot_id = "offered", slot.id
        entry.offer_expires_at = expires_at
        application = entry.application
        notify_about(
            application,
            kind="waitlist_offer",
            title=_l("An earlier time opened: %(when)s", when=later(describe_time, slot)),
            body=_l(
                "%(center)s. It is held for you until %(time)s. Accept it on your application page before then.",
                center=slot.center.name,
                time=later(describe_moment, entry.offer_expires_at, slot.center),
            ),
        )
        made += 1
    db.session.flush()
    db.session.refresh(slot)
    return made


def take_held_seat(entry: WaitlistEntry, *, now: dt.datetime, slot_id: int | None = None) -> Slot:
    """Release the hold so the offered traveler can book the seat in the same transaction (the entry is "booked"
    with it; a refused booking rolls both back). `slot_id`: the time the traveler's page offered; an offer withdrawn
    since (a re-plan shut its slot), or replaced by another, is refused rather than booking a time they did not
    choose."""
    offered = slot_id or entry.offered_slot_id
    _check_offer(entry, now=now, slot_id=slot_id)
    if not _end_offer(entry, "booked", to_book=True):  # expired, withdrawn or left a moment ago: say which
        _check_offer(entry, now=now, slot_id=offered)
        raise BusinessRuleViolation(_("There is no offer to accept."))
    slot = db.session.get(Slot, entry.offered_slot_id)
    db.session.refresh(slot)
    return slot


def _check_offer(entry: WaitlistEntry, *, now: dt.datetime, slot_id: int | None) -> None:
    if entry.status == "expired" or (entry.status == "offered" and entry.offer_expires_at < now):
        raise BusinessRuleViolation(_("This offer has expired and went to the next person on the waitlist."))
    if entry.status == "waiting" or (slot_id is not None and entry.offered_slot_id != slot_id):
        raise BusinessRuleViolation(
            _(
                "The time we offered you is no longer available. You keep your place on the waitlist, and this page "
                "shows any new offer."
            )
        )
    if entry.status != "offered":
        raise BusinessRuleViolation(_("There is no offer to accept."))


def withdraw_offers(room: dict[Slot, int], *, now: dt.datetime) -> int:
    """Withdraw the offers a re-plan (capacity.replan) leaves no seat for: at a center no longer taking appointments
    for the traveler's program, and on each slot those beyond the `room[slot]` seats it still has for offers, the
    last to join first. Each traveler waits again in their place (joined_at is kept) and is told the time is no
    longer available; the seat held for them is released, not kept, so they can never book a time the center no
    longer opens. An offer already past its hold is left to expire_offers. Set-based: one statement reads the offers,
    one withdraws them (only those still offered) and one releases the seats.
    Returns how many were withdrawn."""
    slots = {slot.id: slot for slot in room}
    if not slots:
        return 0
    offers = db.session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.status == "offered",
            WaitlistEntry.offered_slot_id.in_(list(slots)),
            WaitlistEntry.offer_expires_at >= now,
        )
        .options(  # the notice goes to each one's account; the program says whether the center still takes it
            joinedload(WaitlistEntry.application).joinedload(Application.profile).joinedload(ApplicantProfile.account),
            joinedload(WaitlistEntry.application).joinedload(Application.program),
        )
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
    ).all()
    standing = Counter()
    going = []
    for entry in offers:  # in joining order: the first to join keep the seats there are
        slot = slots[entry.offered_slot_id]
        if unavailable(slot.center, entry.application.program) is not None:
            going.append(entry)
            continue
        standing[slot.id] += 1
        if standing[slot.id] > room[slot]:
            going.append(entry)
    if not going:
        return 0
    withdrawn = set(
        db.session.scalars(
            update(WaitlistEntry)
            .where(WaitlistEntry.id.in_([entry.id for entry in going]), WaitlistEntry.status == "offered")
            .values(status="waiting", offered_slot_id=None, offer_expires_at=None)
            .returning(WaitlistEntry.id)
            .execution_options(synchronize_session=False)
        )
    )
    released = Counter()
    for entry in going:
        if entry.id not in withdrawn:  # accepted or left in the meantime
            continue
        slot = slots[entry.offered_slot_id]
        released[slot.id] += 1
        for name in ("offered_slot_id", "offer_expires_at"):
            set_committed_value(entry, name, None)
        set_committed_value(entry, "status", "waiting")
        notify_about(
            entry.application,
            kind="waitlist_offer_withdrawn",
            title=_l(
                "%(center)s changed its hours: the time we offered you is no longer available",
                center=slot.center.name,
            ),
            body=_l(
                "We can no longer hold %(when)s for you. You keep your place on the waitlist, and we will e-mail you "
                "if another time opens.",
                when=later(describe_time, slot),
            ),
        )
    for slot_id, held in release_held_seats(released).items():
        set_committed_value(slots[slot_id], "held", held)
    return len(withdrawn)


def expire_offers(now: dt.datetime) -> int:
    """Close offers past their hold and pass each seat on to the next person. Run by the worker."""
    expired = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at < now)
        .order_by(WaitlistEntry.offer_expires_at)
    ).all()
    ended = 0
    for entry in expired:
        if not _end_offer(entry, "expired"):  # accepted or left while this ran: that seat is not passed on
            continue
        ended += 1
        offer_free_seats(db.session.get(Slot, entry.offered_slot_id), now=now)
    return ended


def entry_for(application: Application) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.application_id == application.id, WaitlistEntry.status.in_(("waiting", "offered"))
        )
    )
