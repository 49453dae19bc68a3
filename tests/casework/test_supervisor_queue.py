"""A supervisor sees one officer's open cases: the workload page links each officer to their list, which filters
and pages like any queue, lets the supervisor move cases to someone else, and records each applicant it shows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import assignment
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db

BOSS = "sam.supervisor@example.com"
OLGA = "olga.officer@example.com"
BOB = "bob.officer@example.com"


def _cases_with(app, count: int, holder: str) -> list[str]:
    """`count` cases needing an officer (the sandbox vetting sends Hitman to one), each assigned to `holder`."""
    with app.app_context():
        boss = db.session.scalar(select(Account).where(Account.email == BOSS)) or create_account(
            BOSS, roles=("supervisor",)
        )
        officer = db.session.scalar(select(Account).where(Account.email == holder)) or create_account(
            holder, roles=("officer",)
        )
        references = []
        for n in range(count):
            email = f"{holder.split('@')[0]}.case{n}@example.com"
            profile = create_profile(create_account(email), surname="Hitman", dob=dt.date(1980, 1, 1))
            application = create_application("global_entry", profile=profile, submitted=True)
            assignment.assign(application, officer, by=boss)
            references.append(application.reference)
        db.session.commit()
        return references


def _id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.email == email))


def test_each_officer_on_the_workload_page_links_to_their_open_cases(client, app):
    olgas = _cases_with(app, 2, OLGA)
    bobs = _cases_with(app, 1, BOB)
    sign_in(client, BOSS)
    workload = client.get("/officer/workload").get_data(as_text=True)
    link = f"/officer/?queue=officer&amp;officer_id={_id(app, OLGA)}"
    assert link in workload
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert all(reference in page for reference in olgas) and bobs[0] not in page
    assert f"An officer&#39;s cases ({OLGA}): 2 cases on this page" in page
    with app.app_context():  # the page names its applicants: each is a view recorded against the supervisor
        viewed = db.session.scalars(
            select(AuditEvent.object_id)
            .where(AuditEvent.action == "queue.viewed", AuditEvent.actor_id == _id(app, BOSS))
            .order_by(AuditEvent.object_id)
        ).all()
        assert viewed == sorted(olgas)


def test_the_list_asks_for_an_officer_before_showing_anyone(client, app):
    _cases_with(app, 1, OLGA)
    sign_in(client, BOSS)
    page = client.get("/officer/?queue=officer").get_data(as_text=True)
    assert "Choose an officer above, then Filter, to see their open cases." in page
    assert 'name="officer_id"' in page and "Hitman" not in page


def test_an_officer_who_is_not_a_supervisor_has_no_such_list(client, app):
    _cases_with(app, 1, OLGA)
    sign_in(client, OLGA)
    assert client.get(f"/officer/?queue=officer&officer_id={_id(app, OLGA)}").status_code == 404
    queues = client.get("/officer/").get_data(as_text=True)
    assert "An officer&#39;s cases" not in queues and 'name="officer_id"' not in queues


def test_an_officer_who_is_not_in_the_list_of_choices_is_refused_with_a_message(client, app):
    _cases_with(app, 1, OLGA)
    sign_in(client, BOSS)
    page = client.get("/officer/?queue=officer&officer_id=999999").get_data(as_text=True)
    problem = page.split('class="usa-error-message"')[1]
    assert problem.split("</span>")[0].endswith("Choose one of the answers given.")
    assert "Hitman" not in page and "Choose an officer above" in page


def test_a_supervisor_moves_cases_from_one_officers_list_to_another_and_lands_on_theirs(client, app):
    olgas = _cases_with(app, 2, OLGA)
    _cases_with(app, 0, BOB)  # Bob, with nothing yet
    sign_in(client, BOSS)
    response = client.post(
        "/officer/assign",
        data={"application_ids": [_app_id(app, olgas[0])], "officer_id": str(_id(app, BOB)), "queue": "officer"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/officer/?queue=officer&officer_id={_id(app, BOB)}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert olgas[0] in page and olgas[1] not in page


def _app_id(app, reference: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(Application.id).where(Application.reference == reference)))


def test_on_an_officers_list_nobody_is_chosen_to_take_the_ticked_cases_and_none_go_to_the_supervisor(client, app):
    """The supervisor was chosen by default, so one press of Assign took Olga's cases over; now the list asks whom,
    and a press without a choice moves nothing and comes back to Olga's list."""
    olgas = _cases_with(app, 2, OLGA)
    _cases_with(app, 0, BOB)
    sign_in(client, BOSS)
    listing = f"/officer/?queue=officer&officer_id={_id(app, OLGA)}"
    page = client.get(listing).get_data(as_text=True)
    chooser = page[page.index('id="assign-to"') : page.index("</select>", page.index('id="assign-to"'))]
    assert '<option value="" selected>Choose an officer</option>' in chooser
    assert chooser.count("selected") == 1
    response = client.post(
        "/officer/assign",
        data={
            "application_ids": [_app_id(app, olgas[0])],
            "officer_id": "",
            "queue": "officer",
            "listed": _id(app, OLGA),
        },
    )
    assert response.headers["Location"] == listing
    page = client.get(listing).get_data(as_text=True)
    assert "Nothing was assigned: choose the officer to give the ticked cases to." in page
    assert olgas[0] in page and olgas[1] in page  # still Olga's
    with app.app_context():
        holders = db.session.scalars(
            select(Account.email)
            .join(Application, Application.assigned_officer_id == Account.id)
            .where(Application.reference.in_(olgas))
            .order_by(Application.id)
        ).all()
        assert holders == [OLGA, OLGA]


def test_the_find_a_case_button_is_named_by_its_icon_at_any_width(client, app):
    """The small search form shows an icon in place of the words (USWDS): the icon is there and names the button."""
    _cases_with(app, 1, OLGA)
    sign_in(client, OLGA)
    page = client.get("/officer/").get_data(as_text=True)
    assert '<img src="/static/img/search--white.svg" class="usa-search__submit-icon" alt="Find a case">' in page
    assert client.get("/static/img/search--white.svg").status_code == 200


def test_an_officers_own_cases_offer_nothing_to_assign_to_themselves(client, app):
    """On "Assigned to me" every case is the officer's already: no tick boxes and no "Assign the ticked cases to me".
    A supervisor's own list still lets them give cases to another officer."""
    references = _cases_with(app, 1, OLGA)
    sign_in(client, OLGA)
    page = client.get("/officer/?queue=mine").get_data(as_text=True)
    assert references[0] in page
    assert 'name="application_ids"' not in page and "Assign the ticked cases to me" not in page

    with app.app_context():
        boss = db.session.scalar(select(Account).where(Account.email == BOSS))
        application = db.session.scalar(select(Application).where(Application.reference == references[0]))
        assignment.assign(application, boss, by=boss)
        application_id = application.id
        db.session.commit()
    sign_in(client, BOSS)
    page = client.get("/officer/?queue=mine").get_data(as_text=True)
    assert f'value="{application_id}"' in page and "Assign the ticked cases to" in page
