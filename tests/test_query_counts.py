"""The traveler's status page and dashboard, the public slots API and the eligibility check API run a bounded number
of queries, whatever the number of rows (no N+1); issue 8. The officer pages have theirs in
tests/casework/test_query_counts.py."""

from __future__ import annotations

import datetime as dt

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.scheduler.conftest import add_slot
from tests.support.queries import count_queries
from trusted_traveler.casework import decisions
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.transitions import transition
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.notifications.service import notify_about

HIDALGO = 5001
ELIGIBILITY = {"date_of_birth": "1984-06-02", "citizenships": ["US"], "travels_internationally": True}


def _others(app, start: int, count: int) -> None:
    """Other travelers' submitted applications: rows the traveler's pages must not read one by one."""
    with app.app_context():
        for n in range(start, start + count):
            profile = create_profile(create_account(f"other{n}@example.com"), surname="Other")
            create_application("global_entry", profile=profile, submitted=True)
        db.session.commit()


def _traveler(app, *, both: bool = False) -> str:
    with app.app_context():
        profile = create_profile(create_account("tess.traveler@example.com"))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        if both:
            create_application("global_entry", profile=profile, submitted=True)
        db.session.commit()
        return reference


def test_the_status_page_runs_the_same_number_of_queries_for_3_or_30_other_applications(client, app):
    reference = _traveler(app)
    _others(app, 0, 3)
    sign_in(client, "tess.traveler@example.com")
    client.get(f"/applications/{reference}")  # warm up (the signed-in account, reference data)
    with count_queries(app) as few:
        assert client.get(f"/applications/{reference}").status_code == 200
    _others(app, 3, 27)
    with count_queries(app) as many:
        assert client.get(f"/applications/{reference}").status_code == 200
    assert len(many) == len(few) <= 30, many


def _answered_with_files(app, reference: str, start: int, answers: int) -> None:
    """`answers` more requests for information on the traveler's application, each answered with two files."""
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with app.app_context():
        application = db.session.query(Application).filter_by(reference=reference).one()
        officer = application.assigned_officer or create_account(roles=("officer",))
        if application.status != "officer_review":  # the first time: an officer takes the case up
            transition(application, "officer_review", by=officer, reason_code="test")
        today, traveler = service_today(), application.profile.account
        for n in range(start, start + answers):
            due_on = today + dt.timedelta(days=10)
            decisions.request_info(application, by=officer, message=f"Question {n}", due_on=due_on, today=today)
            files = [(f"record-{n}.pdf", pdf), (f"scan-{n}.pdf", pdf)]
            decisions.answer_info_request(application, by=traveler, answer=f"Answer {n}", files=files)
        db.session.commit()


def _status_page_statements(client, app, add, more: int) -> tuple[list[str], list[str], str]:
    """The statements of the traveler's status page with one `add`ed item of files, then with `more` more, and the
    page then: `add(app, reference, start, count)`."""
    reference = _traveler(app)
    add(app, reference, 0, 1)
    sign_in(client, "tess.traveler@example.com")
    client.get(f"/applications/{reference}")
    with count_queries(app) as few:
        assert "record-0.pdf" in client.get(f"/applications/{reference}").get_data(as_text=True)
    add(app, reference, 1, more)
    with count_queries(app) as many:
        html = client.get(f"/applications/{reference}").get_data(as_text=True)
    return few, many, html


def test_the_status_page_lists_the_files_of_1_or_5_answers_in_the_same_statements_without_reading_them(client, app):
    few, many, html = _status_page_statements(client, app, _answered_with_files, 4)
    assert "scan-4.pdf" in html
    assert len(many) == len(few) <= 30, many
    assert not any("case_documents.data" in s for s in many)  # the list does not read (nor decrypt) the files


def _responded_with_files(app, reference: str, start: int, responses: int) -> None:
    """`responses` more preliminary determinations on the traveler's application, each answered with two files."""
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    with app.app_context():
        application = db.session.query(Application).filter_by(reference=reference).one()
        officer = application.assigned_officer or create_account(roles=("officer",))
        if application.status != "officer_review":  # the first time: an officer takes the case up
            transition(application, "officer_review", by=officer, reason_code="test")
        traveler = application.profile.account
        for n in range(start, start + responses):
            decisions.preliminary_ineligible(application, by=officer, reason_codes=["security_threat"])
            files = [(f"record-{n}.pdf", pdf), (f"scan-{n}.pdf", pdf)]
            decisions.request_reconsideration(application, by=traveler, statement=f"Response {n}", files=files)
        db.session.commit()


