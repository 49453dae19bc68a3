"""The officer's notes of an interview or enrollment visit: optional, written when recording it on the case page or
on the center's day, kept as the note of the status event that records it (so the case history shows them with who
wrote them and when), limited as other officers' text is (a message beside the field, never a maxlength), and never
shown to the traveler: not on their pages, in their notices, their data export or the API."""

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, form_version, sign_in
from trusted_traveler.casework import decisions
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.states import Status
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Appointment, Slot

OLGA = "olga.officer@example.com"
NOTES = "Traveler presented passport ending 4821; fingerprints retaken twice (dry skin). Calm, consistent answers."


def _case(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _recorded_event(application: Application, to_status: str) -> StatusEvent:
    return next(e for e in application.events if e.to_status == to_status)


# --- The service ---------------------------------------------------------------------------------------------------


def test_the_notes_are_the_note_of_the_interviews_status_event(app_ctx):
    officer = create_officer()
    application = create_application("global_entry", submitted=True)
    decisions.record_interview(
        application, by=officer, documents_verified=True, biometrics_captured=True, note=f"  {NOTES}\n"
    )
    event = _recorded_event(application, Status.INTERVIEW_COMPLETED)
    assert (event.actor_id, event.reason_code, event.note) == (officer.id, "interview_held", NOTES)
    assert event.created_at is not None


def test_a_precheck_visits_notes_stay_on_the_visit_when_vetting_follows(app_ctx):
    officer = create_officer()
    application = create_application("precheck", submitted=True)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True, note=NOTES)
    assert application.status == Status.APPROVED  # vetting ran and approved: the system's moves carry no note
    event = _recorded_event(application, Status.BIOMETRICS_CAPTURED)
    assert (event.actor_id, event.reason_code, event.note) == (officer.id, "enrollment_visit", NOTES)
    assert [e.note for e in application.events if e.actor_id is None and e.created_at >= event.created_at] == [
        None,
        None,
    ]


@pytest.mark.parametrize("note", [None, "", "   \n  "])
def test_no_notes_are_no_note(app_ctx, note):
    application = create_application("global_entry", submitted=True)
    decisions.record_interview(
        application, by=create_officer(), documents_verified=True, biometrics_captured=True, note=note
    )
    assert _recorded_event(application, Status.INTERVIEW_COMPLETED).note is None


def test_enrollment_on_arrival_keeps_its_notes_too(app_ctx):
    application = create_application("global_entry", submitted=True)
    scheduling.complete_on_arrival(application, by=create_officer(), note="Seen at JFK Terminal 4 on arrival.")
    event = _recorded_event(application, Status.INTERVIEW_COMPLETED)
    assert (event.reason_code, event.note) == ("enrollment_on_arrival", "Seen at JFK Terminal 4 on arrival.")


# --- The case page -------------------------------------------------------------------------------------------------


@pytest.fixture
def ready(app):
    """A conditionally approved Global Entry case (its interview on arrival) and officer Olga; its reference."""
    with app.app_context():
        create_account(OLGA, roles=("officer",))
        application = create_application("global_entry", submitted=True)  # vetting all clear
        assert application.status == Status.CONDITIONALLY_APPROVED
        db.session.commit()
        return application.reference


def _page(client, reference: str) -> str:
    return client.get(f"/officer/cases/{reference}").get_data(as_text=True)


def _record(client, reference: str, **data):
    version = form_version(_page(client, reference))
    return client.post(
        f"/officer/cases/{reference}/interview",
        data={"version": version, "documents_verified": "y", "biometrics_captured": "y", **data},
    )


def test_the_interview_notes_are_in_the_case_history_with_who_and_when(client, app, ready):
    sign_in(client, OLGA)
    form = _page(client, ready).split('id="act-interview"')[1].split("</form>")[0]
    assert 'for="interview_note">Interview notes (optional)</label>' in form
    assert 'data-most="4000"' in form and "maxlength" not in form  # the limit said and counted, never cut
    assert "The applicant never sees it." in form

    response = _record(client, ready, note=NOTES)
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    history = html.split('data-testid="history"')[1]
    row, note = history.split("Interview completed")[1].split("</tbody>")[0].split('class="tt-history-note"')
    assert OLGA in row and "Enrollment on Arrival" in row and " UTC" in history
    assert NOTES in note
    with app.app_context():
        assert _recorded_event(_case(ready), Status.INTERVIEW_COMPLETED).note == NOTES


