"""A traveler whose booked appointment a change of the center's hours leaves without a seat is told so (the notice),
and their status page and dashboard say the same: the warning, what to do, and the way to choose another time, in
place of "Go to your enrollment visit". An appointment the change keeps reads as before. The page decides it as the
change did (capacity.conflicts, recorded on the slot by capacity.replan), not a second way."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, open_day, sign_in
from tests.support.queries import count_queries
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification
from trusted_traveler.programs.models import Program
from trusted_traveler.scheduling import centers
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.capacity import conflicts
from trusted_traveler.scheduling.ics import appointment_ics
from trusted_traveler.scheduling.lookups import in_conflict
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time

JFK = 8001
TRAVELER = "moved.hours@example.com"
AFFECTED_TITLE = "changed its hours: your enrollment visit is affected"
GO_TO_VISIT = "Go to your enrollment visit. Bring your documents."


def _book_first_time(today: dt.date, now: dt.datetime) -> tuple[str, dt.date]:
    """A PreCheck enrollment visit booked at 8:00 (local), the first time of the center's first open day a week
    ahead: the application's reference and that day."""
    jfk = db.session.get(EnrollmentCenter, JFK)
    day = open_day(jfk, today + dt.timedelta(days=7))
    slot = next(
        s
        for s in db.session.scalars(select(Slot).where(Slot.center_id == JFK).order_by(Slot.starts_at))
        if local_time(s.starts_at, jfk).date() == day
    )
    assert local_time(slot.starts_at, jfk).time() == dt.time(8)
    application = create_application("precheck", profile=create_profile(create_account(TRAVELER)), submitted=True)
    scheduling.book(application, slot, by=application.profile.account, now=now)
    return application.reference, day


def _change_hours(day: dt.date, now: dt.datetime, *, opens: dt.time, closes: dt.time):
    """The lead's change of the center's weekly hours from `day`: every weekday it opened, now `opens`–`closes`."""
    jfk = db.session.get(EnrollmentCenter, JFK)
    rows = [
        {"weekday": t.weekday, "opens_at": opens, "closes_at": closes, "slot_minutes": t.slot_minutes, "seats": t.seats}
        for t in centers.hours_on(jfk, day)
    ]
    return centers.set_weekly_hours(jfk, rows, effective_from=day, by=None, now=now)


@pytest.fixture
def booked(app, client, today, now):
    with app.app_context():
        reference, day = _book_first_time(today, now)
        db.session.commit()
    sign_in(client, TRAVELER)
    return reference, day


def test_hours_that_no_longer_fit_the_booked_time_put_a_warning_on_the_status_page_and_dashboard(
    app, client, booked, now
):
    reference, day = booked
    with app.app_context():
        assert len(_change_hours(day, now, opens=dt.time(10), closes=dt.time(16)).conflicts) == 1
        db.session.commit()
        notice = db.session.scalars(
            select(Notification).where(Notification.kind == "appointment_affected").order_by(Notification.id)
        ).one()
        told = (str(notice.title), str(notice.body))

    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    warning = page.split('data-testid="appointment-affected"')[1].split("</section>")[0]
    assert AFFECTED_TITLE in told[0]
    for text in told:  # what the notice said, word for word
        assert text.replace("'", "&#39;") in warning
    assert "may not go ahead. Choose another time, or the center will contact you." in warning
    assert f'href="/applications/{reference}/appointment"' in warning and "Choose a new time" in warning
    assert GO_TO_VISIT not in page  # the next step no longer contradicts it
    assert "Choose another time for your appointment. The time you booked may not go ahead." in page

    dashboard = client.get("/dashboard").get_data(as_text=True)
    card = dashboard.split(f'data-testid="affected-{reference}"')[1].split("</section>")[0]
    assert AFFECTED_TITLE in card and f'href="/applications/{reference}/appointment"' in card


def test_hours_that_still_fit_the_booked_time_leave_the_status_page_and_dashboard_as_they_were(
    app, client, booked, now
):
    reference, day = booked
    with app.app_context():
        assert _change_hours(day, now, opens=dt.time(8), closes=dt.time(17)).conflicts == []  # an hour longer
        db.session.commit()

    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert 'data-testid="appointment-affected"' not in page and AFFECTED_TITLE not in page
    assert GO_TO_VISIT in page
    assert 'data-testid="affected-' not in client.get("/dashboard").get_data(as_text=True)


def test_the_page_asks_what_the_change_decided_and_a_new_time_clears_it(app, booked, now):
    """in_conflict holds for exactly the appointments capacity.conflicts finds, before and after the change; the
    traveler's new time (the seat kept for the old one given up) is not in conflict."""
    _, day = booked
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        appointment = db.session.scalars(select(Appointment).order_by(Appointment.id)).one()
        assert not in_conflict(appointment, now) and conflicts(jfk, now) == []
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        assert in_conflict(appointment, now) and conflicts(jfk, now) == [appointment]
        later = next(
            s
            for s in db.session.scalars(select(Slot).where(Slot.center_id == JFK).order_by(Slot.starts_at))
            if local_time(s.starts_at, jfk).date() == day and s.booked == 0 and s.capacity > 0
        )
        moved = scheduling.reschedule(appointment, later, by=appointment.application.profile.account, now=now)
        assert not in_conflict(moved, now) and conflicts(jfk, now) == []