def test_the_status_page_lists_the_files_of_1_or_4_responses_in_the_same_statements_without_reading_them(client, app):
    """Each file names its statement's status event: the page reads no letter, event or file one by one."""
    few, many, html = _status_page_statements(client, app, _responded_with_files, 3)
    assert html.count('data-testid="sent-determination_response"') == 4 and "scan-3.pdf" in html
    assert len(many) == len(few) <= 30, many
    assert not any("case_documents.data" in s for s in many)


def test_the_dashboard_runs_the_same_number_of_queries_for_1_or_11_notifications_and_more_applications(client, app):
    reference = _traveler(app, both=True)  # one application to each program: each program is read once
    sign_in(client, "tess.traveler@example.com")
    client.get("/dashboard")
    with count_queries(app) as few:
        assert client.get("/dashboard").status_code == 200
    with app.app_context():
        from trusted_traveler.casework.models import Application

        application = db.session.query(Application).filter_by(reference=reference).one()
        for n in range(10):
            notify_about(application, kind="bench", title=f"Notice {n}", body="Body")
        db.session.commit()
    _others(app, 0, 10)
    with count_queries(app) as many:
        html = client.get("/dashboard").get_data(as_text=True)
    assert "Notice 9" in html
    assert len(many) == len(few) <= 20, many


def test_the_apply_page_reads_no_dated_parameter_once_warm(client, app):
    """The PreCheck option asks whether a Global Entry membership includes it, kept past its expiry date by a pending
    renewal inside the grace period (memberships.service.within_grace_period): the grace period's dated values are
    kept by the worker as the rules and fees are (rules.service), not read on every view (19 queries to 15). One
    more asks whether a revocation stands in either program (the page then offers to reconsider it instead), in one
    statement for both."""
    with app.app_context():
        create_profile(create_account("tess.traveler@example.com"))
        db.session.commit()
    sign_in(client, "tess.traveler@example.com")
    client.get("/apply")  # warm up (the signed-in account, the rules in force)
    with count_queries(app) as seen:
        html = client.get("/apply").get_data(as_text=True)
    assert "TSA PreCheck" in html and "Global Entry" in html
    assert [s for s in seen if "FROM parameters" in s] == []
    assert len(seen) <= 16, seen


def _slots(app, count: int, offset: int = 0) -> None:
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=30)
    with app.app_context():
        for n in range(offset, offset + count):
            add_slot(HIDALGO, start + dt.timedelta(minutes=15 * n), capacity=2)
        db.session.commit()


def test_the_slots_api_runs_the_same_number_of_queries_for_3_or_300_slots(client, app):
    _slots(app, 3)
    path = f"/schedulerapi/slots?orderBy=soonest&limit=500&locationId={HIDALGO}&minimum=1"
    client.get(path)
    with count_queries(app) as few:
        assert len(client.get(path).get_json()) == 3
    _slots(app, 297, offset=3)
    with count_queries(app) as many:
        assert len(client.get(path).get_json()) == 300
    assert len(many) == len(few) <= 3, many


def test_a_repeated_slots_question_is_answered_from_the_workers_cache_without_a_query(client, app):
    _slots(app, 3)
    app.config["SCHEDULERAPI_CACHE_SECONDS"] = 5
    try:
        path = f"/schedulerapi/slots?orderBy=soonest&limit=5&locationId={HIDALGO}"
        first = client.get(path)
        with count_queries(app) as seen:
            again = client.get(path)
        assert seen == []
        assert again.get_json() == first.get_json()
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Cache-Control"] == "public, max-age=30"
        assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        with count_queries(app) as other:  # another question is asked of the database
            client.get(f"/schedulerapi/slots?orderBy=soonest&limit=6&locationId={HIDALGO}")
        assert other
        bad = client.get("/schedulerapi/slots?limit=zero")  # errors are never kept
        assert bad.status_code == 400
    finally:
        app.config.pop("SCHEDULERAPI_CACHE_SECONDS")


def test_the_eligibility_check_runs_no_query_once_warm_for_0_or_40_offenses(client):
    client.post("/api/v1/eligibility/check", json=ELIGIBILITY)  # warm up
    app = client.application
    with count_queries(app) as few:
        assert client.post("/api/v1/eligibility/check", json=ELIGIBILITY).status_code == 200
    offenses = [{"category": "dui", "status": "convicted", "date": f"{1990 + n % 30}-03-01"} for n in range(40)]
    with count_queries(app) as many:
        answer = client.post("/api/v1/eligibility/check", json=ELIGIBILITY | {"offenses": offenses})
    assert answer.status_code == 200, answer.get_json()
    assert few == many == []  # the rules, settings and fees in force are kept by the worker (rules/service.py)
