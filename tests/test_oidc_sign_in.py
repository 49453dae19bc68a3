"""Sign-in with OpenID Connect (CONTRACTS.md section 3), end to end against a real certified provider
(npm `oidc-provider`) started on loopback: private_key_jwt (Login.gov), PKCE and client_secret_basic."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import select

from tests.support.oidc import (
    ACR_AUTH_ONLY,
    OIDCProvider,
    account_sub,
    follow_logout,
    generate_rsa_key,
    node_available,
    sign_in_at_provider,
)
from trusted_traveler import create_app
from trusted_traveler.auth.models import Account
from trusted_traveler.extensions import db

BASE_URL = "http://127.0.0.1:5999"  # the app's public origin; the test client stands in for the browser
CLIENT_SECRET = "a-client-secret-of-forty-characters-long!"


@pytest.fixture(scope="module")
def rp_key(tmp_path_factory):
    private_pem, _ = generate_rsa_key()
    path = tmp_path_factory.mktemp("oidc") / "rp.pem"
    path.write_bytes(private_pem)
    return path


@pytest.fixture(scope="module")
def provider(rp_key):
    if not node_available():
        pytest.skip("Node.js 20+ is needed to run the test OpenID Connect provider (see README.md)")
    # The provider is registered with the JWKS the app itself publishes at /auth/jwks.json.
    jwks_app = create_app("test", env={"OIDC_PRIVATE_KEY_FILE": str(rp_key)})
    published = jwks_app.test_client().get("/auth/jwks.json").get_json()
    common = {
        "redirect_uris": [f"{BASE_URL}/auth/callback"],
        "post_logout_redirect_uris": [f"{BASE_URL}/auth/signed-out"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "id_token_signed_response_alg": "RS256",
    }
    clients = [
        {
            "client_id": "tt-pkjwt",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks": published,
            **common,
        },
        {"client_id": "tt-pkce", "token_endpoint_auth_method": "none", **common},
        {
            "client_id": "tt-basic",
            "client_secret": CLIENT_SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
            **common,
        },
    ]
    with OIDCProvider(clients) as op:
        yield op


def make_rp(database_url, provider, method, rp_key):
    client_id = {"private_key_jwt": "tt-pkjwt", "none": "tt-pkce", "client_secret_basic": "tt-basic"}[method]
    env = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_AUTH_METHOD": method,
        "OIDC_PRIVATE_KEY_FILE": str(rp_key),
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "BASE_URL": BASE_URL,
    }
    return create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False}, env=env)


def sign_in_through_provider(client, login, browser=None):
    start = client.get("/auth/login?next=/apply")
    assert start.status_code == 302
    authorize_url = start.headers["Location"]
    callback = sign_in_at_provider(authorize_url, login, session=browser)
    parts = urlsplit(callback)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL and parts.path == "/auth/callback", callback
    return authorize_url, client.get(f"{parts.path}?{parts.query}")


@pytest.mark.parametrize("method", ["private_key_jwt", "none", "client_secret_basic"])
def test_a_traveler_signs_in_with_each_client_authentication_method(database_url, provider, rp_key, method):
    app = make_rp(database_url, provider, method, rp_key)
    client = app.test_client()
    authorize_url, response = sign_in_through_provider(client, f"{method}.person@example.com")

    query = parse_qs(urlsplit(authorize_url).query)
    assert query["prompt"] == ["select_account"]
    assert query["acr_values"] == [ACR_AUTH_ONLY]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{BASE_URL}/auth/callback"]
    assert "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 22 and len(query["nonce"][0]) >= 22
    if method == "none":
        assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]

    assert response.status_code == 302 and response.headers["Location"] == "/apply"
    assert f"{method}.person@example.com".lower() in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        account = db.session.scalar(
            select(Account).where(Account.subject == account_sub(f"{method}.person@example.com"))
        )
        assert account.issuer == provider.issuer
        assert account.email == f"{method}.person@example.com".lower()
        assert account.roles == {"traveler"}


def test_a_spanish_browser_is_sent_to_the_provider_in_spanish_and_its_account_is_spanish(
    database_url, provider, rp_key
):
    app = make_rp(database_url, provider, "private_key_jwt", rp_key)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-US,es;q=0.9"
    authorize_url, response = sign_in_through_provider(client, "lucia.oidc@example.com")
    assert parse_qs(urlsplit(authorize_url).query)["locale"] == ["es"]
    assert response.status_code == 302
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.subject == account_sub("lucia.oidc@example.com")))
        assert account.preferred_language == "es"


def test_signing_in_again_finds_the_same_account(database_url, provider, rp_key):
    app = make_rp(database_url, provider, "private_key_jwt", rp_key)
    sign_in_through_provider(app.test_client(), "returning@example.com")
    sign_in_through_provider(app.test_client(), "returning@example.com")
    with app.app_context():
        accounts = db.session.scalars(select(Account).where(Account.email == "returning@example.com")).all()
        assert len(accounts) == 1


def test_an_address_too_long_to_write_to_is_refused_with_what_to_do(database_url, provider, rp_key):
    """Login.gov may hold an address longer than mail allows (254 characters): the traveler is told to change it
    there, and no account is made that could never be written to."""
    app = make_rp(database_url, provider, "private_key_jwt", rp_key)
    client = app.test_client()
    login = "a" * 250 + "@example.com"
    _, response = sign_in_through_provider(client, login)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "longer than 254 characters" in html and "Change the e-mail address on your Login.gov account" in html
    assert client.get("/dashboard").status_code == 302  # not signed in
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.subject == account_sub(login))) is None
    _, response = sign_in_through_provider(client, "a" * 242 + "@example.com")  # 254 exactly: welcome
    assert response.status_code == 302


def test_a_callback_with_a_state_we_did_not_issue_is_refused(database_url, provider, rp_key):
    app = make_rp(database_url, provider, "private_key_jwt", rp_key)
    client = app.test_client()
    start = client.get("/auth/login")
    callback = sign_in_at_provider(start.headers["Location"], "mallory@example.com")
    parts = urlsplit(callback)
    forged = parts.query.replace("state=", "state=x")
    response = client.get(f"{parts.path}?{forged}")
    assert response.status_code == 400
    assert "We could not sign you in" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # not signed in


def test_a_code_cannot_be_replayed_into_another_browser(database_url, provider, rp_key):
    app = make_rp(database_url, provider, "private_key_jwt", rp_key)
    _, response = sign_in_through_provider(app.test_client(), "victim@example.com")
    assert response.status_code == 302
    victim = app.test_client()
    # A different browser (no state in its session) presenting someone's callback URL gets nowhere.
    attacker = app.test_client()
    callback = sign_in_at_provider(victim.get("/auth/login").headers["Location"], "victim@example.com")
    parts = urlsplit(callback)
    assert attacker.get(f"{parts.path}?{parts.query}").status_code == 400


def test_sign_out_ends_the_provider_session_too(database_url, provider, rp_key):
    app = make_rp(database_url, provider, "private_key_jwt", rp_key)
    client = app.test_client()
    browser = requests.Session()
    sign_in_through_provider(client, "goodbye@example.com", browser)
    response = client.post("/auth/logout")
    end_session = response.headers["Location"]
    assert end_session.startswith(provider.discovery()["end_session_endpoint"])
    query = parse_qs(urlsplit(end_session).query)
    assert query["client_id"] == ["tt-pkjwt"]
    assert query["post_logout_redirect_uri"] == [f"{BASE_URL}/auth/signed-out"]
    landed = follow_logout(end_session, session=browser)
    assert landed.startswith(f"{BASE_URL}/auth/signed-out")
    assert client.get("/dashboard").status_code == 302


def test_the_jwks_serves_the_public_half_of_the_signing_key(rp_key):
    app = create_app("test", env={"OIDC_PRIVATE_KEY_FILE": str(rp_key)})
    (jwk,) = app.test_client().get("/auth/jwks.json").get_json()["keys"]
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert "d" not in jwk and "p" not in jwk
    assert jwk["kid"] == RSAKey.import_key(rp_key.read_bytes()).thumbprint()


def test_login_without_a_configured_provider_is_not_found(client):
    assert client.get("/auth/login").status_code == 404
    assert "not set up on this server" in client.get("/auth/sign-in").get_data(as_text=True)


class _ProviderAnswering:
    """A provider whose ID token names `sub` with no e-mail (as Login.gov's) and whose userinfo endpoint answers
    `info`: the one step a real provider cannot be made to get wrong."""

    client_id = "tt-client"

    def __init__(self, sub, info):
        self.sub, self.info = sub, info

    def load_server_metadata(self):
        return {"issuer": "https://idp.example.gov"}

    def authorize_access_token(self, claims_options):
        return {"userinfo": {"iss": "https://idp.example.gov", "sub": self.sub}}

    def userinfo(self, token):
        return self.info


@pytest.mark.parametrize(
    ("info", "signed_in"),
    [
        ({"sub": "person-1", "email": "Person.One@example.com"}, True),
        ({"sub": "person-2", "email": "someone.else@example.com"}, False),  # OIDC Core 5.3.2
        ({"email": "no.subject@example.com"}, False),
    ],
)
def test_the_userinfo_answer_counts_only_for_the_subject_of_the_id_token(app, monkeypatch, info, signed_in):
    from trusted_traveler.auth import oidc

    app.config["OIDC_ISSUER"] = "https://idp.example.gov"
    monkeypatch.setattr(oidc, "client", lambda: _ProviderAnswering("person-1", info))
    answer = app.test_client().get("/auth/callback?code=c&state=s")
    assert answer.status_code == (302 if signed_in else 400)
    with app.app_context():
        emails = db.session.scalars(select(Account.email).where(Account.subject.in_(("person-1", "person-2")))).all()
    assert emails == (["person.one@example.com"] if signed_in else [])


ISSUER = "https://idp.example.gov"


@pytest.mark.parametrize(
    ("audience", "issuer", "signed_in"),
    [
        ("tt-client", ISSUER, True),
        (["tt-client", "another-agency"], ISSUER, True),  # several audiences, ours among them (azp names us)
        ("another-agency", ISSUER, False),  # issued to another client: not a sign-in here
        (["another-agency", "someone-else"], ISSUER, False),
        ("tt-client", "https://impostor.example.com", False),
    ],
)
def test_an_id_token_is_accepted_only_from_our_provider_and_for_us(
    database_url, monkeypatch, audience, issuer, signed_in
):
    """CONTRACTS.md section 3: the ID token's `aud` and `iss` are verified, besides its signature, `exp` and
    `nonce`. The provider here is a stand-in whose token endpoint hands back an ID token it signed: a real provider
    cannot be made to issue a token for one client to another, which is what an attacker replays."""
    import time

    from authlib.integrations.flask_client.apps import FlaskOAuth2App
    from joserfc import jwt

    key = RSAKey.generate_key(2048, parameters={"kid": "provider-key"})
    metadata = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    app = create_app(
        "test",
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False},
        env={"OIDC_ISSUER": ISSUER, "OIDC_CLIENT_ID": "tt-client", "OIDC_CLIENT_AUTH_METHOD": "none"},
    )
    client = app.test_client()
    monkeypatch.setattr(FlaskOAuth2App, "load_server_metadata", lambda self: metadata)
    monkeypatch.setattr(
        FlaskOAuth2App, "fetch_jwk_set", lambda self, force=False: {"keys": [key.as_dict(private=False)]}
    )
    authorize = parse_qs(urlsplit(client.get("/auth/login").headers["Location"]).query)
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "replayed-person",
        "aud": audience,
        "azp": "tt-client",
        "exp": now + 300,
        "iat": now,
        "nonce": authorize["nonce"][0],
        "email": "replayed@example.com",
    }
    id_token = jwt.encode({"alg": "RS256", "kid": "provider-key"}, claims, key)
    monkeypatch.setattr(
        FlaskOAuth2App,
        "fetch_access_token",
        lambda self, **params: {"access_token": "at", "token_type": "Bearer", "id_token": id_token},
    )

    answer = client.get(f"/auth/callback?code=c&state={authorize['state'][0]}")
    assert answer.status_code == (302 if signed_in else 400)
    with app.app_context():
        accounts = db.session.scalars(select(Account.email).where(Account.subject == "replayed-person")).all()
    assert accounts == (["replayed@example.com"] if signed_in else [])
