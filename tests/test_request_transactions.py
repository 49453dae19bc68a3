"""A request that only read ends its transaction with COMMIT, so PostgreSQL keeps the statements psycopg prepared
(psycopg forgets them all on ROLLBACK). Every other request ends as it always has: a request that wrote commits
once in its view, and what a view left uncommitted, or a request that failed, is rolled back and lost.

These run against a second app over the suite's database, with routes of their own, so each case is exactly one
kind of request; the pages people use are checked at the end."""

import pytest
from sqlalchemy import event, select, text

from tests.factories import create_account, create_application, sign_in
from tests.test_faults import needs_postgres
from trusted_traveler import create_app
from trusted_traveler.auth.models import Account
from trusted_traveler.auth.policy import public
from trusted_traveler.extensions import db


@pytest.fixture
def probe(app):
    """The second app, with one route per kind of request, and the list of how each transaction ended."""
    second = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    second.config.update(SERVER_NAME=None, WTF_CSRF_ENABLED=False)

    @second.get("/probe/read")
    @public
    def read():
        return str(db.session.execute(select(Account.id).limit(1)).all())

    @second.get("/probe/read-then-fail")
    @public
    def read_then_fail():
        db.session.execute(select(Account.id).limit(1)).all()
        raise RuntimeError("the view failed after reading")

    @second.get("/probe/flushed-not-committed")
    @public
    def flushed_not_committed():
        create_account("flushed@example.com")  # the service flushes; this view forgets to commit
        return "forgot"

    @second.get("/probe/pending")
    @public
    def pending():
        db.session.execute(select(Account.id).limit(1)).all()
        db.session.add(Account(email="pending@example.com"))  # added, never flushed
        return "left pending"

    @second.get("/probe/written-by-a-cte")
    @public
    def written_by_a_cte():
        db.session.execute(
            text(
                "WITH nobody AS (SELECT 'cte@example.com' AS email) "
                "DELETE FROM accounts WHERE email IN (SELECT email FROM nobody)"
            )
        )
        return "a statement starting WITH that wrote"

    @second.get("/probe/prepared")
    @public
    def prepared():
        return str(db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())

    ended: list[str] = []
    with second.app_context():
        engine = db.engine

    def committed(_conn):
        ended.append("COMMIT")

    def rolled_back(_conn):
        ended.append("ROLLBACK")

    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    yield second.test_client(), ended
    event.remove(engine, "commit", committed)
    event.remove(engine, "rollback", rolled_back)
    with second.app_context():
        engine.dispose()


def _emails() -> set[str]:
    return set(db.session.scalars(select(Account.email)))


def test_a_request_that_only_read_ends_in_commit(probe):
    client, ended = probe
    assert client.get("/probe/read").status_code == 200
    assert ended == ["COMMIT"]


def test_a_request_that_failed_after_reading_is_rolled_back(probe):
    client, ended = probe
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/probe/read-then-fail").status_code == 500
    assert ended == ["ROLLBACK"]


def test_a_write_a_view_did_not_commit_is_rolled_back_and_lost(probe, app_ctx):
    client, ended = probe
    assert client.get("/probe/flushed-not-committed").status_code == 200
    assert ended == ["ROLLBACK"]
    assert "flushed@example.com" not in _emails()


def test_an_object_left_pending_in_the_session_is_never_flushed_by_the_commit(probe, app_ctx):
    client, ended = probe
    assert client.get("/probe/pending").status_code == 200
    assert ended == ["ROLLBACK"]
    assert "pending@example.com" not in _emails()


def test_a_statement_starting_with_a_cte_counts_as_a_write(probe):
    client, ended = probe
    assert client.get("/probe/written-by-a-cte").status_code == 200
    assert ended == ["ROLLBACK"]


def test_the_pages_people_load_all_day_end_in_commit(probe, app_ctx):
    client, ended = probe
    create_account("ruth.officer@example.com", roles=("officer",))
    create_application("global_entry", submitted=True)
    db.session.commit()
    sign_in(client, "ruth.officer@example.com")
    for page in ("/officer/?queue=unassigned", "/dashboard", "/which-program"):
        ended.clear()
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert ended == ["COMMIT"], page


@needs_postgres
def test_on_postgresql_the_statements_of_read_only_requests_stay_prepared_across_requests(probe):
    """psycopg prepares a statement the fifth time its connection runs it, and forgets them all on ROLLBACK: the same
    read five times, in five requests, is prepared only if the requests before did not end in a rollback."""
    client, _ = probe
    for _ in range(6):
        assert client.get("/probe/read").status_code == 200
    assert int(client.get("/probe/prepared").get_data(as_text=True)) >= 1
