"""Booking, moving and cancelling: the right applications at the right times, policies kept, never overbooked."""

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from tests.factories import create_account, create_application, create_officer, create_profile
from tests.support.overlap import two_runs_at_once
from trusted_traveler.casework.states import Status
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.ics import appointment_ics
from trusted_traveler.scheduling.models import Appointment, Slot
from trusted_traveler.scheduling.slots import local_time


def _slot(now: dt.datetime, center_id=8001, *, hours=72, capacity=1):
    slot = Slot(center_id=center_id, starts_at=now + dt.timedelta(hours=hours), capacity=capacity)
    db.session.add(slot)
    db.session.flush()
    return slot


@pytest.fixture
def ctx(app_ctx):
    return None


def test_global_entry_books_only_after_conditional_approval_and_moves_to_interview_scheduled(ctx, now):
    application = create_application("global_entry", submitted=True)  # clean vetting: conditionally approved
    slot = _slot(now, 8001)  # an airport center offering Global Entry
    appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
    assert application.status == Status.INTERVIEW_SCHEDULED and slot.booked == 1
    assert appointment.status == "booked"
    titles = db.session.scalars(select(Notification.title).where(Notification.kind == "appointment_booked")).all()
    assert titles and "Your interview is booked" in titles[0]


def test_booking_and_cancelling_each_send_the_traveler_one_notice_and_one_email(ctx, now):
    application = create_application("precheck", submitted=True)
    before = {
        "notices": db.session.scalar(select(func.count()).select_from(Notification)),
        "emails": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
    }

    def sent():
        notices = db.session.scalars(select(Notification.kind).order_by(Notification.id)).all()[before["notices"] :]
        emails = db.session.scalar(select(func.count()).select_from(OutboxMessage)) - before["emails"]
        return notices, emails

    appointment = scheduling.book(application, _slot(now, 8001, hours=72), by=application.profile.account, now=now)
    assert sent() == (["appointment_booked"], 1)  # with the time and place; no separate "status changed" notice
    scheduling.cancel(appointment, by=application.profile.account, now=now)
    assert sent() == (["appointment_booked", "appointment_cancelled"], 2)
    assert application.status == Status.SUBMITTED


def test_a_center_with_the_longest_notes_still_books_and_the_notice_carries_them(ctx, now):
    """A center's notes for travelers may be 4,000 characters (the admin form's limit); the booking notice quotes
    them with the address (PostgreSQL enforces the column's length: a notice body of 2,000 refused the booking)."""
    from trusted_traveler.scheduling.models import EnrollmentCenter

    center = db.session.get(EnrollmentCenter, 8001)
    center.notes = ("Bring your passport and a second photo ID. " * 100)[:4000].strip()
    application = create_application("precheck", submitted=True)
    scheduling.book(application, _slot(now, 8001), by=application.profile.account, now=now)
    db.session.flush()
    body = db.session.scalar(select(Notification.body).where(Notification.kind == "appointment_booked"))
    assert center.notes in body and center.address in body


def test_precheck_books_once_submitted_but_not_a_draft(ctx, now):
    draft = create_application("precheck")
    with pytest.raises(BusinessRuleViolation, match="once your application is submitted"):
        scheduling.book(draft, _slot(now, 8001), by=draft.profile.account, now=now)


def test_a_center_that_does_not_offer_the_program_is_refused(ctx, now):
    application = create_application("precheck", submitted=True)
    with pytest.raises(BusinessRuleViolation, match="does not offer TSA PreCheck"):
        scheduling.book(application, _slot(now, 5001), by=application.profile.account, now=now)  # a land port


def test_each_centers_soonest_is_its_first_free_seat_far_enough_ahead(ctx, now):
    from trusted_traveler.programs.service import get_program
    from trusted_traveler.scheduling.models import EnrollmentCenter

    _slot(now, 8001, hours=1)  # inside the two hours' notice
    _slot(now, 8001, hours=30).booked = 1  # full
    _slot(now, 8001, hours=50)
    _slot(now, 8001, hours=70)
    _slot(now, 8002, hours=26, capacity=2).held = 2  # both seats held for waitlist offers
    _slot(now, 5001, hours=30)  # a land port: no PreCheck
    db.session.get(EnrollmentCenter, 8003).operational = False
    _slot(now, 8003, hours=30)
    db.session.flush()
    soonest = scheduling.soonest_by_center(get_program("precheck"), since=now)
    assert soonest == {8001: now + dt.timedelta(hours=50)}


