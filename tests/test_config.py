"""The production configuration refuses to run unsafely; development and test have the development sign-in."""

import pytest
from cryptography.fernet import Fernet

from config import ConfigError, derived_document_key
from trusted_traveler import create_app
from trusted_traveler.extensions import limiter

PROD_ENV = {
    "DATABASE_URL": "sqlite:///:memory:",
    "SECRET_KEY": "a-real-secret-from-the-environment",
    "DOCUMENT_KEYS": Fernet.generate_key().decode(),
}


@pytest.fixture(autouse=True)
def _limiter_state_restored():
    """Flask-Limiter keeps `enabled` on the one shared `limiter`, and init_app sets it from the app being built: a
    production app here would switch rate limits on for every later test's app too (test_audit_log's posts then get
    "Too many requests"). Each test gives the suite's setting back. (The storage it may have swapped in is unused
    while limits are off, and an app that switches them on builds a fresh one.)"""
    was_enabled = limiter.enabled
    yield
    limiter.enabled = was_enabled


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production", env=env)


def test_production_needs_only_a_secret_key_and_says_which_defaults_it_took(capfd):
    """CONTRACTS.md section 4: DATABASE_URL defaults to a SQLite file under instance/; SECRET_KEY alone is required.
    Document numbers are then encrypted with a key derived from SECRET_KEY."""
    app = create_app("production", env={"SECRET_KEY": PROD_ENV["SECRET_KEY"]})
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
        and "instance" in app.config["SQLALCHEMY_DATABASE_URI"]
    )
    assert app.config["DOCUMENT_KEYS"] == derived_document_key(PROD_ENV["SECRET_KEY"])
    warned = capfd.readouterr().err  # the app's log (JSON lines on stderr in production)
    assert "DATABASE_URL is not set" in warned and "DOCUMENT_KEYS is not set" in warned
    assert derived_document_key("another secret") != app.config["DOCUMENT_KEYS"]


def test_document_numbers_written_under_the_derived_key_are_read_once_document_keys_are_set():
    """Setting DOCUMENT_KEYS later loses nothing: the derived key stays in the ring, last, for reading."""
    from trusted_traveler.crypto import keyring

    create_app("production", env={"SECRET_KEY": PROD_ENV["SECRET_KEY"]})
    stored = keyring.encrypt("P1234567")
    app = create_app("production", env=PROD_ENV)
    assert app.config["DOCUMENT_KEYS"].split(",")[0] == PROD_ENV["DOCUMENT_KEYS"]
    assert keyring.decrypt(stored) == "P1234567"
    assert keyring.decrypt(keyring.rotate(stored)) == "P1234567"
    create_app("test")  # the suite's own keys back for the tests after this one


def test_production_refuses_to_start_with_the_development_sign_in():
    with pytest.raises(ConfigError, match="development sign-in"):
        create_app("production", env={**PROD_ENV, "DEV_SIGN_IN": "1"})


def test_production_refuses_debug_mode():
    with pytest.raises(ConfigError, match="debug"):
        create_app("production", env={**PROD_ENV, "FLASK_DEBUG": "1"})


def test_production_has_no_development_sign_in_route_and_secure_cookies():
    app = create_app("production", env=PROD_ENV)
    assert "auth.dev_sign_in" not in app.view_functions
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug
    response = app.test_client().get("/auth/dev")
    assert response.status_code == 404


def test_unknown_configuration_name_is_refused():
    with pytest.raises(ConfigError, match="TT_CONFIG"):
        create_app("staging", env={})


def test_development_default_database_is_a_sqlite_file_under_instance():
    app = create_app("development", env={})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/trusted_traveler.sqlite")
    assert "auth.dev_sign_in" in app.view_functions


def test_the_replica_engine_has_the_primarys_options_and_gives_up_connecting_after_two_seconds():
    """Flask-SQLAlchemy gives SQLALCHEMY_ENGINE_OPTIONS to the primary's engine only. The replica's needs them too:
    pre-ping replaces a connection that died with a replica restart instead of failing a page on it, and its
    statements' values stay out of the logs. And an unreachable replica must fail fast for its reads to go to
    the primary (trusted_traveler/replica.py); libpq's default waits on TCP for minutes."""
    replica_url = "postgresql+psycopg://reader@replica.internal:5432/tt"
    app = create_app("production", env={**PROD_ENV, "DATABASE_REPLICA_URL": replica_url})
    options = app.config["SQLALCHEMY_BINDS"]["replica"]
    assert options["url"] == replica_url and options["connect_args"] == {"connect_timeout": 2}
    with app.app_context():
        from trusted_traveler.extensions import db

        engine = db.engines["replica"]
        assert engine.url.host == "replica.internal"
        assert engine.pool._pre_ping is True
        assert engine.hide_parameters is True
