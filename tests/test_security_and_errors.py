"""Security headers, CSRF, error pages in the service's own style, JSON errors under /api, and /healthz."""

import json
import logging

import pytest
from cryptography.fernet import Fernet

from trusted_traveler import create_app


def test_every_page_sends_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_pages_have_no_inline_script(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html
    assert " onclick=" not in html


def test_production_sends_hsts(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
        "SECRET_KEY": "s" * 32,
        "DOCUMENT_KEYS": Fernet.generate_key().decode(),
    }
    response = create_app("production", env=env).test_client().get("/auth/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.csrf
def test_a_form_post_without_its_csrf_token_is_refused_with_a_clear_page(client):
    response = client.post("/auth/dev", data={"email": "someone@example.com"})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite_lax(client):
    client.post("/auth/dev", data={"email": "cookie@example.com"})
    cookie = client.get_cookie("tt_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("get", "/no-such-page", 404, "Page not found"),
        ("post", "/", 405, "That action is not allowed here"),
    ],
)
def test_error_pages_use_the_service_layout(client, method, path, status, title):
    response = getattr(client, method)(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert title in html
    assert "usa-banner" in html and "usa-identifier" in html


def test_errors_under_api_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["errors"][0]["message"]


def test_an_unexpected_error_is_a_friendly_500_without_a_stack_trace(app, client):
    def boom():
        raise RuntimeError("secret internals")

    fresh = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    from trusted_traveler.auth.policy import public

    fresh.add_url_rule("/boom", "boom", public(boom))
    response = fresh.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_a_failed_statement_still_gets_the_friendly_500_page_for_a_signed_in_person(app, capfd):
    """The page reads the database (the header's notice count): the failed transaction is rolled back first. The
    error is logged with its SQL but not the values it carried (they may be personal data)."""
    from tests.factories import create_account, sign_in
    from trusted_traveler.auth.policy import signed_in
    from trusted_traveler.extensions import db
    from trusted_traveler.programs.models import Program

    def fails():
        db.session.add(Program(code="precheck", name="Maria Hidalgo-Secret", agency="TSA"))  # the code is unique
        db.session.flush()  # IntegrityError: the session can do nothing more until it is rolled back
        return "unreachable"

    fresh = create_app(
        "test",
        overrides={"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "WTF_CSRF_ENABLED": False},
    )
    fresh.add_url_rule("/fails", "fails", signed_in(fails))
    with fresh.app_context():
        create_account("failing@example.com")
        db.session.commit()
    client = fresh.test_client()
    sign_in(client, "failing@example.com")
    response = client.get("/fails")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "failing@example.com" in html  # the signed-in layout
    logged = capfd.readouterr().err
    assert "INSERT INTO programs" in logged and "Maria Hidalgo-Secret" not in logged


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        "test",
        overrides={"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"},
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_logs_are_json_with_a_request_id(client, caplog):
    handler_records = []

    class Capture(logging.Handler):
        def emit(self, record):
            handler_records.append(self.format(record))

    from trusted_traveler.observability import JSONFormatter

    capture = Capture()
    capture.setFormatter(JSONFormatter())
    logger = logging.getLogger("trusted_traveler.access")
    logger.addHandler(capture)
    try:
        response = client.get("/healthz", headers={"X-Request-ID": "req-1234567890"})
    finally:
        logger.removeHandler(capture)
    assert response.headers["X-Request-ID"] == "req-1234567890"
    entries = [json.loads(line) for line in handler_records]
    assert any(e["request_id"] == "req-1234567890" and e["path"] == "/healthz" and e["status"] == 200 for e in entries)


def test_forbidden_page_uses_the_service_layout(app, client):
    from tests.factories import create_account, sign_in
    from trusted_traveler.extensions import db

    with app.app_context():
        create_account("nosy@example.com")
        db.session.commit()
    sign_in(client, "nosy@example.com")
    response = client.get("/admin/roles")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


def test_too_many_sign_in_attempts_get_429_with_retry_after(rate_limited_app):
    client = rate_limited_app.test_client()
    statuses = [client.post("/auth/dev", data={"email": "not-valid"}).status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30
    response = client.post("/auth/dev", data={"email": "not-valid"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many requests" in response.get_data(as_text=True)
