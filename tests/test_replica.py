"""A read replica (DATABASE_REPLICA_URL) takes the reads that tolerate a moment's lag: the officer queues and their
counts, the supervisor's workload, and the worker's computing of the dashboard figures and typical times. Nothing
is ever written to it, and a person who has just written reads the primary for a while, so they see what they did.

Here the "replica" is a second engine on the suite's own database: what it proves is which engine each statement
goes to, not replication."""

import datetime as dt

import pytest
from sqlalchemy import event

from tests.factories import create_account, create_application, sign_in
from trusted_traveler import create_app
from trusted_traveler.casework.stats import refresh_typical_times
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.feedback.performance import refresh_dashboard_figures
from trusted_traveler.replica import LAST_WRITE, reading_replica, replica


@pytest.fixture
def with_replica(app):
    """A second app over the suite's database whose replica bind is that database again; yields the app and the
    statements run on the replica's engine."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    second = create_app(
        "test",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_BINDS": {"replica": url}, "SERVER_NAME": None},
    )
    second.config["WTF_CSRF_ENABLED"] = False
    on_replica: list[str] = []
    with second.app_context():
        engine = db.engines["replica"]

        def record(conn, cursor, statement, *args):
            on_replica.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        yield second, on_replica
        event.remove(engine, "before_cursor_execute", record)
        for bound in db.engines.values():
            bound.dispose()


def _waiting_case(app) -> str:
    with app.app_context():
        create_account("ruth.officer@example.com", roles=("officer", "supervisor"))
        reference = create_application("global_entry", submitted=True).reference
        db.session.commit()
    return reference


def _only_reads(statements: list[str]) -> bool:
    """Plain reads only: a hot standby refuses writes, row locks and advisory locks."""
    plain = (s.upper() for s in statements)
    return all(
        s.lstrip().startswith(("SELECT", "WITH")) and not any(w in s for w in ("FOR UPDATE", "FOR SHARE", "ADVISORY"))
        for s in plain
    )


def test_the_officer_queue_and_the_workload_read_the_replica_and_the_traveler_pages_do_not(with_replica):
    second, on_replica = with_replica
    second.config["REPLICA_DELAY_SECONDS"] = 0  # signing in is a write: no wait after it here
    _waiting_case(second)
    client = second.test_client()
    sign_in(client, "ruth.officer@example.com")

    on_replica.clear()
    page = client.get("/officer/?queue=mine")
    assert page.status_code == 200
    assert any("FROM applications" in s and "LIMIT" in s for s in on_replica)  # the list
    assert any("count(*)" in s for s in on_replica)  # the tabs' counts
    assert not any("FROM accounts" in s and "role_grants" in s and "LIMIT" not in s for s in on_replica)

    on_replica.clear()
    assert client.get("/officer/workload").status_code == 200
    assert on_replica and _only_reads(on_replica)

    on_replica.clear()
    assert client.get("/dashboard").status_code == 200  # not a staff read: the primary
    assert on_replica == []


def test_after_a_write_the_person_reads_the_primary_until_the_delay_has_passed(with_replica):
    second, on_replica = with_replica
    second.config["REPLICA_DELAY_SECONDS"] = 0
    reference = _waiting_case(second)
    client = second.test_client()
    sign_in(client, "ruth.officer@example.com")
    with client.session_transaction() as session:
        session.pop(LAST_WRITE)  # the sign-in's own write: only the assignment below counts here
    on_replica.clear()
    client.get("/officer/?queue=unassigned")
    assert on_replica  # before the write: the replica

    second.config["REPLICA_DELAY_SECONDS"] = 60
    with second.app_context():
        application_id = db.session.execute(
            db.text("SELECT id FROM applications WHERE reference = :r"), {"r": reference}
        ).scalar_one()
    assigned = client.post("/officer/assign", data={"queue": "unassigned", "application_ids": [str(application_id)]})
    assert assigned.status_code == 302
    with client.session_transaction() as session:
        assert session[LAST_WRITE] == pytest.approx(dt.datetime.now(dt.UTC).timestamp(), abs=30)
    on_replica.clear()
    mine = client.get("/officer/?queue=mine")
    assert reference in mine.get_data(as_text=True)  # the assignment, read back from the primary
    assert on_replica == []

    second.config["REPLICA_DELAY_SECONDS"] = 0  # the delay has passed
    assert reference in client.get("/officer/?queue=mine").get_data(as_text=True)
    assert on_replica and _only_reads(on_replica)


def test_the_worker_computes_the_public_figures_from_the_replica_and_stores_them_on_the_primary(with_replica):
    second, on_replica = with_replica
    _waiting_case(second)
    with second.app_context():
        on_replica.clear()
        with reading_replica():  # as the worker's loop does
            refresh_dashboard_figures(utcnow())
            refresh_typical_times(utcnow())
        db.session.commit()
        assert any("status_events" in s for s in on_replica)
        assert _only_reads(on_replica)


def test_a_command_that_has_just_written_reads_the_primary(with_replica):
    second, on_replica = with_replica
    _waiting_case(second)
    with second.app_context():
        on_replica.clear()
        refresh_typical_times(utcnow())  # seed-synthetic's refresh, straight after its load
        db.session.commit()
        assert on_replica == []


def test_an_anonymous_visitor_who_posts_gets_no_session_for_it(with_replica):
    second, _ = with_replica
    client = second.test_client()
    response = client.post("/api/v1/eligibility/check", json={"date_of_birth": "1984-06-02", "citizenships": ["US"]})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_without_a_replica_every_read_goes_to_the_primary(app):
    with app.test_request_context("/officer/"):
        assert "replica" not in db.engines
        assert replica() == {}