def test_the_warning_reads_no_more_than_the_pages_already_do_for_a_booked_appointment(app, client, booked, now):
    """Asking whether a booked appointment is in conflict costs the status page one statement (its center's programs)
    and the dashboard two (the booked appointments, their centers' programs), warning or not: with the warning they
    run as many statements as without it."""
    reference, day = booked
    pages = (f"/applications/{reference}", "/dashboard")
    for url in pages:
        client.get(url)  # warm up (the signed-in account, reference data)
    before = {}
    for url in pages:
        with count_queries(app) as seen:
            assert client.get(url).status_code == 200
        before[url] = len(seen)
    with app.app_context():
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        db.session.commit()
    for url in pages:
        with count_queries(app) as seen:
            html = client.get(url).get_data(as_text=True)
        assert AFFECTED_TITLE in html
        assert len(seen) == before[url], (url, seen)


JFK_NAME = "John F. Kennedy International Enrollment Center"
JFK_CONTACT = "Terminal 4, Jamaica, NY 11430"  # JFK's seed data gives no telephone number: its address


def _refuse_moving_online(now: dt.datetime) -> str:
    """The traveler's appointment, after the change, made one they cannot move online: its day come so close that it
    is 5 hours away, inside the center's 24-hour cut-off. Returns the refusal the pages say. (Moved the most times
    allowed online is no refusal here: a move away from a time the center cannot keep does not count.)"""
    appointment = db.session.scalars(select(Appointment).order_by(Appointment.id)).one()
    appointment.slot.starts_at = now + dt.timedelta(hours=5)
    return f"Online changes close 24 hours before the appointment. To change it, contact {JFK_NAME} at {JFK_CONTACT}."


def test_when_moving_online_is_refused_both_pages_say_to_contact_the_center_once_and_offer_no_new_time(
    app, client, booked, now
):
    reference, day = booked
    with app.app_context():
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        refusal = _refuse_moving_online(now)
        db.session.commit()

    page = client.get(f"/applications/{reference}").get_data(as_text=True).replace("&#39;", "'")
    warning = page.split('data-testid="appointment-affected"')[1].split("</section>")[0]
    next_step = page.split('data-testid="next-step">')[1].split("</p>")[0]
    assert next_step == (
        f"Contact {JFK_NAME} at {JFK_CONTACT} to change your appointment. The time you booked may not go ahead."
    )
    assert "may not go ahead." in warning and refusal in warning
    assert page.count(refusal) == 1  # said once, in the warning: not again in the appointment box
    assert "Choose" not in page and 'data-testid="choose-new-time"' not in page
    assert f'href="/applications/{reference}/appointment"' not in page  # neither "Choose a new time" nor "Move it"

    dashboard = client.get("/dashboard").get_data(as_text=True).replace("&#39;", "'")
    card = dashboard.split(f'data-testid="affected-{reference}"')[1].split("</section>")[0]
    assert AFFECTED_TITLE in card and refusal in card
    assert "Choose" not in card and f'href="/applications/{reference}/appointment"' not in card


def test_the_warning_names_the_center_as_the_appointment_does(app, client, booked, now):
    """Heading, refusal and appointment box: the center's full name, never its short name beside it."""
    reference, day = booked
    with app.app_context():
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        _refuse_moving_online(now)
        db.session.commit()
        notice = db.session.scalars(
            select(Notification).where(Notification.kind == "appointment_affected").order_by(Notification.id)
        ).one()
        told = str(notice.title)

    assert told == f"{JFK_NAME} changed its hours: your enrollment visit is affected"
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert told in page and f"{JFK_NAME}, Terminal 4" in page  # the warning's heading, the appointment box
    assert "JFK Airport" not in page


def test_a_refused_move_costs_the_dashboard_no_statement_more(app, client, booked, now):
    """Whether moving online is refused is read from what the dashboard has loaded: with the refusal in the warning
    it runs as many statements as with the way to choose a new time."""
    reference, day = booked
    with app.app_context():
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        db.session.commit()
    client.get("/dashboard")
    with count_queries(app) as offered:
        assert "Choose a new time" in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        _refuse_moving_online(now)
        db.session.commit()
    with count_queries(app) as refused:
        assert "Choose a new time" not in client.get("/dashboard").get_data(as_text=True)
    assert len(refused) == len(offered), refused