def test_too_soon_and_a_second_booking_are_refused(ctx, now):
    application = create_application("precheck", submitted=True)
    with pytest.raises(BusinessRuleViolation, match="too soon") as refused:
        scheduling.book(application, _slot(now, 8001, hours=1), by=application.profile.account, now=now)
    # the center named in full, as the booking pages name it
    assert "John F. Kennedy International Enrollment Center takes bookings at least 2 hours ahead" in str(refused.value)
    scheduling.book(application, _slot(now, 8001, hours=50), by=application.profile.account, now=now)
    with pytest.raises(BusinessRuleViolation, match="already has an appointment"):
        scheduling.book(application, _slot(now, 8001, hours=51), by=application.profile.account, now=now)


def test_the_last_seat_goes_to_one_person_the_other_is_told_it_was_taken(ctx, now):
    slot = _slot(now, 8001, capacity=1)
    first = create_application("precheck", submitted=True)
    second = create_application("precheck", submitted=True)
    scheduling.book(first, slot, by=first.profile.account, now=now)
    db.session.commit()
    with pytest.raises(scheduling.SlotTaken, match="just taken"):
        scheduling.book(second, slot, by=second.profile.account, now=now)
    db.session.rollback()  # as the booking page does: the seat is taken last, and its refusal undoes the rest
    assert second.status == Status.SUBMITTED and slot.booked == 1
    assert scheduling.active_appointment(second) is None and scheduling.active_appointment(first) is not None


def test_cancel_frees_the_seat_and_returns_the_application_until_the_cutoff(ctx, now):
    application = create_application("global_entry", submitted=True)
    slot = _slot(now, 8001, hours=72)
    appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
    scheduling.cancel(appointment, by=application.profile.account, now=now)
    assert slot.booked == 0 and application.status == Status.CONDITIONALLY_APPROVED
    late = scheduling.book(application, _slot(now, 8001, hours=20), by=application.profile.account, now=now)
    with pytest.raises(BusinessRuleViolation, match="Online changes close 24 hours before"):
        scheduling.cancel(late, by=application.profile.account, now=now)
    scheduling.cancel(late, by=create_officer(), now=now, reason="cancelled_by_center")  # staff may


def test_reschedule_moves_the_seat_and_stops_at_the_center_limit(ctx, now):
    application = create_application("precheck", submitted=True)
    slots = [_slot(now, 8001, hours=48 + i) for i in range(5)]
    appointment = scheduling.book(application, slots[0], by=application.profile.account, now=now)
    for slot in slots[1:4]:
        scheduling.reschedule(appointment, slot, by=application.profile.account, now=now)
    assert [s.booked for s in slots] == [0, 0, 0, 1, 0]
    with pytest.raises(BusinessRuleViolation, match="the most allowed online"):
        scheduling.reschedule(appointment, slots[4], by=application.profile.account, now=now)


def test_the_calendar_file_is_in_the_centers_time_zone(ctx, now):
    application = create_application("precheck", submitted=True)
    appointment = scheduling.book(application, _slot(now, 8001, hours=72), by=application.profile.account, now=now)
    ics = appointment_ics(appointment, visit="enrollment visit").decode()
    assert "BEGIN:VEVENT" in ics and "TZID=America/New_York" in ics and application.reference in ics


def test_reminders_go_once_in_the_two_days_before(ctx, now):
    application = create_application("precheck", submitted=True)
    scheduling.book(application, _slot(now, 8001, hours=30), by=application.profile.account, now=now)
    assert scheduling.send_reminders(now) == 1
    assert scheduling.send_reminders(now) == 0


def test_two_reminder_runs_at_once_remind_each_traveler_once_and_neither_fails(app, monkeypatch, now):
    """`flask send-reminders` runs hourly from cron: a slow run overlaps the next, or two hosts run it. The traveler is
    reminded once, and the other run reminds nobody instead of failing (PostgreSQL: it passes over the appointment
    the first holds; SQLite: it waits for the first's commit, then finds it reminded)."""
    with app.app_context():
        application = create_application("precheck", submitted=True)
        scheduling.book(application, _slot(now, 8001, hours=30), by=application.profile.account, now=now)
        db.session.commit()
    sent, errors = two_runs_at_once(
        app, lambda: scheduling.send_reminders(now), monkeypatch, (scheduling, "notify_about")
    )

    assert errors == [] and sorted(sent) == [0, 1]
    with app.app_context():
        reminders = select(func.count()).where(Notification.kind == "appointment_reminder")
        emails = select(func.count()).where(OutboxMessage.kind == "email.appointment_reminder")
        assert (db.session.scalar(reminders), db.session.scalar(emails)) == (1, 1)


