"""Re-planning a center's slots after its hours or closures change: nothing a traveler booked or cancelled breaks
the change, a seat kept for a conflict is given up when freed (never booked again on a closed day), a waitlist
offer the new hours leave no seat for is withdrawn (its traveler waits again in their place and is told), a new
slot length applies, and "today" is the center's own."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import create_account, create_application, create_profile
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.scheduling import capacity, centers, waitlist
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time, local_to_utc

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
    assert _close(jfk, day, now).conflicts == []
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
    assert [a.id for a in _close(jfk, day, now).conflicts] == [appointment.id]  # a conflict, kept for a supervisor
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
    assert _close(hnl, _weekday_ahead(30), afternoon).conflicts == []  # next month: nothing today is touched
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


def _waiting(name, day, jfk):
    """A traveler on JFK's waitlist for `day`."""
    application = create_application(
        "precheck", submitted=True, profile=create_profile(create_account(f"{name}@example.com"))
    )
    return waitlist.join(application, [jfk], earliest=day, latest=day, by=application.profile.account)


def _offered(slot, now, *entries):
    """Book the slot's seats and cancel them: each freed seat is offered to the next of `entries` in line."""
    for holder in [_book(slot, now) for _ in entries]:
        scheduling.cancel(holder, by=holder.application.profile.account, now=now)
    assert [e.status for e in entries] == ["offered"] * len(entries) and slot.held == len(entries)


def _notices(entry, kind="waitlist_offer_withdrawn"):
    account_id = entry.application.profile.account_id
    return db.session.scalars(
        select(Notification).where(Notification.account_id == account_id, Notification.kind == kind)
    ).all()


def test_closing_the_day_of_an_outstanding_offer_withdraws_it_and_its_traveler_waits_again_in_their_place():
    """An offer is not a booking: closing its day releases the held seat (nothing is kept on the closed day), the
    traveler is back to waiting with their original place in line and is told, and the old offer cannot be
    accepted (it would have booked a time the center no longer opens, a conflict nobody was told about)."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    entry = _waiting("offered", day, jfk)
    joined_at = entry.joined_at
    _offered(slot, now, entry)

    replanned = _close(jfk, day, now)

    assert replanned.conflicts == [] and replanned.offers_withdrawn == 1
    assert (entry.status, entry.offered_slot_id, entry.offer_expires_at) == ("waiting", None, None)
    assert entry.joined_at == joined_at  # the same place in line
    assert (slot.capacity, slot.booked, slot.held, slot.kept_seats) == (0, 0, 0, 0)  # released, not kept
    (notice,) = _notices(entry)
    assert "no longer available" in notice.title and "keep your place on the waitlist" in notice.body
    assert db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "email.waitlist_offer_withdrawn")
    ).all() == ["offered@example.com"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "center.capacity_changed").order_by(AuditEvent.id.desc())
    ).first()
    assert event.details["offers_withdrawn"] == 1 and event.details["conflicts"] == 0

    application = entry.application
    with pytest.raises(BusinessRuleViolation, match="no longer available"):
        scheduling.accept_offer(entry, by=application.profile.account, now=now)
    assert scheduling.active_appointment(application) is None and entry.status == "waiting"
    with pytest.raises(scheduling.SlotTaken):
        _book(slot, now)  # nobody else books the closed day either


def test_a_traveler_whose_offer_was_withdrawn_is_offered_the_next_seat_that_frees_in_their_place():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    first, later = _slots_on(jfk, day)[:2]
    withdrawn = _waiting("first-in-line", day, jfk)
    _offered(first, now, withdrawn)
    _hours(jfk, now, seats=1, opens="08:15")  # the 8:00 slot goes
    assert withdrawn.status == "waiting"
    joined_after = _waiting("joined-after", day, jfk)
    _offered(later, now, withdrawn)  # ahead of the one who joined after the withdrawn offer
    assert joined_after.status == "waiting" and withdrawn.offered_slot_id == later.id
    stale = first.id  # the page that still shows the withdrawn offer books nothing, not the new time
    account = withdrawn.application.profile.account
    with pytest.raises(BusinessRuleViolation, match="no longer available"):
        scheduling.accept_offer(withdrawn, by=account, now=now, slot_id=stale)
    assert scheduling.accept_offer(withdrawn, by=account, now=now, slot_id=later.id).slot_id == later.id


def test_an_offer_on_a_slot_that_keeps_a_seat_for_it_stands():
    """Fewer seats: the slot still has a seat beside its booking for the first offer, not for the second (the last
    to join gives way). The slot is left with its new seats, nothing kept."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=3)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    first, second = _waiting("first", day, jfk), _waiting("second", day, jfk)
    _offered(slot, now, first, second)
    booked = _book(slot, now)

    replanned = _hours(jfk, now, seats=2)

    assert replanned.conflicts == [] and replanned.offers_withdrawn == 1
    assert (first.status, first.offered_slot_id, second.status) == ("offered", slot.id, "waiting")
    assert _notices(first) == [] and len(_notices(second)) == 1
    assert (slot.capacity, slot.booked, slot.held, slot.kept_seats) == (2, 1, 1, 0)
    appointment = scheduling.accept_offer(first, by=first.application.profile.account, now=now, slot_id=slot.id)
    assert appointment.slot_id == slot.id and (slot.capacity, slot.booked, slot.held) == (2, 2, 0)
    assert booked.status == "booked"