def test_notes_too_long_are_refused_beside_the_field_and_kept_whole(client, app, ready):
    sign_in(client, OLGA)
    long = "Long notes. " * 400  # 4,800 characters, over the 4,000 the history keeps
    response = _record(client, ready, note=long)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    beside = html.split('id="interview_note-error"')[1].split("</span>")[0]
    assert "Shorten this to 4,000 characters or fewer: it has 4,799." in beside
    assert long.strip() in html  # what was typed, whole, to shorten
    form = html.split('id="act-interview"')[1].split("</form>")[0]
    assert len(re.findall(r"<input checked[^>]*type=\"checkbox\"", form)) == 2  # the checks kept
    with app.app_context():
        assert _case(ready).status == Status.CONDITIONALLY_APPROVED


def test_the_traveler_never_sees_the_notes(client, app, ready):
    sign_in(client, OLGA)
    assert _record(client, ready, note=NOTES).status_code == 302
    with app.app_context():
        application = _case(ready)
        traveler = application.profile.account.email
        notices = db.session.scalars(select(Notification.body)).all() + [
            json.dumps(m.payload) for m in db.session.scalars(select(OutboxMessage))
        ]
        assert not any("fingerprints retaken" in n for n in notices)
    sign_in(client, traveler)
    for url in (f"/applications/{ready}", "/privacy/my-data.json", f"/api/v1/applications/{ready}"):
        response = client.get(url)
        assert response.status_code == 200 and ready in response.get_data(as_text=True), url
        assert "fingerprints retaken" not in response.get_data(as_text=True), url


def test_only_an_officer_records_an_interview(client, app, ready):
    with app.app_context():
        version = str(_case(ready).version)
        traveler = _case(ready).profile.account.email
    sign_in(client, traveler)
    response = client.post(
        f"/officer/cases/{ready}/interview",
        data={"version": version, "documents_verified": "y", "biometrics_captured": "y", "note": "Mine."},
    )
    assert response.status_code == 403
    with app.app_context():
        assert _case(ready).status == Status.CONDITIONALLY_APPROVED


# --- The center's day ----------------------------------------------------------------------------------------------


@pytest.fixture
def checked_in(app, client):
    """A Global Entry interview today at JFK, checked in by officer Olga (signed in); (reference, appointment id)."""
    with app.app_context():
        create_account(OLGA, roles=("officer",))
        application = create_application("global_entry", submitted=True)
        now = dt.datetime.now(dt.UTC)
        slot = Slot(center_id=8001, starts_at=now + dt.timedelta(days=5), capacity=1)
        db.session.add(slot)
        db.session.flush()
        appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
        slot.starts_at = now  # the interview is today: it can be checked in
        db.session.commit()
        reference, appointment_id = application.reference, appointment.id
    sign_in(client, OLGA)
    assert client.post(f"/officer/appointments/{appointment_id}/check-in").status_code == 302
    return reference, appointment_id


def _day(client) -> str:
    return client.get("/officer/centers/8001/day").get_data(as_text=True)


def test_the_days_interview_done_takes_notes_too(client, app, checked_in):
    reference, appointment_id = checked_in
    html = _day(client)
    assert f'<textarea class="usa-textarea" id="note-{appointment_id}" name="note"' in html
    assert 'data-most="4000"' in html
    done = client.post(
        f"/officer/appointments/{appointment_id}/complete",
        data={"documents_verified": "y", "biometrics_captured": "y", "note": NOTES},
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "completed"
        event = _recorded_event(_case(reference), Status.INTERVIEW_COMPLETED)
        assert event.note == NOTES and event.actor.email == OLGA
    assert NOTES in _page(client, reference).split('data-testid="history"')[1]


def test_the_days_notes_too_long_are_refused_beside_them_with_the_checks_and_notes_kept(client, app, checked_in):
    reference, appointment_id = checked_in
    long = "x" * 4001
    refused = client.post(
        f"/officer/appointments/{appointment_id}/complete",
        data={"documents_verified": "y", "biometrics_captured": "y", "note": long},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'data-testid="schedule"' in html
    beside = html.split(f'id="note-{appointment_id}-error" data-testid="visit-error">')[1].split("</span>")[0]
    assert "Shorten this to 4,000 characters or fewer: it has 4,001." in beside
    assert f">{long}</textarea>" in html
    assert (
        f'id="documents_verified-{appointment_id}" name="documents_verified" type="checkbox" value="y" checked' in html
    )
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "checked_in"
        assert _case(reference).status == Status.INTERVIEW_SCHEDULED
