"""Opening an officer queue is a view of personal data: a page names up to 50 applicants. Each applicant a page
shows is recorded (`queue.viewed` on the application, by the officer, with the queue and the page's cursor), as
opening a case records `profile.viewed`, so a search of the audit log for a reference finds every queue page that
showed the person. A page that shows nobody records nothing."""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.audit.search import AuditFilters, search_events
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import assignment, decisions, queues
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.web.officer import views as officer_views

OFFICER = "olga.officer@example.com"
JFK = 8001  # in New York, the service's own time zone: its day is the service's day


def _hit_cases(app, count: int, *, start: int = 0) -> list[str]:
    """`count` cases in the unassigned queue (the sandbox vetting sends the surname Hitman to an officer)."""
    with app.app_context():
        references = []
        for n in range(start, start + count):
            profile = create_profile(create_account(f"hit{n}@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
            references.append(create_application("global_entry", profile=profile, submitted=True).reference)
        db.session.commit()
        return references


def _signed_in_officer(app, client, email: str = OFFICER) -> int:
    with app.app_context():
        officer_id = create_account(email, roles=("officer",)).id
        db.session.commit()
    sign_in(client, email)
    return officer_id


def _queue_views(app) -> list:
    with app.app_context():
        return db.session.execute(
            select(
                AuditEvent.actor_id,
                AuditEvent.object_type,
                AuditEvent.object_id,
                AuditEvent.details,
                AuditEvent.source_address,
                AuditEvent.request_id,
                AuditEvent.created_at,
            )
            .where(AuditEvent.action == "queue.viewed")
            .order_by(AuditEvent.id)
        ).all()


def _shown(html: str) -> list[str]:
    """The references a queue page lists, in its order."""
    table = html.split('data-testid="queue"')[1]
    return re.findall(r'href="/officer/cases/([^"]+)"', table)


def test_opening_a_queue_records_each_applicant_it_shows_with_the_officer_and_the_queue(app, client):
    references = _hit_cases(app, 3)
    officer_id = _signed_in_officer(app, client)
    response = client.get("/officer/?queue=unassigned", headers={"X-Request-ID": "queue-view-1"})
    assert response.status_code == 200
    shown = _shown(response.get_data(as_text=True))
    assert sorted(shown) == sorted(references)

    views = _queue_views(app)
    assert [view.object_id for view in views] == shown  # one event per row, in the page's order
    assert {(view.actor_id, view.object_type) for view in views} == {(officer_id, "application")}
    assert all(view.details == {"queue": "unassigned"} for view in views)
    # stamped as every other audit event is: from where, in which request, when
    assert {(view.source_address, view.request_id) for view in views} == {("127.0.0.1", "queue-view-1")}
    assert all(view.created_at is not None for view in views)


def _application(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _left_unassigned(officer, references) -> None:
    """As they are: cases needing an officer, assigned to nobody."""


def _assigned_to_the_officer(officer, references) -> None:
    for reference in references:
        assignment.assign(_application(reference), officer, by=officer)


def _awaiting_the_applicant(officer, references) -> None:
    today = service_today()
    for reference in references:
        due_on = today + dt.timedelta(days=7)
        decisions.request_info(
            _application(reference), by=officer, message="Your passport?", due_on=due_on, today=today
        )


@pytest.mark.parametrize(
    ("queue", "arrange"),
    [
        ("unassigned", _left_unassigned),
        ("mine", _assigned_to_the_officer),
        ("awaiting_applicant", _awaiting_the_applicant),
    ],
)
def test_every_queue_records_the_applicants_it_shows(app, client, queue, arrange):
    references = _hit_cases(app, 2)
    officer_id = _signed_in_officer(app, client)
    with app.app_context():
        arrange(db.session.get(Account, officer_id), references)
        db.session.commit()
    html = client.get(f"/officer/?queue={queue}").get_data(as_text=True)
    assert sorted(_shown(html)) == sorted(references)
    views = _queue_views(app)
    assert sorted((v.actor_id, v.object_id, v.details["queue"]) for v in views) == sorted(
        (officer_id, reference, queue) for reference in references
    )


def test_todays_interviews_record_the_applicants_they_show(app, client):
    officer_id = _signed_in_officer(app, client)
    today = service_today()
    with app.app_context():
        center = db.session.get(EnrollmentCenter, JFK)
        noon = dt.datetime.combine(today, dt.time(12, 0), tzinfo=ZoneInfo(center.tz_name)).astimezone(dt.UTC)
        slot = Slot(center_id=JFK, starts_at=noon, capacity=1)
        db.session.add(slot)
        profile = create_profile(create_account("visit@example.com"), surname="Visitor")
        application = create_application("precheck", profile=profile, submitted=True)
        db.session.flush()
        scheduling.book(application, slot, by=profile.account, now=noon - dt.timedelta(days=2))
        reference = application.reference
        db.session.commit()
    html = client.get("/officer/?queue=today").get_data(as_text=True)
    assert _shown(html) == [reference]
    [view] = _queue_views(app)
    assert (view.actor_id, view.object_id, view.details) == (officer_id, reference, {"queue": "today"})


def test_an_audit_search_for_a_reference_finds_the_queue_page_that_showed_it(app, client):
    reference, other = _hit_cases(app, 2)
    officer = app.test_client()
    _signed_in_officer(app, officer)
    assert officer.get("/officer/?queue=unassigned", headers={"X-Request-ID": "queue-view-2"}).status_code == 200

    with app.app_context():
        found = search_events(AuditFilters(object_id=reference)).rows
        assert [(row.action, row.actor_email, row.object_id) for row in found] == [("queue.viewed", OFFICER, reference)]
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        db.session.commit()
    sign_in(client, "sue.supervisor@example.com")
    html = client.get(f"/admin/audit?object_id={reference}").get_data(as_text=True)
    assert "queue.viewed" in html and OFFICER in html and "queue-view-2" in html
    assert other not in html  # the page's other applicant is a search of its own


def test_an_empty_queue_records_nothing(app, client):
    _signed_in_officer(app, client)
    for queue in ("unassigned", "mine", "awaiting_applicant", "today"):
        response = client.get(f"/officer/?queue={queue}")
        assert response.status_code == 200 and _shown(response.get_data(as_text=True)) == [], queue
    _hit_cases(app, 2)  # Global Entry cases: a filter for PreCheck shows none of them
    response = client.get("/officer/?queue=unassigned&program=precheck")
    assert response.status_code == 200 and _shown(response.get_data(as_text=True)) == []
    assert _queue_views(app) == []


def test_the_next_page_records_its_own_rows_with_its_cursor(app, client, monkeypatch):
    monkeypatch.setattr(officer_views, "list_queue", functools.partial(queues.list_queue, limit=2))  # 2 a page
    references = _hit_cases(app, 3)
    _signed_in_officer(app, client)
    html = client.get("/officer/?queue=unassigned").get_data(as_text=True)
    first = _shown(html)
    assert len(first) == 2 and [v.object_id for v in _queue_views(app)] == first

    following = re.search(r'href="([^"]+)" data-testid="next-page"', html).group(1).replace("&amp;", "&")
    cursor = re.search(r"after=([^&]+)", following).group(1)
    second = _shown(client.get(following).get_data(as_text=True))
    assert len(second) == 1 and sorted(first + second) == sorted(references)
    views = _queue_views(app)
    assert [v.object_id for v in views] == first + second  # each row once: the first page's were not recorded again
    assert views[-1].details == {"queue": "unassigned", "after": cursor}

    # An edited link that names the same place records the cursor as the page read it, not the text it was sent.
    assert _shown(client.get(f"/officer/?queue=unassigned&after=000{cursor}").get_data(as_text=True)) == second
    assert _queue_views(app)[-1].details == {"queue": "unassigned", "after": cursor}