def test_an_offer_on_a_slot_the_new_hours_still_open_stands():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[-1]  # 15:45: still open when the center opens at 12:00 instead of 8:00
    entry = _waiting("afternoon", day, jfk)
    _offered(slot, now, entry)
    replanned = _hours(jfk, now, seats=1, opens="12:00")
    assert replanned.offers_withdrawn == 0 and entry.status == "offered" and _notices(entry) == []
    assert (slot.capacity, slot.held, slot.kept_seats) == (1, 1, 0)
    assert scheduling.accept_offer(entry, by=entry.application.profile.account, now=now).slot_id == slot.id


def test_an_offer_past_its_hold_when_its_day_closes_is_left_to_expire_and_gives_up_its_seat():
    """The worker has not yet expired it: it cannot be accepted any more, so it is not withdrawn (its traveler's
    place ends as any expired offer's does), and its seat is given up, not freed, when the worker releases it."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    entry = _waiting("slow", day, jfk)
    _offered(slot, now, entry)
    lapsed = entry.offer_expires_at + dt.timedelta(minutes=1)
    assert _close(jfk, day, lapsed).offers_withdrawn == 0
    assert (entry.status, slot.capacity, slot.held, slot.kept_seats) == ("offered", 1, 1, 1)
    with pytest.raises(BusinessRuleViolation, match="expired"):
        scheduling.accept_offer(entry, by=entry.application.profile.account, now=lapsed)
    assert waitlist.expire_offers(lapsed) == 1
    db.session.refresh(slot)
    assert (entry.status, slot.capacity, slot.held, slot.kept_seats) == ("expired", 0, 0, 0)


def test_an_offer_accepted_before_its_day_closed_is_a_booking_like_any_other():
    """Accepted, the offer is an appointment: closing its day makes it a conflict for a supervisor, its seat is kept
    for it, and given up once its traveler cancels."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    entry = _waiting("accepted", day, jfk)
    _offered(slot, now, entry)
    account = entry.application.profile.account
    appointment = scheduling.accept_offer(entry, by=account, now=now)
    replanned = _close(jfk, day, now)
    assert [a.id for a in replanned.conflicts] == [appointment.id] and replanned.offers_withdrawn == 0
    assert entry.status == "booked" and (slot.capacity, slot.booked, slot.held, slot.kept_seats) == (1, 1, 0, 1)
    scheduling.cancel(appointment, by=account, now=now)
    assert (slot.capacity, slot.booked, slot.kept_seats) == (0, 0, 0)


def _details(center, now, *, service_ids=None, **fields):
    """Save the center's details with `fields` changed (and its programs, as scheduler service ids)."""
    service_ids = service_ids or [service.id for service in center.services]
    return centers.update_details(center, by=None, fields=fields, service_ids=service_ids, now=now)


def _affected(application, kind="appointment_affected"):
    return db.session.scalars(
        select(Notification).where(Notification.account_id == application.profile.account_id, Notification.kind == kind)
    ).all()


