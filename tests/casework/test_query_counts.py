"""The officer's queue and case pages run a bounded number of queries, whatever the number of rows (no N+1)."""

import datetime as dt

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.support.queries import count_queries, reads
from trusted_traveler.extensions import db


def _cases(app, start: int, count: int) -> str:
    with app.app_context():
        create_account("olga.officer@example.com", roles=("officer",))
        reference = None
        for n in range(start, start + count):
            profile = create_profile(create_account(f"q{n}@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
            reference = create_application("global_entry", profile=profile, submitted=True).reference
        db.session.commit()
        return reference


def test_the_queue_page_runs_the_same_number_of_queries_for_3_or_30_cases(client, app):
    _cases(app, 0, 3)
    sign_in(client, "olga.officer@example.com")
    client.get("/officer/")  # warm up (the signed-in account, reference data)
    with count_queries(app) as few:
        assert client.get("/officer/").status_code == 200
    _cases(app, 3, 27)
    with count_queries(app) as many:
        html = client.get("/officer/").get_data(as_text=True)
    assert html.count('name="application_ids"') == 30
    assert len(many) == len(few) <= 16, many
    assert len(many) - len(reads(many)) == 1, many  # the page's audit record: one INSERT for its 30 rows


def test_the_case_page_runs_a_bounded_number_of_queries(client, app):
    reference = _cases(app, 0, 1)
    sign_in(client, "olga.officer@example.com")
    with count_queries(app) as seen:
        assert client.get(f"/officer/cases/{reference}").status_code == 200
    assert len(seen) <= 24, seen  # the profile's parts, results, requests, letters, history (its status events and
    # the assignments the audit log holds), memberships; the standing revocation read once for the page and its
    # actions (25 when read twice)


def _unassigned_ids(app) -> list[int]:
    from sqlalchemy import select

    from trusted_traveler.casework.models import Application

    with app.app_context():
        return list(
            db.session.scalars(
                select(Application.id).where(Application.assigned_officer_id.is_(None)).order_by(Application.id)
            )
        )


def test_assigning_3_or_30_cases_at_once_reads_the_same_number_of_times(client, app):
    """Each case's checks read whose application it is and who holds it: the reviewer counted 12 statements for 3
    cases and 93 for 30, a profile read per case among them. The cases are read with both, in one statement.
    What is written is one assignment and one audit record per case (the unit of work writes a row a statement
    on SQLite; PostgreSQL sends the audit records together)."""
    _cases(app, 0, 3)
    sign_in(client, "olga.officer@example.com")
    client.get("/officer/")  # warm up (the signed-in account, reference data)
    few_ids = _unassigned_ids(app)
    with count_queries(app) as few:
        page = client.post("/officer/assign", data={"application_ids": few_ids, "queue": "unassigned"})
    assert page.status_code == 302
    _cases(app, 3, 30)
    many_ids = _unassigned_ids(app)
    assert len(many_ids) == 30
    with count_queries(app) as many:
        page = client.post("/officer/assign", data={"application_ids": many_ids, "queue": "unassigned"})
    assert page.status_code == 302
    assert _unassigned_ids(app) == []

    assert len(reads(many)) == len(reads(few)) <= 4, reads(many)
    assert len(many) <= len(reads(many)) + 2 * 30
