"""Staff never act on their own application: an officer who is also a traveler sees their case as their own, with no
actions, cannot decide it, assign it to themselves or have it assigned to them, and another officer decides it.
Moves the system makes by itself go on as for anyone."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, form_version, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db

OWN = "This is your own application. Staff may not act on their own applications: another officer decides it."


@pytest.fixture
def own_case(app):
    """An officer whose own Global Entry application reached officer review after a vetting hit (a system move),
    and a second officer; returns the case reference."""
    with app.app_context():
        officer = create_account("olga.officer@example.com", roles=("officer",))
        create_account("omar.officer@example.com", roles=("officer",))
        profile = create_profile(officer, surname="Hitman", dob=dt.date(1980, 1, 1))
        application = create_application("global_entry", profile=profile, submitted=True)
        assert application.status == Status.OFFICER_REVIEW  # the system's moves are unaffected
        db.session.commit()
        return application.reference


def _case(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _version(reference: str) -> str:
    """The version a case form would carry: the officer's own case page has no forms to read it from (a page
    opened before, or a hand-made request, still sends one)."""
    return str(_case(reference).version)


def _staff_events(reference: str) -> list[tuple[str, str]]:
    """(action, actor) of every audit record of an act on the case (views, of the case or of a queue that listed it,
    excluded; submitting it, the officer acted as its traveler)."""
    return [
        (a.action, a.actor_id)
        for a in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == reference, AuditEvent.action.not_like("%.viewed"))
        )
    ]


def test_the_case_page_says_it_is_the_officers_own_application_and_offers_nothing(client, own_case, app):
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{own_case}").get_data(as_text=True)
    assert 'data-testid="own-application"' in html and OWN in html
    for offered in (
        'data-testid="conditionally_approve"',
        "Ask the applicant for information",
        "Assign to me",
        ">Deny<",
    ):
        assert offered not in html
    sign_in(client, "omar.officer@example.com")  # anyone else sees the case as usual
    html = client.get(f"/officer/cases/{own_case}").get_data(as_text=True)
    assert 'data-testid="conditionally_approve"' in html and "Assign to me" in html and OWN not in html


@pytest.mark.parametrize(
    ("url", "data", "status", "why"),
    [
        ("decide/conditionally_approve", {"note": "Looks fine to me."}, 403, OWN),
        ("decide/deny", {"reason_codes": ["not_low_risk"]}, 403, OWN),
        ("request-info", {"message": "Send the court record.", "due_on": "{in_20_days}"}, 403, OWN),
        ("claim", {}, 400, "was not assigned: it is your own application."),
    ],
)
def test_an_officer_cannot_decide_or_take_their_own_application(client, own_case, app, url, data, status, why):
    """Refused with the reason on the case page, and nothing recorded as done: no status change, assignment,
    letter, request or audit record of an act."""
    with app.app_context():
        version, before = _version(own_case), _staff_events(own_case)
    sign_in(client, "olga.officer@example.com")
    in_20_days = (service_today() + dt.timedelta(days=20)).isoformat()  # within the 90 days a request may give
    data = {k: v.replace("{in_20_days}", in_20_days) if isinstance(v, str) else v for k, v in data.items()}
    response = client.post(f"/officer/cases/{own_case}/{url}", data={"version": version, **data})
    html = response.get_data(as_text=True)
    assert response.status_code == status and 'data-testid="problem"' in html and why in html
    with app.app_context():
        application = _case(own_case)
        assert application.status == Status.OFFICER_REVIEW and application.assigned_officer_id is None
        assert application.letters == [] and application.info_requests == []
        last = db.session.scalars(
            select(StatusEvent).where(StatusEvent.application_id == application.id).order_by(StatusEvent.id.desc())
        ).first()
        assert (last.to_status, last.actor_id) == ("officer_review", None)  # vetting's move, nothing since
        assert _staff_events(own_case) == before


def test_another_officer_decides_it_with_a_status_event_and_an_audit_record(client, own_case, app):
    sign_in(client, "omar.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{own_case}").get_data(as_text=True))
    response = client.post(f"/officer/cases/{own_case}/decide/conditionally_approve", data={"version": version})
    assert response.status_code == 302
    with app.app_context():
        application = _case(own_case)
        omar = application.assigned_officer
        assert application.status == Status.CONDITIONALLY_APPROVED and omar.email == "omar.officer@example.com"
        event = application.events[-1]
        assert (event.to_status, event.actor_id, event.reason_code) == (
            "conditionally_approved",
            omar.id,
            "officer_cleared",
        )
        assert ("application.transition", omar.id) in _staff_events(own_case)


def test_the_queue_flags_the_officers_own_case_and_assignment_to_them_is_refused(client, own_case, app):
    with app.app_context():
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        db.session.commit()
        ident, olga = _case(own_case).id, _case(own_case).profile.account_id
        before = _staff_events(own_case)
    sign_in(client, "olga.officer@example.com")
    html = client.get("/officer/?queue=unassigned").get_data(as_text=True)
    assert own_case in html and 'data-testid="own-application"' in html  # still listed: someone must decide it
    assert f'value="{ident}" id="pick-{ident}"' not in html  # but not offered to tick
    page = client.post(
        "/officer/assign", data={"application_ids": [ident], "queue": "unassigned"}, follow_redirects=True
    )
    assert f"{own_case} was not assigned: it is your own application." in page.get_data(as_text=True)

    sign_in(client, "sue.supervisor@example.com")
    html = client.get("/officer/?queue=unassigned").get_data(as_text=True)
    assert f'value="{ident}" id="pick-{ident}"' in html and 'data-testid="own-application"' not in html
    page = client.post(
        "/officer/assign",
        data={"application_ids": [ident], "officer_id": str(olga), "queue": "unassigned"},
        follow_redirects=True,
    )
    assert f"{own_case} was not assigned: it is olga.officer@example.com’s own application." in page.get_data(
        as_text=True
    )
    with app.app_context():
        assert _case(own_case).assigned_officer_id is None
        assert _staff_events(own_case) == before


# --- At the center: the officer's own appointment -----------------------------------------------------------------

JFK = 8001


@pytest.fixture
def own_interview(app, now):
    """An officer whose own Global Entry application is conditionally approved (clean vetting, a system move), with
    an interview booked at JFK in five days; returns (reference, appointment id)."""
    from trusted_traveler.scheduling import service as scheduling
    from trusted_traveler.scheduling.models import Slot

    with app.app_context():
        officer = create_account("olga.officer@example.com", roles=("officer",))
        application = create_application("global_entry", profile=create_profile(officer), submitted=True)
        slot = Slot(center_id=JFK, starts_at=now + dt.timedelta(days=5), capacity=2)
        db.session.add(slot)
        db.session.flush()
        appointment = scheduling.book(application, slot, by=officer, now=now)
        db.session.commit()
        return application.reference, appointment.id


def _move_appointment(app, appointment_id: int, starts_at: dt.datetime, **fields) -> None:
    from trusted_traveler.scheduling.models import Appointment

    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        appointment.slot.starts_at = starts_at
        for name, value in fields.items():
            setattr(appointment, name, value)
        db.session.commit()


def _appointment_status(app, appointment_id: int) -> tuple[str, str]:
    from trusted_traveler.scheduling.models import Appointment

    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        return appointment.status, appointment.application.status


@pytest.mark.parametrize(("action", "ago"), [("check-in", dt.timedelta(0)), ("no-show", dt.timedelta(minutes=5))])
def test_an_officer_cannot_check_in_or_mark_a_no_show_on_their_own_appointment(
    client, app, own_interview, now, action, ago
):
    """The reviewer's path: an officer checked themselves in, and marked their own appointment a no-show (the
    application back to booking, with their own account as the actor). Refused on the center's day with the reason."""
    reference, appointment_id = own_interview
    _move_appointment(app, appointment_id, now - ago)  # its time has come
    sign_in(client, "olga.officer@example.com")
    page = client.post(f"/officer/appointments/{appointment_id}/{action}", follow_redirects=True)
    assert page.status_code == 200 and OWN in page.get_data(as_text=True)
    assert _appointment_status(app, appointment_id) == ("booked", Status.INTERVIEW_SCHEDULED)
    with app.app_context():
        assert [e.to_status for e in _case(reference).events][-1] == "interview_scheduled"
        assert ("appointment.checked_in", _case(reference).profile.account_id) not in _staff_events(reference)


