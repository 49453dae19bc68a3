"""Issue 9's last two gaps. Behind a load balancer (TRUSTED_PROXY_HOPS, werkzeug's ProxyFix) each traveler keeps
their own rate limits and their own address in the audit log, and without one a forged X-Forwarded-For changes
nothing. On PostgreSQL the application's own role (`flask db-grant-app-role`) reads and writes rows but cannot change,
empty or unguard the audit log: it is append-only at the database level for that role."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import uuid

import pytest
from flask import request
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import ConfigError
from tests.factories import create_hit_case, form_version, sign_in
from tests.test_config import PROD_ENV
from tests.test_faults import needs_postgres
from tests.test_sessions import _flood
from trusted_traveler import create_app
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db, limiter
from trusted_traveler.notifications.models import Notification, OutboxMessage

# --- ProxyFix ------------------------------------------------------------------------------------------------------


@pytest.fixture
def limiter_state():
    """Building a production app switches the one shared limiter on; the suite's app gets its state back."""
    was_enabled = limiter.enabled
    yield
    limiter.enabled = was_enabled


def test_trusted_proxy_hops_comes_from_the_environment_and_is_off_by_default(limiter_state):
    """Production reads TRUSTED_PROXY_HOPS; unset, no X-Forwarded-* header is trusted."""
    plain = create_app("production", env=PROD_ENV)
    assert plain.config["TRUSTED_PROXY_HOPS"] == 0
    assert not isinstance(plain.wsgi_app, ProxyFix)
    proxied = create_app("production", env={**PROD_ENV, "TRUSTED_PROXY_HOPS": "2"})
    assert proxied.config["TRUSTED_PROXY_HOPS"] == 2
    fix = proxied.wsgi_app
    assert isinstance(fix, ProxyFix)
    assert (fix.x_for, fix.x_proto, fix.x_host, fix.x_port, fix.x_prefix) == (2, 2, 0, 0, 0)


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "²", "1 2"])
def test_a_hop_count_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS must be a whole number"):
        create_app("production", env={**PROD_ENV, "TRUSTED_PROXY_HOPS": value})


def remember_requests(app) -> list[tuple[str, str]]:
    """(remote address, scheme) of each request the app serves."""
    seen: list[tuple[str, str]] = []

    @app.after_request
    def _remember(response):
        seen.append((request.remote_addr, request.scheme))
        return response

    return seen


@pytest.fixture
def behind_one_proxy(app, rate_limited_app):
    """Like rate_limited_app (which keeps the shared limiter's state for the suite), with one trusted proxy."""
    return create_app(
        "test",
        overrides={
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "WTF_CSRF_ENABLED": False,
            "TRUSTED_PROXY_HOPS": 1,
        },
    )


def test_behind_one_proxy_each_traveler_has_their_own_rate_limit(behind_one_proxy):
    """Every request comes from the proxy's address (the test client's 127.0.0.1); the address the proxy adds to
    X-Forwarded-For is the one counted, so one busy traveler does not use up everyone's allowance."""
    seen = remember_requests(behind_one_proxy)
    client = behind_one_proxy.test_client()
    first = {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}
    _flood(lambda: client.get("/api/v1/programs", headers=first), 60)
    assert set(seen) == {("198.51.100.1", "https")}
    assert client.get("/api/v1/programs", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
    assert seen[-1] == ("198.51.100.2", "http")
    # The limited traveler writes an X-Forwarded-For of their own: the proxy appends the address it saw, and only
    # that one, the last, is trusted.
    forged = {"X-Forwarded-For": "198.51.100.2, 198.51.100.1"}
    assert client.get("/api/v1/programs", headers=forged).status_code == 429


def test_behind_one_proxy_the_audit_log_records_the_travelers_address(app, behind_one_proxy):
    """request.remote_addr is the forwarded address, so an officer's case view is audited from where they are."""
    with app.app_context():
        reference = create_hit_case()
        db.session.commit()
    client = behind_one_proxy.test_client()
    client.post("/auth/dev", data={"email": "olga.officer@example.com"}, headers={"X-Forwarded-For": "203.0.113.9"})
    page = client.get(f"/officer/cases/{reference}", headers={"X-Forwarded-For": "203.0.113.9"})
    assert page.status_code == 200
    with app.app_context():
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "profile.viewed"))
        assert (viewed.object_id, viewed.source_address) == (reference, "203.0.113.9")