def test_a_center_that_stops_operating_tells_its_booked_travelers_and_neither_offers_nor_reminds():
    """Set not operational: every booked traveler is told their visit may not go ahead and to choose another center
    (listed for a supervisor, the seats kept); no reminder says it goes ahead, a freed seat is offered to nobody,
    and no free time is left to book."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    first, second = _slots_on(jfk, day)[:2]
    booked, leaving = _book(first, now), _book(second, now)
    entry = _waiting("waiting", day, jfk)

    replanned = _details(jfk, now, operational=False)

    assert {a.id for a in replanned.conflicts} == {booked.id, leaving.id}
    assert {a.id for a in capacity.conflicts(jfk, now)} == {booked.id, leaving.id}
    (notice,) = _affected(booked.application)
    assert notice.title == "John F. Kennedy International Enrollment Center is not taking appointments now."
    assert notice.body.startswith("Your enrollment visit on ") and "may not go ahead" in notice.body
    assert "Choose a time at another center, or the center will contact you." in notice.body
    assert booked.status == "booked" and (first.capacity, first.booked, first.kept_seats) == (1, 1, 1)
    assert scheduling.send_reminders(first.starts_at - dt.timedelta(hours=30)) == 0
    assert booked.reminder_sent_at is None and _affected(booked.application, "appointment_reminder") == []

    scheduling.cancel(leaving, by=leaving.application.profile.account, now=now)
    assert entry.status == "waiting" and _notices(entry, "waitlist_offer") == []
    assert (second.capacity, second.booked, second.held) == (0, 0, 0)  # given up, not offered
    assert scheduling.open_slots(jfk, since=now, until=now + dt.timedelta(days=60)) == []


def test_a_center_that_drops_a_program_tells_that_programs_travelers_only():
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=2)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    precheck = _book(slot, now)
    interview = create_application("global_entry", submitted=True)
    global_entry = scheduling.book(interview, slot, by=interview.profile.account, now=now)
    entry = _waiting("precheck-waiting", day, jfk)

    replanned = _details(jfk, now, service_ids=[1])  # Global Entry only

    assert [a.id for a in replanned.conflicts] == [precheck.id]
    (notice,) = _affected(precheck.application)
    assert notice.title == "John F. Kennedy International Enrollment Center does not offer TSA PreCheck."
    assert "Choose a time at another center" in notice.body
    assert _affected(interview) == []
    assert scheduling.send_reminders(slot.starts_at - dt.timedelta(hours=30)) == 1  # the interview only
    assert precheck.reminder_sent_at is None and global_entry.reminder_sent_at is not None
    scheduling.cancel(global_entry, by=interview.profile.account, now=now)
    assert entry.status == "waiting" and slot.held == 0  # a PreCheck traveler is not offered a Global Entry seat


def test_an_outstanding_offer_for_a_program_the_center_drops_is_withdrawn():
    """The seat stays open at the center's hours, but not to a PreCheck traveler: their offer is withdrawn (they
    would be refused on accepting it), the seat released, and they wait again in their place, told."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    entry = _waiting("precheck-offered", day, jfk)
    _offered(slot, now, entry)

    replanned = _details(jfk, now, service_ids=[1])

    assert replanned.offers_withdrawn == 1 and (entry.status, entry.offered_slot_id) == ("waiting", None)
    assert (slot.capacity, slot.booked, slot.held, slot.kept_seats) == (1, 0, 0, 0)
    assert len(_notices(entry)) == 1
    with pytest.raises(BusinessRuleViolation, match="no longer available"):
        scheduling.accept_offer(entry, by=entry.application.profile.account, now=now, slot_id=slot.id)


