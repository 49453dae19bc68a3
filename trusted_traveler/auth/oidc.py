"""OpenID Connect sign-in (CONTRACTS.md section 3), Login.gov profile, through Authlib's Flask client."""

from __future__ import annotations

import time
from pathlib import Path

from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from flask import Flask, current_app
from joserfc.jwk import RSAKey

CLIENT_NAME = "login"
ASSERTION_LIFETIME = 300  # seconds; Login.gov asks for about five minutes


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """private_key_jwt whose assertion expires after five minutes, with a fresh `jti` each time."""

    def sign(self, auth, token_endpoint):
        key = auth.client_secret if isinstance(auth.client_secret, RSAKey) else RSAKey.import_key(auth.client_secret)
        now = int(time.time())
        return private_key_jwt_sign(
            key,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg="RS256",
            issued_at=now,
            expires_at=now + ASSERTION_LIFETIME,
        )


class OIDCConfigError(RuntimeError):
    pass


def load_private_key(path: str | None) -> RSAKey:
    if not path:
        raise OIDCConfigError("OIDC_PRIVATE_KEY_FILE is required for private_key_jwt")
    try:
        key = RSAKey.import_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise OIDCConfigError(f"OIDC_PRIVATE_KEY_FILE {path!r} is not a readable PEM RSA key: {exc}") from exc
    if key.is_private is False:
        raise OIDCConfigError("OIDC_PRIVATE_KEY_FILE holds a public key; a private key is needed")
    if key.raw_value.key_size < 2048:
        raise OIDCConfigError("OIDC_PRIVATE_KEY_FILE must be an RSA key of at least 2048 bits")
    return key


def public_jwks(app: Flask) -> dict:
    path = app.config.get("OIDC_PRIVATE_KEY_FILE")
    if not path:
        return {"keys": []}
    key = load_private_key(path)
    jwk = key.as_dict(private=False)
    jwk.update({"kid": key.thumbprint(), "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def init_oidc(app: Flask) -> None:
    # One registry per app: Authlib caches clients by name, so a shared registry would leak one app's
    # client configuration into another.
    oauth = OAuth(app)
    app.extensions["tt_oidc"] = oauth
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return
    method = app.config["OIDC_CLIENT_AUTH_METHOD"]
    kwargs: dict = {
        "client_id": app.config["OIDC_CLIENT_ID"],
        "server_metadata_url": issuer.rstrip("/") + "/.well-known/openid-configuration",
        "client_kwargs": {"scope": app.config["OIDC_SCOPES"], "token_endpoint_auth_method": method},
    }
    if method == "private_key_jwt":
        kwargs["client_secret"] = load_private_key(app.config.get("OIDC_PRIVATE_KEY_FILE"))
        kwargs["client_auth_methods"] = [ShortLivedPrivateKeyJWT()]
    elif method == "client_secret_basic":
        if not app.config.get("OIDC_CLIENT_SECRET"):
            raise OIDCConfigError("OIDC_CLIENT_SECRET is required for client_secret_basic")
        kwargs["client_secret"] = app.config["OIDC_CLIENT_SECRET"]
    elif method == "none":
        kwargs["client_kwargs"]["code_challenge_method"] = "S256"
    else:
        raise OIDCConfigError(
            f"OIDC_CLIENT_AUTH_METHOD {method!r} is not one of private_key_jwt, client_secret_basic, none"
        )
    oauth.register(CLIENT_NAME, **kwargs)


def client():
    return current_app.extensions["tt_oidc"].create_client(CLIENT_NAME)


def verified_token() -> dict:
    """The callback's token, its ID token verified (CONTRACTS.md section 3): signature, `exp` and `nonce`, as
    Authlib always does, and `iss` and `aud`, which it checks only when told what to expect. Without this, an ID
    token the provider issued to another client (another agency's site) signed the bearer in here."""
    login = client()
    expected = {
        "iss": {"essential": True, "values": [login.load_server_metadata()["issuer"]]},
        "aud": {"essential": True, "values": [login.client_id]},
    }
    return login.authorize_access_token(claims_options=expected)
