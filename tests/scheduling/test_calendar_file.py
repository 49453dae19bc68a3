"""The calendar file (.ics) a traveler downloads for their appointment: it carries the time zone its times are in, a
moved appointment replaces the old one on re-import, its text is in the traveler's language, and its file name
survives a browser whatever the language."""

import datetime as dt

import pytest
from icalendar import Calendar

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Appointment, Slot

JFK = 8001


def _slot(now: dt.datetime, hours: int) -> Slot:
    """A slot `hours` after `now`: slots made from one `now` are exactly the hours apart asked, however long the
    test takes between them."""
    slot = Slot(center_id=JFK, starts_at=now + dt.timedelta(hours=hours))
    db.session.add(slot)
    db.session.flush()
    return slot


@pytest.fixture
def booked(app, client, now):
    """A PreCheck application with an enrollment visit booked at JFK, its traveler signed in."""
    with app.app_context():
        profile = create_profile(create_account("ics@example.com"))
        application = create_application("precheck", profile=profile, submitted=True)
        scheduling.book(application, _slot(now, 72), by=application.profile.account, now=now)
        db.session.commit()
        reference = application.reference
    sign_in(client, "ics@example.com")
    return reference


def _calendar(client, reference):
    response = client.get(f"/applications/{reference}/appointment.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    return response, calendar, event


def test_the_file_defines_the_time_zone_its_times_are_in(client, booked):
    """RFC 5545: a TZID must name a VTIMEZONE in the file; without one, some calendars put the visit at the wrong
    hour."""
    _, calendar, event = _calendar(client, booked)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York" == event["DTSTART"].params["TZID"]
    assert {component.name for component in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_a_moved_appointment_updates_the_one_already_imported(app, client, booked, now):
    """Same UID, higher SEQUENCE: a calendar replaces the event it has instead of keeping the old time too."""
    _, _, first = _calendar(client, booked)
    assert first["SEQUENCE"] == 0
    with app.app_context():
        appointment = db.session.query(Appointment).one()
        scheduling.reschedule(appointment, _slot(now, 96), by=appointment.application.profile.account, now=now)
        db.session.commit()
    _, _, moved = _calendar(client, booked)
    assert moved["SEQUENCE"] == 1 and moved["UID"] == first["UID"]
    assert moved.decoded("DTSTART") - first.decoded("DTSTART") == dt.timedelta(hours=24)


def test_the_text_and_file_name_in_english(client, booked):
    response, _, event = _calendar(client, booked)
    assert str(event["SUMMARY"]) == "Your TSA PreCheck enrollment visit"
    assert str(event["DESCRIPTION"]).startswith(f"Application {booked}.")
    assert response.headers["Content-Disposition"] == f"attachment; filename={booked}-enrollment-visit.ics"


def test_the_text_and_file_name_in_spanish(client, booked):
    """Whole sentences in Spanish word order, not English with Spanish words in it ("TSA PreCheck visita de
    inscripción"). The file name has an accent: an ASCII name for old browsers, and the real one as RFC 6266
    `filename*`."""
    client.get("/language/es")
    response, _, event = _calendar(client, booked)
    summary, description = str(event["SUMMARY"]), str(event["DESCRIPTION"])
    assert "visita de inscripción" in summary and "TSA PreCheck" in summary and "Your" not in summary
    assert summary.index("visita de inscripción") < summary.index("TSA PreCheck")
    assert description.startswith(f"Solicitud {booked}.")
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii()
    assert f"filename={booked}-visita-de-inscripcion.ics" in disposition
    assert f"filename*=UTF-8''{booked}-visita-de-inscripci%C3%B3n.ics" in disposition