def test_a_new_time_zone_replans_the_slots_at_the_same_local_hours():
    """The weekly hours are local times: after a move to Los Angeles the free times are 8:00 to 16:00 there, and a
    booking at 8:00 New York time (5:00 in Los Angeles) is a conflict its traveler is told about."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    booked = _book(slot, now)

    replanned = _details(jfk, now, tz_name="America/Los_Angeles")
    generate_slots(jfk, start=day, days=1)  # the worker's hourly run opens nothing more

    assert [a.id for a in replanned.conflicts] == [booked.id]
    times = [(local_time(s.starts_at, jfk).strftime("%H:%M"), s.capacity, s.booked) for s in _slots_on(jfk, day)]
    assert times[0] == ("05:00", 1, 1)  # kept for its traveler, who is told
    assert [t for t, _, _ in times[1:]] == [f"{h:02}:{m:02}" for h in range(8, 16) for m in (0, 15, 30, 45)]
    assert all((seats, taken) == (1, 0) for _, seats, taken in times[1:])
    (notice,) = _affected(booked.application)
    assert "5:00 AM P" in notice.body and "may not go ahead" in notice.body


def test_a_replan_keeps_slots_opened_further_ahead_than_eight_weeks():
    """`flask generate-slots --weeks 12`: a closure next week leaves the slots of weeks 9 to 12 and a booking in
    week 10 as they were."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    generate_slots(jfk, start=local_time(now, jfk).date(), days=7 * 12)
    far = _slots_on(jfk, _weekday_ahead(70))[0]
    booked = _book(far, now)
    closed = _weekday_ahead(10)
    count = db.session.scalar(select(func.count()).select_from(Slot).where(Slot.center_id == JFK))
    on_closed_day = len(_slots_on(jfk, closed))

    assert _close(jfk, closed, now).conflicts == []

    after = db.session.scalar(select(func.count()).select_from(Slot).where(Slot.center_id == JFK))
    assert after == count - on_closed_day
    assert booked.status == "booked" and (far.capacity, far.booked, far.kept_seats) == (2, 1, 0)
    assert _affected(booked.application) == []


def test_an_appointment_on_a_closed_day_is_not_reminded_as_if_it_went_ahead():
    """Its traveler was told it may not go ahead: no "Reminder: your enrollment visit is ..." contradicts that."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now)
    day = _weekday_ahead(10)
    day += dt.timedelta(days=day.weekday() == 0)  # Tuesday to Friday: the day before opens too
    slot, other = _slots_on(jfk, day)[0], _slots_on(jfk, day - dt.timedelta(days=1))[0]
    booked, going_ahead = _book(slot, now), _book(other, now)
    _close(jfk, day, now)
    assert scheduling.send_reminders(slot.starts_at - dt.timedelta(hours=30)) == 1  # the day before's only
    assert booked.reminder_sent_at is None and going_ahead.reminder_sent_at is not None
    assert _affected(booked.application, "appointment_reminder") == []


def test_a_traveler_told_their_visit_may_not_go_ahead_is_told_once_when_it_does_and_is_reminded_again():
    """The closure is lifted: the appointment is no longer in conflict, its traveler hears it stands (once: a later,
    unrelated change says nothing more), and the reminder held back while it was in question goes."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now)
    day = _weekday_ahead(10)
    slot = _slots_on(jfk, day)[0]
    booked = _book(slot, now)
    remind_at = slot.starts_at - dt.timedelta(hours=30)
    _close(jfk, day, now)
    assert scheduling.send_reminders(remind_at) == 0
    (closure,) = jfk.closures

    assert centers.remove_closure(jfk, closure.id, by=None, now=now).conflicts == []
    _close(jfk, _weekday_ahead(20), now)

    (clear,) = _affected(booked.application, "appointment_goes_ahead")
    assert clear.title.startswith("Your enrollment visit goes ahead as booked: ")
    assert clear.body.endswith(" can keep your appointment after all. You do not need to do anything.")
    assert len(_affected(booked.application)) == 1  # told once that it might not
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "center.capacity_changed").order_by(AuditEvent.id)
    ).all()[-2]
    assert event.details["conflicts_cleared"] == 1 and event.details["conflicts"] == 0
    assert scheduling.send_reminders(remind_at) == 1 and booked.reminder_sent_at == remind_at


def test_a_traveler_already_checked_in_is_not_told_to_choose_another_time_when_the_hours_change():
    """Checked in for a time later that day (early, at the center) when an administrator narrows the hours: their
    visit goes ahead; only the travelers still to come are told, and only theirs are listed as conflicts."""
    now = dt.datetime.now(dt.UTC)
    jfk = db.session.get(EnrollmentCenter, JFK)
    _hours(jfk, now, seats=1)
    day = _weekday_ahead(10)
    first, second = _slots_on(jfk, day)[:2]
    arrived, coming = _book(first, now), _book(second, now)
    arrived.status, arrived.checked_in_at = "checked_in", now  # as check_in records it on the day

    _close(jfk, day, now)

    assert [a.id for a in capacity.conflicts(jfk, now)] == [coming.id]
    assert _affected(arrived.application) == [] and len(_affected(coming.application)) == 1
    assert arrived.status == "checked_in" and first.booked == 1  # the seat still counts
