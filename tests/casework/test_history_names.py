"""The case history's "By" column names every actor as staff pages name an account (auth.models.account_label: the
display name, else the e-mail address), "The traveler" for the applicant and "The system" for the service's own
moves, for status events and changes of who holds the case alike; the accounts are read in one statement."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.support.queries import count_queries
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import assignment, decisions, history
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db

OLGA = "olga.officer@example.com"
BOB = "bob.officer@example.com"  # no display name: named by the e-mail address, as the queues name him
SAM = "sam.supervisor@example.com"  # no display name either
TRAVELER = "hit.ge@example.com"
NAMES = {"Olga Officer", SAM, "The traveler", "The system"}  # who acted (Bob is given the case)


def _staff(email: str, role: str, display_name: str | None = None) -> Account:
    account = create_account(email, roles=(role,))
    account.display_name = display_name
    return account


def _case(app, *, tag: str = "", officers: int = 0) -> str:
    """A Global Entry case whose check found a hit (the system sends it to review), on which Olga asks for
    information and the traveler answers; then Sam, a supervisor, gives it to Bob, and to `officers` more officers
    one after the other. Its reference. (`tag` starts every e-mail address, for a second case in one test.)"""
    with app.app_context():
        olga = _staff(f"{tag}{OLGA}", "officer", "Olga Officer")
        bob = _staff(f"{tag}{BOB}", "officer")
        sam = _staff(f"{tag}{SAM}", "supervisor")
        traveler = create_account(f"{tag}{TRAVELER}")
        profile = create_profile(traveler, surname="Hitman", dob=dt.date(1980, 1, 1))
        application = create_application("global_entry", profile=profile, submitted=True)
        today = service_today()
        decisions.request_info(
            application, by=olga, message="Send your passport.", due_on=today + dt.timedelta(days=14), today=today
        )
        decisions.answer_info_request(application, by=traveler, answer="Attached.")
        assignment.assign(application, bob, by=sam)
        for n in range(officers):
            assignment.assign(application, _staff(f"{tag}officer{n}@example.com", "officer", f"Officer {n}"), by=sam)
        db.session.commit()
        return application.reference


def _application(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def test_every_actor_is_named_the_one_way_staff_pages_name_accounts(app):
    reference = _case(app)
    with app.app_context():
        entries = history.case_history(_application(reference))
        by = [(h.what or h.event.to_status, h.actor_label) for h in entries]
    labels = {label for _, label in by}
    assert labels == NAMES, by  # Olga by her display name, never her e-mail address, in any row
    assert ("info_requested", "Olga Officer") in by
    assert ("officer_review", "The traveler") in by  # the answer sends the case back to the officer
    assert ("officer_review", "The system") in by  # the vetting hit sent it to review on submission
    assert (f"Olga Officer → {BOB}", SAM) in by  # an assignment's actor is named as its officers are


def test_the_case_page_says_each_actor_by_name_in_the_by_column(app, client):
    reference = _case(app)
    sign_in(client, SAM)
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    table = html[html.index('data-testid="history"') :]
    table = table[: table.index("</table>")]
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r'<td data-label="By">(.*?)</td>', table, flags=re.S)
    ]
    assert set(cells) == NAMES, cells
    assert OLGA not in table


def test_the_history_reads_its_accounts_in_one_statement_however_many_act(app):
    few, many = _case(app), _case(app, tag="b.", officers=5)

    def statements(reference: str) -> int:
        with app.app_context():
            application = _application(reference)
            _ = application.profile.account_id, [e.actor_id for e in application.events]  # read by the page before
            with count_queries(app) as seen:
                entries = history.case_history(application)
            assert len(entries) > 0
            return len(seen)

    assert statements(many) == statements(few) == 2  # the assignment records; the accounts they and the events name


def test_a_hits_review_names_the_officer_as_the_history_does(app_ctx):
    olga = _staff(OLGA, "officer", "Olga Officer")
    profile = create_profile(create_account(TRAVELER), surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application("global_entry", profile=profile, submitted=True)
    decisions.conditionally_approve(application, by=olga)
    db.session.flush()
    reviews = [review for run in history.vetting_runs(application) for _, review in run.results if review]
    assert [review.by for review in reviews] == ["Olga Officer"]
