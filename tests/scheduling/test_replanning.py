"""Re-planning a center's slots after its hours or closures change: nothing a traveler booked or cancelled breaks
the change, a seat kept for a conflict is given up when freed (never booked again on a closed day), a new slot
length applies, and "today" is the center's own."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import capacity, centers, waitlist
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time, local_to_utc

pytestmark = pytest.mark.usefixtures("app_ctx")
JFK, HNL = 8001, 8017


def _hours(center, now, *, seats=2, minutes=15, opens="08:00", closes="16:00"):
    rows = [
        {
            "weekday": d,
            "opens_at": dt.time.fromisoformat(opens),
            "closes_at": dt.time.fromisoformat(closes),
            "slot_minutes": minutes,
            "seats": seats,
        }
        for d in range(5)
    ]
    return centers.set_weekly_hours(center, rows, by=None, now=now)


def _weekday_ahead(days: int) -> dt.date:
    day = service_today() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _slots_on(center, day):
    return [
        s
        for s in db.session.scalars(select(Slot).where(Slot.center_id == center.id).order_by(Slot.starts_at))
        if local_time(s.starts_at, center).date() == day
    ]


def _close(center, day, now):
    return centers.add_closure(center, starts_on=day, ends_on=day, reason="Power work", by=None, now=now)


def _book(slot, now):
    application = create_application("precheck", submitted=True)
    return scheduling.book(application, slot, by=application.profile.account, now=now)


def test_closing_a_day_where_someone_cancelled_closes_that_slot_in_place():
    """The cancelled appointment still names its slot, so the slot cannot go (on PostgreSQL the delete failed the
    administrator's page): it stays, with no seats, and the day's other empty slots go."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now)
    day = _weekday_ahead(10)
    first = _slots_on(jfk, day)[0]
    appointment = _book(first, now)
    scheduling.cancel(appointment, by=appointment.application.profile.account, now=now)
    db.session.flush()
    assert _close(jfk, day, now) == []
    db.session.flush()
    assert [s.id for s in _slots_on(jfk, day)] == [first.id] and first.capacity == 0
    assert db.session.get(Appointment, appointment.id).slot_id == first.id
    since = local_to_utc(day, dt.time(0), local_time(now, jfk).tzinfo)
    assert scheduling.open_slots(jfk, since=since, until=since + dt.timedelta(days=1)) == []


def test_a_seat_kept_on_a_closed_day_is_given_up_when_its_traveler_cancels():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    appointment = _book(slot, now)
    waiting = create_application("precheck", submitted=True)
    entry = waitlist.join(waiting, [jfk], earliest=day, latest=day, by=waiting.profile.account)
    assert [a.id for a in _close(jfk, day, now)] == [appointment.id]  # a conflict, kept for a supervisor
    assert (slot.capacity, slot.booked, slot.kept_seats) == (1, 1, 1)
    scheduling.cancel(appointment, by=appointment.application.profile.account, now=now)
    assert (slot.capacity, slot.booked, slot.kept_seats) == (0, 0, 0)
    assert entry.status == "waiting" and slot.held == 0  # not offered on a closed day
    with pytest.raises(scheduling.SlotTaken):
        _book(slot, now)


def test_fewer_seats_and_then_a_cancellation_leave_the_slot_at_its_new_seats():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=2)
    slot = _slots_on(jfk, _weekday_ahead(10))[0]
    first, second = _book(slot, now), _book(slot, now)
    _hours(jfk, now, seats=1)
    assert (slot.capacity, slot.booked, slot.kept_seats) == (2, 2, 1)
    scheduling.cancel(first, by=first.application.profile.account, now=now)
    assert (slot.capacity, slot.booked, slot.kept_seats) == (1, 1, 0)  # full at its one seat
    with pytest.raises(scheduling.SlotTaken):
        _book(slot, now)
    scheduling.cancel(second, by=second.application.profile.account, now=now)
    assert (slot.capacity, slot.booked) == (1, 0)  # the planned seat is free again
    assert _book(slot, now).slot_id == slot.id


def test_a_new_slot_length_applies_to_the_slots_that_keep_their_start():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, minutes=15)
    day = _weekday_ahead(10)
    _hours(jfk, now, minutes=30)
    slots = _slots_on(jfk, day)
    assert {s.duration_minutes for s in slots} == {30}
    assert [local_time(s.starts_at, jfk).strftime("%H:%M") for s in slots[:3]] == ["08:00", "08:30", "09:00"]


def test_a_change_made_in_a_centers_afternoon_keeps_the_rest_of_its_day():
    """At 14:30 in Honolulu it is already tomorrow in UTC: the rest of Honolulu's today is still planned."""
    hnl = db.session.get(EnrollmentCenter, HNL)
    day = _weekday_ahead(3)
    zone = local_time(dt.datetime.now(dt.UTC), hnl).tzinfo
    earlier = local_to_utc(day, dt.time(6), zone)
    _hours(hnl, earlier)
    afternoon = local_to_utc(day, dt.time(14, 30), zone)
    assert afternoon.date() > day  # the point of the test
    later_today = [s for s in _slots_on(hnl, day) if s.starts_at > afternoon]
    booked = _book(later_today[-1], earlier)
    assert _close(hnl, _weekday_ahead(30), afternoon) == []  # next month: nothing today is touched
    assert all(s.capacity == 2 for s in later_today)
    assert [a.id for a in capacity.conflicts(hnl, afternoon)] == [] and booked.status == "booked"


def test_a_moved_appointment_is_reminded_of_its_new_time():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now)
    soon, later = _slots_on(jfk, _weekday_ahead(3))[0], _slots_on(jfk, _weekday_ahead(10))[0]
    appointment = _book(soon, now)
    assert scheduling.send_reminders(soon.starts_at - dt.timedelta(hours=40)) == 1
    scheduling.reschedule(appointment, later, by=appointment.application.profile.account, now=now)
    assert appointment.reminder_sent_at is None
    assert scheduling.send_reminders(later.starts_at - dt.timedelta(hours=30)) == 1


def test_an_offer_made_before_its_day_closed_can_still_be_accepted():
    """The held seat is kept for its traveler like a booked one (a conflict for a supervisor); accepting passes it
    to them rather than giving it up, and once they cancel it is given up."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    holder = _book(slot, now)
    waiting = create_application("precheck", submitted=True)
    entry = waitlist.join(waiting, [jfk], earliest=day, latest=day, by=waiting.profile.account)
    scheduling.cancel(holder, by=holder.application.profile.account, now=now)
    assert entry.status == "offered" and slot.held == 1
    _close(jfk, day, now)
    assert (slot.capacity, slot.held, slot.kept_seats) == (1, 1, 1)
    appointment = scheduling.accept_offer(entry, by=waiting.profile.account, now=now)
    assert appointment.slot_id == slot.id and (slot.capacity, slot.booked, slot.held, slot.kept_seats) == (1, 1, 0, 1)
    scheduling.cancel(appointment, by=waiting.profile.account, now=now)
    assert (slot.capacity, slot.booked, slot.kept_seats) == (0, 0, 0)
