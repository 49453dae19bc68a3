"""Test fixtures.

The database is migrated once per session with Alembic (the real migrations, not create_all): a SQLite file by
default, or PostgreSQL when TEST_DATABASE_URL is set (`make test` runs the suite on both when it is). Reference
data (programs, parameters, centers) is seeded once; every other table is emptied after each test.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from seeds.centers import SEEDED_HOURS_FROM, load_centers
from seeds.reference import PARAMETERS as SEEDED_PARAMETERS
from seeds.reference import load_reference
from trusted_traveler import caching, create_app
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.extensions import db, limiter

REFERENCE_TABLES = {
    "alembic_version",
    "programs",
    "program_includes",
    "parameters",
    "scheduler_services",
    "enrollment_centers",
    "center_services",
    "capacity_templates",
    "rule_sets",
    "rule_set_versions",
    "rules",
}


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_dir / 'test.sqlite'}"


def reset_database(url: str) -> None:
    """Start from an empty database, so the migrations are what builds the schema."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if os.path.exists(path):
            os.remove(path)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With TT_NO_SKIPS=1 (CI), a skipped test is a failure: CI must run the browser and sign-in tests."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("TT_NO_SKIPS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url):
    reset_database(database_url)
    app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None})
    with app.app_context():
        upgrade()
        from seeds.rules import load_rules

        load_reference()
        load_rules()
        load_centers()
        db.session.commit()
    return app


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which pushes a request context around every test. Flask then
    reuses that context for test-client requests, so one database session would live across requests and never
    be torn down: each request must get its own, as in production. Tests that need a context use `app_ctx`."""
    yield


@pytest.fixture(autouse=True)
def _clean_tables(request, app):
    """Each test starts with reference data only; CSRF is on for browser tests, off for the test client."""
    app.config["WTF_CSRF_ENABLED"] = "browser" in request.keywords or "csrf" in request.keywords
    yield
    with app.app_context():
        db.session.rollback()
        # What tests add to the reference tables goes too: versions a person created (the seeded ones were created
        # by nobody), their rules and proposed settings; the seeded versions go back to how they were seeded.
        db.session.execute(text("DELETE FROM parameters WHERE version_id IS NOT NULL"))
        # Dated settings a test wrote in place of the seeded ones (reference "test") go, and the seeded ones it
        # removed come back.
        db.session.execute(text("DELETE FROM parameters WHERE version_id IS NULL AND reference = 'test'"))
        seeded = db.session.execute(text("SELECT count(*) FROM parameters WHERE version_id IS NULL")).scalar_one()
        if seeded < len(SEEDED_PARAMETERS):
            load_reference()
        db.session.execute(
            text(
                "DELETE FROM rules WHERE version_id IN "
                "(SELECT id FROM rule_set_versions WHERE created_by_id IS NOT NULL)"
            )
        )
        db.session.execute(text("DELETE FROM rule_set_versions WHERE created_by_id IS NOT NULL"))
        db.session.execute(text("UPDATE rule_set_versions SET status = 'published', effective_until = NULL"))
        # A test that edited a center (it leaves an audit event) gets the seeded centers and hours back.
        edited = db.session.execute(
            text("SELECT 1 FROM audit_events WHERE object_type = 'enrollment_center' LIMIT 1")
        ).first()
        if edited:
            db.session.execute(
                text("DELETE FROM capacity_templates WHERE valid_from <> :seeded"), {"seeded": SEEDED_HOURS_FROM}
            )
            db.session.execute(text("UPDATE capacity_templates SET valid_until = NULL"))
            # what an admin can change that the seeds do not set: back to the model's defaults
            db.session.execute(
                text(
                    "UPDATE enrollment_centers SET operational = :yes, temporary = :no, invite_only = :no, "
                    "phone_number = NULL, phone_area_code = NULL, phone_country_code = NULL, directions = NULL, "
                    "min_notice_hours = 2, cancel_cutoff_hours = 24, max_reschedules = 3"
                ),
                {"yes": True, "no": False},
            )
            load_centers()
        for table in reversed(db.metadata.sorted_tables):
            if table.name == "audit_events":
                _empty_audit_events()
            elif table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
    caching.clear_all()  # figures cached from this test's data must not reach the next test


def _empty_audit_events() -> None:
    """The audit log refuses DELETE (ORM listeners, and migration 0006's triggers), so cleanup lifts the database
    guard inside its own transaction only: PostgreSQL disables the table's triggers, SQLite drops and recreates
    them from their stored SQL. Raw SQL on the connection skips the ORM listener."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        conn.exec_driver_sql("DELETE FROM audit_events")
        conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
        return
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
    ).all()
    for name, _ in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    conn.exec_driver_sql("DELETE FROM audit_events")
    for _, sql in triggers:
        conn.exec_driver_sql(sql)


@pytest.fixture
def rate_limited_app(app):
    """A second app over the same database with rate limits on (memory storage) and no CSRF check. Flask-Limiter
    keeps `enabled` and its storage on the one shared instance, so the suite's app gets its state back afterwards."""
    was_enabled = limiter.enabled
    limited = create_app(
        "test",
        overrides={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
        },
    )
    limiter.reset()
    yield limited
    limiter.reset()
    limiter.enabled = was_enabled


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def case(app) -> str:
    """A Global Entry case in officer review after a sandbox vetting hit, and officer Olga to work it: its reference."""
    from tests.factories import create_hit_case

    with app.app_context():
        reference = create_hit_case()
        db.session.commit()
        return reference


@pytest.fixture
def two_leads(app, client):
    """Two program leads (a change needs a second lead to approve it), the client signed in as the first."""
    from tests.factories import create_account, sign_in

    with app.app_context():
        create_account("lead.a@example.com", roles=("program_lead",))
        create_account("lead.b@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead.a@example.com")
    return client


@pytest.fixture
def today() -> dt.date:
    """The service's today, read when the test runs. A value read when the test module is imported is yesterday's
    for the tests that run after midnight in New York, in a run that crosses it."""
    return service_today()


@pytest.fixture
def now() -> dt.datetime:
    """The time when the test runs (UTC, to the second), for tests that pass the clock to the code they call."""
    return utcnow().replace(microsecond=0)


@pytest.fixture
def live_url(app):
    """The app served on a free loopback port by a real threaded WSGI server, for the browser and OIDC tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url, base_url = f"http://127.0.0.1:{server.server_port}", app.config["BASE_URL"]
    app.config["BASE_URL"] = url  # the service's own address, as production sets it
    yield url
    app.config["BASE_URL"] = base_url
    server.shutdown()
    thread.join(timeout=5)