def test_a_forwarded_address_too_long_for_the_audit_log_is_cut_not_an_error_page(app, behind_one_proxy):
    """With a hop count larger than the proxies that append, the forwarded address is what the client wrote: the
    officer's page still opens, and the audit row keeps the first 64 characters."""
    with app.app_context():
        reference = create_hit_case()
        db.session.commit()
    client = behind_one_proxy.test_client()
    junk = "x" * 500
    client.post("/auth/dev", data={"email": "olga.officer@example.com"}, headers={"X-Forwarded-For": junk})
    page = client.get(f"/officer/cases/{reference}", headers={"X-Forwarded-For": junk})
    assert page.status_code == 200
    with app.app_context():
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "profile.viewed"))
        assert viewed.source_address == "x" * 64


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(rate_limited_app):
    """TRUSTED_PROXY_HOPS=0 (the default): a client that changes its X-Forwarded-For on every request is still one
    address, and is limited like anyone else."""
    seen = remember_requests(rate_limited_app)
    client = rate_limited_app.test_client()
    forged = (f"198.51.100.{n}" for n in itertools.count(1))
    _flood(lambda: client.get("/api/v1/programs", headers={"X-Forwarded-For": next(forged)}), 60)
    assert set(seen) == {("127.0.0.1", "http")}


def test_with_two_proxies_the_address_the_outer_one_saw_is_used(app):
    """TRUSTED_PROXY_HOPS=2: the second address from the right; a chain shorter than that is not trusted at all."""
    two = create_app(
        "test",
        overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_PROXY_HOPS": 2},
    )
    seen = remember_requests(two)
    client = two.test_client()
    client.get("/healthz", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.9, 10.0.0.2"})
    client.get("/healthz", headers={"X-Forwarded-For": "10.0.0.2"})
    assert [address for address, _ in seen] == ["198.51.100.9", "127.0.0.1"]


# --- The application's PostgreSQL role -----------------------------------------------------------------------------


def test_the_role_command_refuses_sqlite_plainly():
    """SQLite has no roles: the command says so instead of pretending."""
    sqlite_app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result = sqlite_app.test_cli_runner().invoke(args=["db-grant-app-role", "tt_app"])
    assert result.exit_code == 1
    assert "PostgreSQL" in result.output


def _as_owner(app, *statements: str) -> None:
    with app.app_context(), db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@pytest.fixture
def app_role(app):
    """A new login role set up by `flask db-grant-app-role`, run as the tables' owner (the suite's connection),
    and the URL that connects as it. Its name is unique (roles are shared by every database on the server, so
    parallel runs must not clash); it is dropped afterwards, with the privileges it was given."""
    role = f"tt_app_{uuid.uuid4().hex[:12]}"
    result = app.test_cli_runner().invoke(args=["db-grant-app-role", role])
    assert result.exit_code == 0, result.output
    assert f"Created the login role {role}" in result.output
    password = secrets.token_hex(16)
    _as_owner(app, f"ALTER ROLE {role} PASSWORD '{password}'")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(username=role, password=password)
    engine = create_engine(url)
    try:
        yield role, engine
    finally:
        engine.dispose()
        _as_owner(app, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def _append(engine, object_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (action, object_type, object_id, details, created_at) "
                "VALUES ('x.appended', 'application', :object_id, '{}', CURRENT_TIMESTAMP)"
            ),
            {"object_id": object_id},
        )


REFUSED = {
    "update": "UPDATE audit_events SET action = 'x.changed'",
    "delete": "DELETE FROM audit_events",
    "truncate": "TRUNCATE audit_events",
    "disable-trigger": "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "disable-user-triggers": "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "drop-trigger": "DROP TRIGGER audit_events_append_only ON audit_events",
    "replace-function": "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NULL; END $$",
    "drop-function": "DROP FUNCTION audit_events_append_only() CASCADE",
    "rename-table": "ALTER TABLE audit_events RENAME TO audit_events_old",
    "drop-table": "DROP TABLE audit_events",
    "replica-mode": "SET session_replication_role = replica",  # would skip the trigger
    "new-trigger": "CREATE TRIGGER skip BEFORE UPDATE ON audit_events FOR EACH ROW "
    "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "schema-version": "UPDATE alembic_version SET version_num = '0001'",
}


@needs_postgres
@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_the_app_role_appends_to_the_audit_log_and_can_do_nothing_else_to_it(app, app_role, statement):
    """Connected as the application's role: an insert works, then every way to change, empty or unguard the audit
    log is refused by PostgreSQL itself (no privilege, or not the owner), and the event is still there, unchanged."""
    role, engine = app_role
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == role
    object_id = f"TT-{uuid.uuid4().hex[:8]}"
    _append(engine, object_id)
    with pytest.raises(DBAPIError, match="permission denied|must be owner") as refused, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert refused.value.orig.sqlstate == "42501"  # insufficient_privilege, not the trigger's restrict_violation
    with app.app_context():
        kept = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == object_id)).all()
        assert kept == ["x.appended"]
        assert db.session.scalar(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_events_append_only'"))


@needs_postgres
def test_the_app_runs_as_its_role_and_its_writes_work(app, app_role):
    """The whole app connected as the role: a case is created and vetted (accounts, profile, payment, status
    changes), an officer signs in, views it and asks for information (an update of the application row, its events,
    a notification, e-mail in the outbox, audit events)."""
    role, engine = app_role
    as_role = create_app(
        "test",
        overrides={
            "SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False),
            "WTF_CSRF_ENABLED": False,
        },
    )
    try:
        with as_role.app_context():
            assert db.session.scalar(text("SELECT current_user")) == role
            reference = create_hit_case()
            db.session.commit()
        client = as_role.test_client()
        sign_in(client, "olga.officer@example.com")
        version = form_version(client.get(f"/officer/cases/{reference}").get_data(as_text=True))
        due_on = (service_today() + dt.timedelta(days=14)).isoformat()
        response = client.post(
            f"/officer/cases/{reference}/request-info",
            data={"version": version, "message": "Send the court record for 2019.", "due_on": due_on},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    finally:
        with as_role.app_context():
            db.engine.dispose()
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        assert application.status == Status.INFO_REQUESTED
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == reference)))
        assert {"profile.viewed", "application.transition"} <= actions
        assert db.session.scalar(select(Notification.id).where(Notification.kind == "info_requested"))
        assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "email.info_requested"))