def test_reminders_run_the_same_queries_for_3_or_30_appointments(app, ctx, now):
    """The worker reminds every traveler with an appointment in the next two days, nationwide (about 30,000 on a
    busy day): each reminder reads nothing of its own."""
    from tests.support.queries import count_queries

    def remind(count: int, hours: int):
        slot = _slot(now, 8001, hours=hours, capacity=count)
        for _ in range(count):
            application = create_application("precheck", submitted=True)
            scheduling.book(application, slot, by=application.profile.account, now=now)
        db.session.flush()
        with count_queries(app) as seen:
            assert scheduling.send_reminders(now) == count
            db.session.flush()
        return seen

    few, many = remind(3, 30), remind(30, 40)
    reads = [[q for q in seen if q.lstrip().upper().startswith("SELECT")] for seen in (few, many)]
    assert len(reads[1]) == len(reads[0]), reads[1]  # what it writes, a notice and an e-mail each, it must write


def test_fifty_clients_racing_for_the_last_seats_never_overbook(app, database_url, now):
    from trusted_traveler import create_app

    racers_app = create_app(
        "test",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_size": 55,
                "max_overflow": 0,
                "pool_timeout": 60,
                **({"connect_args": {"timeout": 60}} if database_url.startswith("sqlite") else {}),
            },
        },
    )
    """50 travelers in 50 threads, each with its own connection, try to book a slot with 3 seats at once (on
    PostgreSQL in CI; on SQLite the writers queue, and the answer must be the same)."""
    with app.app_context():
        slot = _slot(now, 8001, hours=72, capacity=3)
        ids = [
            create_application(
                "precheck", submitted=True, profile=create_profile(create_account(f"racer{i}@example.com"))
            ).id
            for i in range(50)
        ]
        db.session.commit()
        slot_id = slot.id
    barrier = threading.Barrier(50)
    outcomes = []

    def race(application_id):
        from trusted_traveler.casework.models import Application

        with racers_app.app_context():
            application = db.session.get(Application, application_id)
            target = db.session.get(Slot, slot_id)
            barrier.wait(timeout=60)
            try:
                scheduling.book(application, target, by=application.profile.account, now=now)
                db.session.commit()
                outcomes.append("booked")
            except scheduling.SlotTaken:
                db.session.rollback()
                outcomes.append("taken")

    threads = [threading.Thread(target=race, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        booked = db.session.scalar(select(Slot.booked).where(Slot.id == slot_id))
        active = db.session.scalar(select(func.count()).select_from(Appointment).where(Appointment.slot_id == slot_id))
    assert sorted(outcomes).count("booked") == 3 and outcomes.count("taken") == 47
    assert booked == active == 3


def test_at_the_center_check_in_then_complete_a_precheck_visit_runs_vetting(ctx, now):
    application = create_application("precheck", submitted=True)
    slot = _slot(now, 8001, hours=72)
    appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
    officer = create_officer()
    visit_time = slot.starts_at + dt.timedelta(minutes=1)
    assert appointment in scheduling.day_schedule(slot.center, local_time(slot.starts_at, slot.center).date())
    with pytest.raises(BusinessRuleViolation, match="Check the traveler in"):
        scheduling.complete_visit(
            appointment, by=officer, now=visit_time, documents_verified=True, biometrics_captured=True
        )
    scheduling.check_in(appointment, by=officer, now=visit_time)
    scheduling.complete_visit(
        appointment, by=officer, now=visit_time, documents_verified=True, biometrics_captured=True
    )
    assert appointment.status == "completed" and application.status == Status.APPROVED  # clean vetting


def test_a_no_show_sends_global_entry_back_to_booking(ctx, now):
    application = create_application("global_entry", submitted=True)
    slot = _slot(now, 8001, hours=72)
    appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
    officer = create_officer()
    with pytest.raises(BusinessRuleViolation, match="has not started yet"):
        scheduling.mark_no_show(appointment, by=officer, now=now)
    scheduling.mark_no_show(appointment, by=officer, now=slot.starts_at + dt.timedelta(minutes=30))
    assert application.status == Status.CONDITIONALLY_APPROVED
    assert db.session.scalars(select(Notification.kind).where(Notification.kind == "appointment_missed")).all()


def test_a_no_show_sends_the_traveler_one_notice_and_one_email(ctx, now):
    """The missed-appointment notice says what the status change would, and what to do next: one message, not two
    (as booking and cancelling)."""
    application = create_application("global_entry", submitted=True)
    slot = _slot(now, 8001, hours=72)
    appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
    notices = db.session.scalar(select(func.count()).select_from(Notification))
    emails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    scheduling.mark_no_show(appointment, by=create_officer(), now=slot.starts_at + dt.timedelta(minutes=30))
    db.session.flush()
    kinds = db.session.scalars(select(Notification.kind).order_by(Notification.id)).all()[notices:]
    assert kinds == ["appointment_missed"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) - emails == 1
    assert application.events[-1].reason_code == "no_show"  # the status change is still recorded, just not sent


def test_enrollment_on_arrival_completes_the_interview_without_an_appointment(ctx):
    application = create_application("global_entry", submitted=True)
    scheduling.complete_on_arrival(application, by=create_officer())
    assert application.status == Status.INTERVIEW_COMPLETED
    assert application.events[-1].reason_code == "enrollment_on_arrival"


def test_check_in_is_on_the_appointments_own_day_at_its_center(ctx, now):
    """An officer checks a traveler in on the day of their appointment, in the center's time zone: early or late
    that day, but not days before (the interview is then held on the wrong day and the seat it booked goes unused)
    nor after."""
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")  # JFK's zone
    day = (now + dt.timedelta(days=3)).astimezone(new_york).date()
    at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=new_york).astimezone(dt.UTC)
    slot = Slot(center_id=8001, starts_at=at, capacity=1)
    db.session.add(slot)
    db.session.flush()
    application = create_application("precheck", submitted=True)
    appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
    officer = create_officer()
    for too_early_or_late in (now, at - dt.timedelta(hours=12), at + dt.timedelta(hours=15)):  # the night before, after
        with pytest.raises(BusinessRuleViolation, match=f"This appointment is on {day:%A, %B %-d, %Y}. Check"):
            scheduling.check_in(appointment, by=officer, now=too_early_or_late)
        assert appointment.status == "booked"
    scheduling.check_in(appointment, by=officer, now=at - dt.timedelta(hours=2))  # 8 a.m., early for 10
    assert appointment.status == "checked_in"


def test_the_timeline_names_each_appointment_cancelled_missed_or_moved(ctx, now):
    """A cancelled or missed appointment goes back to the status before booking, and a moved one stays booked: the
    traveler's timeline says what happened, not "We received your application" again, nor nothing."""
    from trusted_traveler.casework.service import public_timeline

    application = create_application("global_entry", submitted=True)
    traveler, officer = application.profile.account, create_officer()
    slots = [_slot(now, 8001, hours=72 + i) for i in range(3)]
    appointment = scheduling.book(application, slots[0], by=traveler, now=now)
    scheduling.reschedule(appointment, slots[1], by=traveler, now=now)
    scheduling.cancel(appointment, by=traveler, now=now)
    appointment = scheduling.book(application, slots[2], by=traveler, now=now)
    scheduling.mark_no_show(appointment, by=officer, now=slots[2].starts_at + dt.timedelta(minutes=30))
    steps = [(s["label"], s["explanation"]) for s in public_timeline(application)]
    labels = [label for label, _ in steps]
    assert labels[labels.index("Conditionally Approved") :] == [
        "Conditionally Approved",
        "Interview scheduled",
        "Appointment moved",
        "Appointment cancelled",
        "Interview scheduled",
        "Appointment missed",
    ]
    assert ("Appointment cancelled", "You cancelled your appointment. Book a new time whenever you are ready.") in steps
    assert application.status == Status.CONDITIONALLY_APPROVED  # moving changed no status, missing went back


def test_a_moved_appointment_is_a_step_in_the_case_history_and_not_a_new_status(ctx, now):
    from trusted_traveler.casework.history import reason_label
    from trusted_traveler.casework.models import StatusEvent

    application = create_application("precheck", submitted=True)
    traveler = application.profile.account
    appointment = scheduling.book(application, _slot(now, 8001, hours=72), by=traveler, now=now)
    entered = application.status_entered_at
    scheduling.reschedule(appointment, _slot(now, 8001, hours=80), by=traveler, now=now)
    moved = db.session.scalars(select(StatusEvent).order_by(StatusEvent.id.desc())).first()
    assert (moved.from_status, moved.to_status, moved.actor_id) == ("enrollment_scheduled",) * 2 + (traveler.id,)
    assert reason_label(moved.reason_code) == "Appointment moved"
    assert application.status_entered_at == entered  # the time in the status goes on
