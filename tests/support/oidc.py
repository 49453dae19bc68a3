"""Drive a real OpenID Connect provider (panva's ``oidc-provider``) on loopback.

The provider lives in ``tests/oidc_provider`` (``provider.mjs``); this module
installs it, starts it for a test, and plays the browser at the provider:

    with OIDCProvider([client_metadata, ...]) as op:
        op.issuer                    # "http://127.0.0.1:PORT"
        op.discovery()               # /.well-known/openid-configuration
        redirect = sign_in_at_provider(authorize_url, "alice@example.com")
        # redirect == "<redirect_uri>?code=...&state=...&iss=..."
        done = follow_logout(end_session_url)
        # done == "<post_logout_redirect_uri>?state=..."

Accounts: any login name signs in. ``sub`` is ``account_sub(login)`` (a uuid5
of the login), ``email`` is ``account_email(login)``, ``email_verified`` is
true. The ID token carries ``acr`` (``urn:acr.login.gov:auth-only``) when
``acr_values`` is requested, the ``nonce``, and the email claims.

Only the standard library, ``requests`` and ``cryptography`` are used.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc_provider"
PROVIDER_SCRIPT = PROVIDER_DIR / "provider.mjs"

#: Mirrors ACCOUNT_NAMESPACE in provider.mjs.
ACCOUNT_NAMESPACE = uuid.UUID("6f1c1a3e-2b9e-5d0c-9a57-1f0e4c2b7d10")
#: The only ACR the provider knows (Login.gov "auth-only").
ACR_AUTH_ONLY = "urn:acr.login.gov:auth-only"

MIN_NODE_MAJOR = 20
STARTUP_TIMEOUT = 20.0
HTTP_TIMEOUT = 10.0


# --------------------------------------------------------------------------- accounts


def account_sub(login: str) -> str:
    """The ``sub`` the provider issues for ``login`` (stable across runs and ports)."""
    return str(uuid.uuid5(ACCOUNT_NAMESPACE, login))


def account_email(login: str) -> str:
    """The ``email`` claim the provider issues for ``login``."""
    return login if "@" in login else f"{login}@example.com"


# --------------------------------------------------------------------------- node / npm


def _node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        return int(out.lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def node_available() -> bool:
    """True when ``node`` (>= 20) and ``npm`` are on PATH."""
    major = _node_major()
    return major is not None and major >= MIN_NODE_MAJOR and shutil.which("npm") is not None


def _installed() -> bool:
    return (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file()


def ensure_installed() -> None:
    """Run ``npm ci`` in tests/oidc_provider unless node_modules is already there.

    Safe to call from several processes at once (serialised by a file lock).
    """
    if _installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH; cannot install tests/oidc_provider")
    lock_path = Path(tempfile.gettempdir()) / "tt2-oidc-provider-npm.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _installed():
                return
            proc = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=PROVIDER_DIR,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if proc.returncode != 0 or not _installed():
                raise RuntimeError(
                    f"npm ci in {PROVIDER_DIR} failed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- provider process


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OIDCProvider:
    """Context manager running ``node provider.mjs`` on a free loopback port.

    ``clients`` is a list of oidc-provider client metadata dicts (JSON-able).
    """

    def __init__(
        self,
        clients: list[dict[str, Any]],
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.clients = clients
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.issuer: str | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._stdout: collections.deque[str] = collections.deque(maxlen=50)
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self._discovery: dict[str, Any] | None = None

    # -- lifecycle

    def __enter__(self) -> OIDCProvider:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        ensure_installed()
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probe and listen
            if self._start_once(node):
                return
            last_error = self.stderr_tail()
            self.stop()
        raise RuntimeError(f"OIDC provider did not start:\n{last_error}")

    def _start_once(self, node: str) -> bool:
        self.port = _free_port()
        self._ready.clear()
        self._stderr.clear()
        self._stdout.clear()
        env = dict(os.environ)
        env.update(
            OIDC_TEST_PORT=str(self.port),
            OIDC_TEST_CLIENTS=json.dumps(self.clients),
            NODE_ENV="test",
            # provider.mjs exits when this pipe closes, e.g. if pytest is killed
            OIDC_TEST_EXIT_ON_STDIN_EOF="1",
        )
        started = time.monotonic()
        self._proc = subprocess.Popen(
            [node, str(PROVIDER_SCRIPT)],
            cwd=PROVIDER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._threads = [
            threading.Thread(target=self._pump_stdout, args=(self._proc,), daemon=True),
            threading.Thread(target=self._pump_stderr, args=(self._proc,), daemon=True),
        ]
        for t in self._threads:
            t.start()
        deadline = started + self.startup_timeout
        while time.monotonic() < deadline:
            if self._ready.wait(0.05):
                self.startup_seconds = time.monotonic() - started
                self.issuer = f"http://127.0.0.1:{self.port}"
                return True
            if self._proc.poll() is not None:
                for t in self._threads:
                    t.join(timeout=2)
                if "EADDRINUSE" in self.stderr_tail():
                    return False
                raise RuntimeError(
                    f"OIDC provider exited with {self._proc.returncode} before READY:\n{self.stderr_tail()}"
                )
        tail = self.stderr_tail()
        self.stop()
        raise RuntimeError(f"OIDC provider not READY within {self.startup_timeout}s:\n{tail}")

    def _pump_stdout(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._stdout.append(line.rstrip("\n"))
            if line.startswith("READY "):
                self._ready.set()

    def _pump_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for t in self._threads:
            t.join(timeout=2)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stderr_tail(self, lines: int = 50) -> str:
        """The provider's last ``lines`` lines of stderr (errors it logged)."""
        return "\n".join(list(self._stderr)[-lines:])

    # -- metadata

    def discovery(self) -> dict[str, Any]:
        """The provider's ``/.well-known/openid-configuration`` (cached)."""
        if self._discovery is None:
            if self.issuer is None:
                raise RuntimeError("provider not started")
            resp = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
            resp.raise_for_status()
            self._discovery = resp.json()
        return self._discovery

    def jwks(self) -> dict[str, Any]:
        resp = requests.get(self.discovery()["jwks_uri"], timeout=HTTP_TIMEOUT)
        resp.raise_for_status()
        return resp.json()


