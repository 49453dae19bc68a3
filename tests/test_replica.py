"""A read replica (DATABASE_REPLICA_URL) takes the reads that tolerate a moment's lag: the officer queues and their
counts, the supervisor's workload, and the worker's computing of the dashboard figures and typical times. Nothing
is ever written to it, and a person who has just written reads the primary for a while, so they see what they did.

Here the "replica" is a second engine on the suite's own database: what it proves is which engine each statement
goes to, not replication."""

import datetime as dt
import logging

import pytest
from sqlalchemy import event

from tests.factories import create_account, create_application, create_profile, sign_in
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
    with second.app_context():  # only to reach the engine: each request gets its own context, as in production
        engine = db.engines["replica"]

    def record(conn, cursor, statement, *args):
        on_replica.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield second, on_replica
    event.remove(engine, "before_cursor_execute", record)
    _dispose(second)


def _dispose(app) -> None:
    with app.app_context():
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


def _unassigned_case(app) -> str:
    """A case in the unassigned queue: the sandbox vetting flags the surname Hitman for an officer's review."""
    with app.app_context():
        create_account("ruth.officer@example.com", roles=("officer", "supervisor"))
        profile = create_profile(create_account("hit@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        db.session.commit()
    return reference


UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/none"  # nothing listens on port 1: refused at once


@pytest.fixture
def unreachable_replica(app):
    """A second app over the suite's database whose replica cannot be reached; yields the app and a list that
    grows by one at each attempt to connect to the replica."""
    from trusted_traveler import replica as replica_module

    second = create_app(
        "test",
        overrides={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_BINDS": {"replica": {"url": UNREACHABLE, "connect_args": {"connect_timeout": 2}}},
            "SERVER_NAME": None,
            "REPLICA_DELAY_SECONDS": 0,  # signing in is a write: no wait after it here
        },
    )
    second.config["WTF_CSRF_ENABLED"] = False
    attempts: list[int] = []
    with second.app_context():  # only to reach the engine: each request gets its own context, as in production
        engine = db.engines["replica"]

    def attempt(*args):
        attempts.append(1)

    event.listen(engine, "do_connect", attempt)
    replica_module._resting_until = 0.0
    yield second, attempts
    replica_module._resting_until = 0.0  # the next test starts with a replica worth trying
    event.remove(engine, "do_connect", attempt)
    _dispose(second)


def test_when_the_replica_cannot_be_reached_the_queue_reads_the_primary_and_the_replica_rests(
    unreachable_replica, caplog
):
    second, attempts = unreachable_replica
    reference = _unassigned_case(second)
    client = second.test_client()
    sign_in(client, "ruth.officer@example.com")

    logger = logging.getLogger("trusted_traveler.replica")  # the app's loggers do not propagate to the root
    logger.addHandler(caplog.handler)
    try:
        page = client.get("/officer/?queue=unassigned")
    finally:
        logger.removeHandler(caplog.handler)
    assert page.status_code == 200
    assert reference in page.get_data(as_text=True)  # read from the primary
    assert attempts  # the replica was tried first
    assert "replica unreachable, reading the primary for 30 s" in caplog.text  # operators are told

    tried = len(attempts)
    for path in ("/officer/?queue=unassigned", "/officer/workload"):
        assert client.get(path).status_code == 200
    assert len(attempts) == tried  # resting: the next pages go straight to the primary


def test_after_the_rest_the_replica_is_tried_again(unreachable_replica):
    second, attempts = unreachable_replica
    second.config["REPLICA_RETRY_SECONDS"] = 0  # the rest is over at once
    reference = _unassigned_case(second)
    client = second.test_client()
    sign_in(client, "ruth.officer@example.com")
    assert reference in client.get("/officer/?queue=unassigned").get_data(as_text=True)
    tried = len(attempts)
    assert reference in client.get("/officer/?queue=unassigned").get_data(as_text=True)
    assert len(attempts) > tried


def test_the_worker_computes_its_figures_from_the_primary_when_the_replica_cannot_be_reached(unreachable_replica):
    second, attempts = unreachable_replica
    _waiting_case(second)
    with second.app_context():
        with reading_replica():
            figures = refresh_dashboard_figures(utcnow())
            refresh_typical_times(utcnow())
        db.session.commit()
    assert attempts
    assert figures > 0  # computed and stored


def test_a_replica_connection_that_died_between_requests_is_replaced_not_used(with_replica):
    """A replica restart kills the connections pooled in every web process: the next page's checkout notices (the
    pool's pre-ping, which the replica's engine has as the primary's does) and connects again, and the page
    reads the replica as before, with no error page and no rest."""
    from trusted_traveler import replica as replica_module

    second, on_replica = with_replica
    second.config["REPLICA_DELAY_SECONDS"] = 0
    reference = _unassigned_case(second)
    client = second.test_client()
    sign_in(client, "ruth.officer@example.com")
    assert reference in client.get("/officer/?queue=unassigned").get_data(as_text=True)
    with second.app_context():
        pooled = list(db.engines["replica"].pool._pool.queue)  # the connections waiting in the pool
    assert pooled
    for record in pooled:
        record.dbapi_connection.close()  # as a restart leaves them: closed under the pool's feet

    on_replica.clear()
    page = client.get("/officer/?queue=unassigned")
    assert page.status_code == 200 and reference in page.get_data(as_text=True)
    assert any("FROM applications" in s for s in on_replica)  # still the replica
    assert replica_module._resting_until == 0.0
