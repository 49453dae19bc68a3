"""Recording the interview completes the visit the traveler booked, from the case page as from the center's day;
and an action the day view can no longer take is answered on the day view with the reason, not an error page."""

import datetime as dt

from tests.factories import create_account, create_application, form_version, sign_in
from trusted_traveler.casework import assignment
from trusted_traveler.casework.states import Status
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Appointment, Slot

JFK = 8001


def _booked_interview(app, now: dt.datetime) -> tuple[str, int]:
    """A conditionally approved Global Entry applicant with an interview booked at JFK five days after `now`, and an
    officer; returns the case reference and the appointment id."""
    with app.app_context():
        create_account("olga.officer@example.com", roles=("officer",))
        application = create_application("global_entry", submitted=True)
        slot = Slot(center_id=JFK, starts_at=now + dt.timedelta(days=5), capacity=1)
        db.session.add(slot)
        db.session.flush()
        appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
        db.session.commit()
        return application.reference, appointment.id


def test_recording_the_interview_on_the_case_page_completes_the_booked_appointment(app, client, now):
    reference, appointment_id = _booked_interview(app, now)
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{reference}").get_data(as_text=True))
    response = client.post(
        f"/officer/cases/{reference}/interview",
        data={"version": version, "documents_verified": "y", "biometrics_captured": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.status == "completed"
        assert appointment.application.status == Status.INTERVIEW_COMPLETED
        assert scheduling.active_appointment(appointment.application) is None
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert 'data-testid="appointment"' not in html  # nothing booked any more


def test_the_day_view_answers_an_action_on_another_officers_case_with_the_reason(app, client, now):
    """Completing the interview of a case another officer holds is refused (PermissionDenied): the center's day
    again with why, not an error page, and nothing changed."""
    reference, appointment_id = _booked_interview(app, now)
    with app.app_context():
        other = create_account("omar.officer@example.com", roles=("officer",))
        appointment = db.session.get(Appointment, appointment_id)
        assignment.assign(appointment.application, other, by=other)
        appointment.slot.starts_at = dt.datetime.now(dt.UTC)  # the interview is today: it can be checked in
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    assert client.post(f"/officer/appointments/{appointment_id}/check-in").status_code == 302
    response = client.post(
        f"/officer/appointments/{appointment_id}/complete",
        data={"documents_verified": "y", "biometrics_captured": "y"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="schedule"' in html
    assert "This case is assigned to omar.officer@example.com" in html
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.status == "checked_in" and appointment.application.status == Status.INTERVIEW_SCHEDULED


def test_an_interview_held_before_the_booked_time_frees_that_seat_for_the_waitlist(app, now):
    """A traveler interviewed on arrival at the airport who had an interview booked for next week: that seat is
    free again and offered to the first person waiting for it, as a cancelled one is. An interview recorded once
    its time has come keeps its seat counted (it was used)."""
    from sqlalchemy import select

    from tests.factories import create_officer, create_profile
    from trusted_traveler.notifications.models import OutboxMessage
    from trusted_traveler.scheduling import waitlist
    from trusted_traveler.scheduling.models import EnrollmentCenter

    with app.app_context():
        officer = create_officer()
        early = create_application("global_entry", submitted=True)
        next_week = Slot(center_id=JFK, starts_at=now + dt.timedelta(days=7), capacity=1)
        db.session.add(next_week)
        db.session.flush()
        appointment = scheduling.book(early, next_week, by=early.profile.account, now=now)
        waiting = create_application(
            "global_entry", submitted=True, profile=create_profile(create_account("waiting@example.com"))
        )
        entry = waitlist.join(
            waiting,
            [db.session.get(EnrollmentCenter, JFK)],
            earliest=now.date(),
            latest=now.date() + dt.timedelta(days=30),
            by=waiting.profile.account,
        )
        scheduling.complete_on_arrival(early, by=officer)
        assert appointment.status == "completed" and early.status == Status.INTERVIEW_COMPLETED
        assert (next_week.booked, next_week.held) == (0, 1) and entry.status == "offered"
        offers = select(OutboxMessage.recipient).where(OutboxMessage.kind == "email.waitlist_offer")
        assert db.session.scalars(offers).all() == ["waiting@example.com"]

        on_time = create_application("global_entry", submitted=True)
        now_slot = Slot(center_id=JFK, starts_at=now + dt.timedelta(days=3), capacity=1)
        db.session.add(now_slot)
        db.session.flush()
        scheduling.book(on_time, now_slot, by=on_time.profile.account, now=now)
        now_slot.starts_at = now - dt.timedelta(minutes=5)  # its time has come: interviewed at the desk
        scheduling.complete_on_arrival(on_time, by=officer)
        assert (now_slot.booked, now_slot.held) == (1, 0)


def test_a_visit_finished_early_on_its_day_frees_its_later_seat_for_the_waitlist(app, today):
    """The reviewer's path: checked in at 09:00 for a 15:00 interview and seen at once, the visit completed on the
    center's day kept the 15:00 seat counted (it was marked completed before the interview was recorded, so the
    seat was never released) and the time was read from the clock rather than the day's. Now the seat is offered
    to the first person waiting for it, as when the interview is recorded on the case page."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from tests.factories import create_officer, create_profile
    from trusted_traveler.notifications.models import OutboxMessage
    from trusted_traveler.scheduling import waitlist
    from trusted_traveler.scheduling.models import EnrollmentCenter

    with app.app_context():
        center = db.session.get(EnrollmentCenter, JFK)
        zone = ZoneInfo(center.tz_name)
        nine, three = (dt.datetime.combine(today, dt.time(h), tzinfo=zone).astimezone(dt.UTC) for h in (9, 15))
        officer = create_officer()
        early = create_application("global_entry", submitted=True)
        slot = Slot(center_id=JFK, starts_at=three, capacity=1)
        db.session.add(slot)
        db.session.flush()
        appointment = scheduling.book(early, slot, by=early.profile.account, now=nine - dt.timedelta(days=3))
        waiting = create_application(
            "global_entry", submitted=True, profile=create_profile(create_account("waiting@example.com"))
        )
        entry = waitlist.join(
            waiting, [center], earliest=today, latest=today + dt.timedelta(days=30), by=waiting.profile.account
        )
        scheduling.check_in(appointment, by=officer, now=nine)
        scheduling.complete_visit(
            appointment,
            by=officer,
            now=nine + dt.timedelta(minutes=20),
            documents_verified=True,
            biometrics_captured=True,
        )
        assert appointment.status == "completed" and early.status == Status.INTERVIEW_COMPLETED
        assert scheduling.active_appointment(early) is None
        assert (slot.booked, slot.held) == (0, 1) and entry.status == "offered"
        offers = select(OutboxMessage.recipient).where(OutboxMessage.kind == "email.waitlist_offer")
        assert db.session.scalars(offers).all() == ["waiting@example.com"]
