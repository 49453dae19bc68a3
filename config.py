"""Configuration by environment: development (default), test and production.

`TT_CONFIG` picks the class. Each class reads the environment when it is instantiated (at app creation), so
the same process can build differently configured apps (the tests do).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
# The service's day is the program's (a U.S. federal one), not the server's UTC date: trusted_traveler.db.service_today
DEFAULT_SERVICE_TIMEZONE = "America/New_York"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(env: Mapping[str, str], name: str) -> int:
    """A whole number of 0 or more; unset or empty is 0."""
    value = (env.get(name) or "").strip()
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(f"{name} must be a whole number, 0 or more (got {value!r})")
    return int(value)


class BaseConfig:
    NAME = "base"
    # hide_parameters: a failed statement's error (and so the log) names the SQL, never the values: no personal data.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    DEV_SIGN_IN = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "tt_session"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "es")
    API_TITLE = "Trusted Traveler 2.0 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    HSTS = False
    LOG_JSON = True

    def __init__(self, env: Mapping[str, str] | None = None):
        env = os.environ if env is None else env
        self.SECRET_KEY = env.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = (
            env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'trusted_traveler.sqlite'}"
        )
        # A PostgreSQL read replica for the reads that tolerate a moment's lag (officer queues, workload, the
        # dashboard and typical-times figures): trusted_traveler/replica.py. Unset, they read DATABASE_URL.
        replica_url = env.get("DATABASE_REPLICA_URL")
        # (its engine gets SQLALCHEMY_ENGINE_OPTIONS too, and a short connect timeout: replica.engine_options)
        self.SQLALCHEMY_BINDS = {"replica": replica_url} if replica_url else {}
        self.REPLICA_DELAY_SECONDS = 2.0  # after a person's write, their reads stay on the primary this long
        self.REPLICA_RETRY_SECONDS = 30.0  # after the replica could not be reached, its reads go to the primary
        self.BASE_URL = env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Document numbers are encrypted at rest: comma-separated Fernet keys, newest first. Rotate by putting a
        # new key first and running `flask rotate-document-keys`, then dropping the old key.
        self.DOCUMENT_KEYS = env.get("DOCUMENT_KEYS", "")
        # OpenID Connect (CONTRACTS.md section 3)
        self.OIDC_ISSUER = env.get("OIDC_ISSUER") or None
        self.OIDC_CLIENT_ID = env.get("OIDC_CLIENT_ID")
        self.OIDC_CLIENT_AUTH_METHOD = env.get("OIDC_CLIENT_AUTH_METHOD", "private_key_jwt")
        self.OIDC_PRIVATE_KEY_FILE = env.get("OIDC_PRIVATE_KEY_FILE")
        self.OIDC_CLIENT_SECRET = env.get("OIDC_CLIENT_SECRET")
        self.OIDC_ACR_VALUES = env.get("OIDC_ACR_VALUES", "urn:acr.login.gov:auth-only")
        self.OIDC_SCOPES = env.get("OIDC_SCOPES", "openid email")
        # Mail (outbox worker)
        self.MAIL_SERVER = env.get("MAIL_SERVER", "127.0.0.1")
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _bool(env, "MAIL_USE_TLS")
        self.MAIL_SENDER = env.get("MAIL_SENDER", "Trusted Traveler <no-reply@trustedtraveler.example.gov>")
        # The vetting sandbox answers like an agency that is down (VettingUnavailable): cases wait in vetting and
        # the worker asks again each minute (casework.decisions.retry_vetting). For demonstrations and tests.
        self.VETTING_SANDBOX_OUTAGE = _bool(env, "VETTING_SANDBOX_OUTAGE")
        self.RATELIMIT_STORAGE_URI = env.get("REDIS_URL", "memory://")
        # How many proxies in front of the app append to X-Forwarded-For and set X-Forwarded-Proto (werkzeug's
        # ProxyFix, wired in create_app): rate limits and the audit log then see the traveler's address. 0 (the
        # default) ignores those headers, which anyone can forge when no proxy stands in front.
        self.TRUSTED_PROXY_HOPS = _count(env, "TRUSTED_PROXY_HOPS")
        # The zone whose calendar date is the service's "today": which rules and fees are in force, when a request
        # is overdue, what the daily jobs do (trusted_traveler.db.service_today). create_app checks the name.
        self.SERVICE_TIMEZONE = (env.get("SERVICE_TIMEZONE") or "").strip() or DEFAULT_SERVICE_TIMEZONE
        # How many days a survey invitation stays open after it is offered (feedback.service; unset or 0: 30).
        self.SURVEY_INVITATION_DAYS = _count(env, "SURVEY_INVITATION_DAYS") or 30
        # The booking window: how many weeks ahead travelers can book, from the service's today. `flask seed`,
        # `flask generate-slots` and the worker open slots that far, and a change of a center's hours, closures or
        # details re-plans its slots that far (scheduling.slots.booking_window_end; unset or 0: 8).
        self.BOOKING_WINDOW_WEEKS = _count(env, "BOOKING_WINDOW_WEEKS") or 8
        self._env = env

    def check(self) -> None:
        """Refuse configurations that cannot be run safely."""


class DevelopmentConfig(BaseConfig):
    NAME = "development"
    DEV_SIGN_IN = True
    LOG_JSON = False

    def __init__(self, env=None):
        super().__init__(env)
        self.SECRET_KEY = self.SECRET_KEY or "dev-only-not-secret"
        # A fixed development key; production requires DOCUMENT_KEYS to be set.
        self.DOCUMENT_KEYS = self.DOCUMENT_KEYS or "ZGV2LW9ubHktZG9jdW1lbnQta2V5LW5vdC1zZWNyZXQ="
        self.LOG_JSON = _bool(self._env, "LOG_JSON", False)


class TestConfig(BaseConfig):
    NAME = "test"
    TESTING = True
    DEV_SIGN_IN = True
    RATELIMIT_ENABLED = False

    def __init__(self, env=None):
        super().__init__(env)
        self.SECRET_KEY = "test-not-secret"  # noqa: S105 - tests only
        self.SQLALCHEMY_DATABASE_URI = self._env.get("TEST_DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'test.sqlite'}"
        self.DOCUMENT_KEYS = "dGVzdC1vbmx5LWRvY3VtZW50LWtleS1ub3Qtc2VjcnQ="
        self.SQLALCHEMY_BINDS = {}  # a test that wants a replica names one (tests/test_replica.py)
        # the test client's own address, unless a test names one (a live server sets its own)
        self.BASE_URL = self._env.get("BASE_URL", "http://localhost").rstrip("/")


class ProductionConfig(BaseConfig):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True

    def __init__(self, env=None):
        super().__init__(env)
        self.DEV_SIGN_IN = _bool(self._env, "DEV_SIGN_IN")
        # CONTRACTS.md section 4: only SECRET_KEY is required. Without DOCUMENT_KEYS, document numbers are encrypted
        # with a key derived from SECRET_KEY; with them, that key stays last in the ring (decrypting only, as
        # MultiFernet encrypts with the first), so setting DOCUMENT_KEYS later and running `flask
        # rotate-document-keys` moves every stored number to the new key. create_app logs a warning for each default.
        self.DEFAULTED = [name for name in ("DATABASE_URL", "DOCUMENT_KEYS") if not self._env.get(name)]
        if self.SECRET_KEY:
            derived = derived_document_key(self.SECRET_KEY)
            self.DOCUMENT_KEYS = ",".join(k for k in (self.DOCUMENT_KEYS, derived) if k)

    def check(self) -> None:
        if not self._env.get("SECRET_KEY"):
            raise ConfigError("the production configuration needs SECRET_KEY set in the environment")
        if self.DEV_SIGN_IN:
            raise ConfigError("the development sign-in cannot be enabled in production: unset DEV_SIGN_IN")
        if _bool(self._env, "FLASK_DEBUG"):
            raise ConfigError("debug mode is never allowed in production: unset FLASK_DEBUG")


def derived_document_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY (HKDF-SHA256, its own purpose string): the document key of a production
    configuration given no DOCUMENT_KEYS."""
    from base64 import urlsafe_b64encode

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"trusted-traveler document keys v1")
    return urlsafe_b64encode(hkdf.derive(secret_key.encode())).decode()


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