def _officer(app, client) -> None:
    with app.app_context():
        create_account("dana.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "dana.officer@example.com")


def test_staff_see_an_appointment_the_new_hours_no_longer_fit_tagged_on_the_day_and_the_case(app, client, booked, now):
    reference, day = booked
    _officer(app, client)
    day_page = f"/officer/centers/{JFK}/day?date={day.isoformat()}"
    client.get(day_page)
    with count_queries(app) as before:
        html = client.get(day_page).get_data(as_text=True)
    assert "1 appointment<" in html and "1 appointments" not in html
    assert 'data-testid="affected"' not in html
    assert 'data-testid="affected"' not in client.get(f"/officer/cases/{reference}").get_data(as_text=True)

    with app.app_context():
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        db.session.commit()
    with count_queries(app) as after:
        html = client.get(day_page).get_data(as_text=True)
    row = html.split(f"{reference}</span>")[1].split("</tr>")[0]
    assert "booked" in row and "affected by changed hours" in row
    assert len(after) <= len(before), after  # asking reads at most the center's programs, once for the day
    case = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert "affected by changed hours" in case.split('data-testid="appointment"')[1].split("</p>")[0]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_traveler_who_cannot_move_their_appointment_online_is_told_whom_to_contact_not_to_choose_a_time(
    app, booked, now, language
):
    """Five hours before the visit (inside the 24-hour cut-off) the center stops taking PreCheck appointments: the
    notice says why the appointment cannot be moved online and whom to contact (as the status page does), in the
    traveler's language, never to choose another time."""
    with app.app_context():
        appointment = db.session.scalars(select(Appointment).order_by(Appointment.id)).one()
        appointment.application.profile.account.preferred_language = language
        db.session.flush()
        traveler = appointment.application.profile.account
        later = appointment.slot.starts_at - dt.timedelta(hours=5)  # the change comes five hours before the visit
        with force_locale(language):
            refusal = scheduling.move_refusal(appointment, by=traveler, now=later)
        _stop_taking_precheck(later)
        db.session.commit()
        body = db.session.scalars(
            select(Notification.body).where(Notification.kind == "appointment_affected").order_by(Notification.id)
        ).one()

    assert refusal is not None and body.endswith(f" {refusal}")
    assert "Choose" not in body and "Elija" not in body
    if language == "en":
        assert body.startswith("Your enrollment visit on ") and "may not go ahead." in body
        assert refusal.startswith("Online changes close 24 hours before the appointment.") and JFK_NAME in refusal


def _stop_taking_precheck(now: dt.datetime) -> None:
    """The admin's change: JFK offers Global Entry only from now on."""
    jfk = db.session.get(EnrollmentCenter, JFK)
    global_entry = db.session.scalars(select(Program).where(Program.code == "global_entry")).one()
    centers.update_details(jfk, by=None, fields={}, service_ids=[global_entry.scheduler_service_id], now=now)


def test_a_move_away_from_a_time_the_center_cannot_keep_is_allowed_and_does_not_count(app, client, booked, now):
    """Moved the most times allowed online, then the center's new hours leave the appointment without a seat: the
    center's doing, so the pages offer a new time as to anyone, and the move does not count against the limit (it
    still counts as a move: a calendar file of it updates the event already imported)."""
    reference, day = booked
    with app.app_context():
        appointment = db.session.scalars(select(Appointment).order_by(Appointment.id)).one()
        appointment.reschedule_count = db.session.get(EnrollmentCenter, JFK).max_reschedules
        _change_hours(day, now, opens=dt.time(10), closes=dt.time(16))
        db.session.commit()

    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    warning = page.split('data-testid="appointment-affected"')[1].split("</section>")[0]
    assert "Choose a new time" in warning and "the most allowed online" not in page

    with app.app_context():
        appointment = db.session.scalars(select(Appointment).order_by(Appointment.id)).one()
        moves = appointment.reschedule_count
        free = db.session.scalars(
            select(Slot)
            .where(Slot.center_id == JFK, Slot.starts_at > now + dt.timedelta(days=2), Slot.booked < Slot.capacity)
            .order_by(Slot.starts_at)
        ).first()
        traveler = appointment.application.profile.account
        scheduling.reschedule(appointment, free, by=traveler, now=now)
        db.session.commit()
        assert (appointment.reschedule_count, appointment.forced_moves) == (moves + 1, 1)  # counted, as forced
        assert f"SEQUENCE:{moves + 1}" in appointment_ics(appointment, visit="visit").decode()  # calendars update
        assert not in_conflict(appointment, now)
        # a move of the new time is the traveler's own again, and the limit applies: moved 3 times by them
        refusal = scheduling.move_refusal(appointment, by=traveler, now=now)
        assert f"This appointment has been moved {moves} times, the most allowed online." in refusal


def test_telling_the_travelers_of_a_change_reads_no_role_grants(app, booked, now):
    """Whether each traveler can move their appointment online is asked of what the conflicts were read with: not
    their role grants, a statement for each appointment in conflict."""
    _, day = booked
    with app.app_context(), count_queries(app) as statements:
        assert len(_change_hours(day, now, opens=dt.time(10), closes=dt.time(16)).conflicts) == 1
        db.session.commit()
    assert not [q for q in statements if "FROM role_grants" in q]
