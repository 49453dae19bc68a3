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
    """(action, actor) of every audit record of an act on the case (views excluded; submitting it, the officer
    acted as its traveler)."""
    return [
        (a.action, a.actor_id)
        for a in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == reference, AuditEvent.action != "profile.viewed")
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
        ("request-info", {"message": "Send the court record.", "due_on": "2999-01-01"}, 403, OWN),
        ("claim", {}, 400, "was not assigned: it is your own application."),
    ],
)
def test_an_officer_cannot_decide_or_take_their_own_application(client, own_case, app, url, data, status, why):
    """Refused with the reason on the case page, and nothing recorded as done: no status change, assignment,
    letter, request or audit record of an act."""
    with app.app_context():
        version, before = _version(own_case), _staff_events(own_case)
    sign_in(client, "olga.officer@example.com")
    response = client.post(f"/officer/cases/{own_case}/{url}", data={"version": version, **data})
    html = response.get_data(as_text=True)
    assert response.status_code == status and 'data-testid="problem"' in html and why in html
    with app.app_context():
        application = _case(own_case)
        assert application.status == Status.OFFICER_REVIEW and application.assigned_officer_id is None
        assert application.letters == [] and application.info_requests == []
        last = db.session.scalars(select(StatusEvent).where(StatusEvent.application_id == application.id)).all()[-1]
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