# --------------------------------------------------------------------------- keys


def _b64u_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def generate_rsa_key() -> tuple[bytes, dict[str, str]]:
    """A fresh 2048-bit RSA key: (PKCS#8 PEM private key, public JWK).

    The JWK has ``kid`` (its RFC 7638 thumbprint), ``alg`` RS256 and ``use`` sig,
    ready for a client's inline ``jwks: {"keys": [jwk]}``.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    numbers = key.public_key().public_numbers()
    e, n = _b64u_uint(numbers.e), _b64u_uint(numbers.n)
    thumbprint_input = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"))
    kid = base64.urlsafe_b64encode(hashlib.sha256(thumbprint_input.encode()).digest()).rstrip(b"=").decode("ascii")
    return pem, {"kty": "RSA", "n": n, "e": e, "kid": kid, "alg": "RS256", "use": "sig"}


# --------------------------------------------------------------------------- browser


class _Form:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.id = attrs.get("id")
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.fields: list[tuple[str, str, str]] = []  # (name, value, type)


class _FormParser(HTMLParser):
    """Collects forms and their inputs (also inputs tied to a form by ``form=id``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._current: _Form | None = None
        self._detached: list[tuple[str, tuple[str, str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._current = _Form(a)
            self.forms.append(self._current)
        elif tag in ("input", "button", "textarea", "select") and a.get("name"):
            kind = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
            field = (a["name"] or "", a.get("value") or "", kind)
            owner = a.get("form")
            if owner:
                self._detached.append((owner, field))
            elif self._current is not None:
                self._current.fields.append(field)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None

    def close(self) -> None:
        super().close()
        by_id = {f.id: f for f in self.forms if f.id}
        for owner, field in self._detached:
            if owner in by_id:
                by_id[owner].fields.append(field)


def _forms(html: str) -> list[_Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _describe(resp: requests.Response) -> str:
    body = resp.text
    if len(body) > 4000:
        body = body[:4000] + "\n...[truncated]"
    return f"HTTP {resp.status_code} {resp.request.method} {resp.url}\n{body}"


class _ProviderBrowser:
    def __init__(self, start_url: str, session: requests.Session | None, max_steps: int):
        self.origin = _origin(start_url)
        self.session = session or requests.Session()
        self.max_steps = max_steps

    def on_provider(self, url: str) -> bool:
        return _origin(url) == self.origin

    def request(self, method: str, url: str, data: dict[str, str] | None = None) -> requests.Response:
        return self.session.request(method, url, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)

    def run(self, url: str, on_page) -> str:
        """GET ``url``; follow provider redirects; ``on_page(resp, forms)`` handles
        200 HTML pages by returning (method, url, data) for the next request.
        Returns the first redirect Location that leaves the provider."""
        resp = self.request("GET", url)
        for _ in range(self.max_steps):
            if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                location = resp.headers.get("Location")
                if not location:
                    raise AssertionError(f"redirect without Location:\n{_describe(resp)}")
                target = urljoin(resp.url, location)
                if not self.on_provider(target):
                    return target
                resp = self.request("GET", target)
                continue
            if resp.status_code == 200 and "html" in resp.headers.get("Content-Type", ""):
                method, target, data = on_page(resp, _forms(resp.text))
                resp = self.request(method, target, data)
                continue
            raise AssertionError(f"OIDC provider returned an error:\n{_describe(resp)}")
        raise AssertionError(f"too many steps at the OIDC provider; last:\n{_describe(resp)}")

    def submit(self, resp: requests.Response, form: _Form, extra: dict[str, str] | None = None):
        target = urljoin(resp.url, form.action) if form.action else resp.url
        if not self.on_provider(target):
            raise AssertionError(
                "the provider answered with a form posting off the provider "
                f"(response_mode=form_post?) to {target}:\n{_describe(resp)}"
            )
        data = {name: value for name, value, kind in form.fields if kind not in ("submit", "button", "reset", "image")}
        data.update(extra or {})
        return form.method.upper() if form.method == "post" else "GET", target, data


def sign_in_at_provider(
    authorize_url: str,
    login: str,
    *,
    session: requests.Session | None = None,
    max_steps: int = 20,
) -> str:
    """Play the user at the provider: open ``authorize_url``, sign in as ``login``
    (which also grants consent), and return the first redirect Location that
    leaves the provider -- normally ``<redirect_uri>?code=...&state=...&iss=...``,
    or ``<redirect_uri>?error=...`` when the provider rejects the request after
    validating the redirect_uri.

    Pass the same ``session`` to keep the provider's session cookie (needed for
    a later :func:`follow_logout` to really end that session). Raises
    AssertionError, with the provider's page, when the provider shows an error.
    """
    browser = _ProviderBrowser(authorize_url, session, max_steps)
    posted_login = False

    def on_page(resp: requests.Response, forms: list[_Form]):
        nonlocal posted_login
        for form in forms:
            if any(name == "login" for name, _, _ in form.fields):
                if posted_login:
                    raise AssertionError(f"the provider asked for the login again:\n{_describe(resp)}")
                posted_login = True
                return browser.submit(resp, form, {"login": login})
        if len(forms) == 1 and forms[0].method == "post":
            # auto-submitting form, e.g. the provider logging out the previous
            # account before switching to a different one
            return browser.submit(resp, forms[0])
        raise AssertionError(f"unexpected page at the OIDC provider:\n{_describe(resp)}")

    return browser.run(authorize_url, on_page)


def follow_logout(
    end_session_url: str,
    *,
    session: requests.Session | None = None,
    max_steps: int = 10,
) -> str:
    """Open an RP-initiated logout URL, confirm the logout (``logout=yes``) and
    return where the provider sends the browser afterwards: the
    ``post_logout_redirect_uri`` (with ``state`` if one was given). Without a
    registered post_logout_redirect_uri the provider's own "signed out" page
    URL is returned instead.

    Pass the ``session`` used for :func:`sign_in_at_provider` to end that
    provider session; without it the provider sees no signed-in user and skips
    straight to the redirect.
    """
    browser = _ProviderBrowser(end_session_url, session, max_steps)
    signed_out_page: list[str] = []

    def on_page(resp: requests.Response, forms: list[_Form]):
        post_forms = [f for f in forms if f.method == "post"]
        if len(post_forms) == 1:
            return browser.submit(resp, post_forms[0], {"logout": "yes"})
        if not forms and urlsplit(resp.url).path.endswith("/session/end/success"):
            signed_out_page.append(resp.url)
            raise _SignedOut
        raise AssertionError(f"unexpected page at the OIDC provider:\n{_describe(resp)}")

    try:
        return browser.run(end_session_url, on_page)
    except _SignedOut:
        return signed_out_page[0]


class _SignedOut(Exception):
    pass


__all__ = [
    "ACCOUNT_NAMESPACE",
    "ACR_AUTH_ONLY",
    "PROVIDER_DIR",
    "OIDCProvider",
    "account_email",
    "account_sub",
    "ensure_installed",
    "follow_logout",
    "generate_rsa_key",
    "node_available",
    "sign_in_at_provider",
]