@needs_postgres
def test_running_the_command_again_takes_back_what_was_granted_by_hand(app, app_role):
    """Idempotent, and it restores least privilege: after someone grants everything on the audit log, a second run
    leaves the role unable to update it again."""
    role, engine = app_role
    _as_owner(app, f"GRANT ALL ON audit_events, alembic_version TO {role}")
    result = app.test_cli_runner().invoke(args=["db-grant-app-role", role])
    assert result.exit_code == 0, result.output
    assert "Created" not in result.output
    with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET action = 'x.changed'")
    with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE audit_events")


@needs_postgres
def test_a_table_a_later_migration_creates_is_usable_by_the_role_at_once(app, app_role):
    """Default privileges: what the owner creates next (a new release's migration) is rows-only for the role
    before the command runs again."""
    role, engine = app_role
    table = f"later_{uuid.uuid4().hex[:8]}"
    _as_owner(app, f"CREATE TABLE {table} (id serial PRIMARY KEY, note text)")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO {table} (note) VALUES ('x')")  # noqa: S608 - a test's own table
            assert conn.exec_driver_sql(f"SELECT note FROM {table}").scalar() == "x"  # noqa: S608
        with pytest.raises(DBAPIError, match="must be owner"), engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {table}")
    finally:
        _as_owner(app, f"DROP TABLE {table}")


@needs_postgres
@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("Robert'); DROP TABLE audit_events; --", "is not a role name"),
        ("postgres", "superuser"),
    ],
    ids=["not-a-name", "superuser"],
)
def test_the_command_refuses_a_role_that_could_not_be_limited(app, who, message):
    """A name that is not a plain identifier, or a superuser (who would bypass every privilege), is refused."""
    result = app.test_cli_runner().invoke(args=["db-grant-app-role", who])
    assert result.exit_code == 1
    assert message in result.output


@needs_postgres
def test_the_command_must_be_run_by_the_owner(app, app_role):
    """Run as the application's role itself, it refuses and names the owner to connect as."""
    role, engine = app_role
    as_role = create_app(
        "test", overrides={"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False)}
    )
    try:
        result = as_role.test_cli_runner().invoke(args=["db-grant-app-role", role])
    finally:
        with as_role.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "who owns the tables and runs the migrations" in result.output
