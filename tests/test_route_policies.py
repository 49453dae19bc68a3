"""Every route declares who may use it; a route without a policy is refused to everyone."""

from flask import Flask

from tests.factories import create_account, sign_in
from trusted_traveler import create_app
from trusted_traveler.auth.policy import policy_of
from trusted_traveler.extensions import db


def test_every_route_declares_an_access_policy(app):
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules() if policy_of(app, rule.endpoint) is None)
    assert not missing, (
        f"These endpoints have no access policy: {missing}. Decorate each view with @public, @signed_in or "
        "@require(Permission.X) from trusted_traveler.auth.policy."
    )


def test_a_route_without_a_policy_is_refused_even_to_an_administrator(database_url, app):
    fresh: Flask = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    fresh.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    client = fresh.test_client()
    assert client.get("/forgotten").status_code == 403
    with fresh.app_context():
        create_account("root@example.com", roles=("admin",))
        db.session.commit()
    fresh.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, "root@example.com")
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_officer_pages_need_the_officer_role(client):
    with client.application.app_context():
        create_account("plain@example.com")
        db.session.commit()
    sign_in(client, "plain@example.com")
    assert client.get("/officer/").status_code == 403
    assert client.get("/admin/roles").status_code == 403


def test_signed_out_person_is_sent_to_sign_in(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in?next=/dashboard")


def test_signed_out_api_caller_gets_json_401(client):
    response = client.get("/officer/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["errors"][0]["message"]