def test_an_officer_cancelling_their_own_appointment_keeps_to_the_online_cut_off(client, app, own_interview, now):
    """The staff exemption from the cut-off is for acting on someone else's appointment, not one's own."""
    reference, appointment_id = own_interview
    _move_appointment(app, appointment_id, now + dt.timedelta(hours=3))  # inside JFK's 24 hours
    sign_in(client, "olga.officer@example.com")
    response = client.post(f"/applications/{reference}/appointment/cancel", follow_redirects=True)
    assert response.request.path == f"/applications/{reference}"  # told on the status page, which offers no cancel
    assert "Online changes close 24 hours before the appointment." in response.get_data(as_text=True)
    assert "Cancel this appointment" not in response.get_data(as_text=True)
    assert _appointment_status(app, appointment_id) == ("booked", Status.INTERVIEW_SCHEDULED)


def test_an_officer_moving_their_own_appointment_keeps_to_the_limit_of_moves(client, app, own_interview, now):
    from trusted_traveler.scheduling.models import Slot

    reference, appointment_id = own_interview
    _move_appointment(app, appointment_id, now + dt.timedelta(days=5), reschedule_count=3)
    with app.app_context():
        later_slot = Slot(center_id=JFK, starts_at=now + dt.timedelta(days=6), capacity=1)
        db.session.add(later_slot)
        db.session.commit()
        later_id = later_slot.id
    sign_in(client, "olga.officer@example.com")
    response = client.post(f"/applications/{reference}/appointment/book", data={"slot_id": str(later_id)})
    assert response.status_code == 409
    assert "This appointment has been moved 3 times, the most allowed online." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Slot, later_id).booked == 0
