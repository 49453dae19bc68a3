"""Session rules for staff: signed out after 30 minutes idle or 12 hours in all, and a recent sign-in (15 minutes)
before a decision on a case. Travelers keep the normal session lifetime (PERMANENT_SESSION_LIFETIME).

Every sign-in (Login.gov or the development sign-in) goes through flask_login.login_user, whose `user_logged_in`
signal stamps the session; `enforce_session_rules` runs before every request (registered ahead of the route
policy). The limits are settings: STAFF_IDLE_MINUTES, STAFF_MAX_HOURS, DECISION_SIGN_IN_MINUTES.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user, user_logged_in
from werkzeug.datastructures import MultiDict

from trusted_traveler.db import to_micros
from trusted_traveler.errors import error_response, wants_json

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
ACCOUNT_MADE = "account_made"  # when the signed-in account was made, in microseconds: which account the id names
DEFAULTS = {"STAFF_IDLE_MINUTES": 30, "STAFF_MAX_HOURS": 12, "DECISION_SIGN_IN_MINUTES": 15}


def _setting(name: str) -> float:
    return float(current_app.config.get(name, DEFAULTS[name]))


def _now() -> float:
    return time.time()


STAFF = "staff"


def _stamp_sign_in(sender, user, **extra) -> None:
    session[SIGNED_IN_AT] = session[LAST_SEEN] = _now()
    # Whether the rules apply is decided at sign-in, so no request has to load the account to enforce them (a role
    # granted during a session applies from the next sign-in; the route policy checks permissions on every request).
    session[STAFF] = bool(user.is_staff)
    session[ACCOUNT_MADE] = to_micros(user.created_at)


def signed_in_to(account) -> bool:
    """Whether this session was signed in to `account`, not to an account deleted before it that had its id (SQLite
    gives the largest id out again: privacy.deletion). A session from before this was stamped is taken as it is."""
    made = session.get(ACCOUNT_MADE)
    return made is None or made == to_micros(account.created_at)


def signed_in_at() -> float | None:
    return session.get(SIGNED_IN_AT)


def expired_reason(now: float | None = None) -> str | None:
    """Why this staff session must end now, or None while it may go on (and for every traveler)."""
    if "_user_id" not in session or not session.get(STAFF):  # nobody signed in, or a traveler
        return None
    now = _now() if now is None else now
    started = session.get(SIGNED_IN_AT)
    seen = session.get(LAST_SEEN, started)
    if started is None or seen is None:
        return "You need to sign in again."
    if now - started > _setting("STAFF_MAX_HOURS") * 3600:
        return "You have been signed in for 12 hours, the most a staff session lasts. Sign in again to carry on."
    if now - seen > _setting("STAFF_IDLE_MINUTES") * 60:
        return "You were signed out after 30 minutes without activity. Sign in again to carry on."
    return None


def signed_in_recently() -> bool:
    """True when the person signed in within DECISION_SIGN_IN_MINUTES (staff decisions need it)."""
    started = session.get(SIGNED_IN_AT)
    return started is not None and _now() - started <= _setting("DECISION_SIGN_IN_MINUTES") * 60


def enforce_session_rules():
    reason = expired_reason()
    if reason is None:
        if "_user_id" in session:
            session[LAST_SEEN] = _now()
        return None
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    if wants_json():
        return error_response(401, reason, code="session_expired")
    flash(reason, "info")
    # after signing in again, a page that was being read is shown again; a form post goes back to where it came from
    target = request.path if request.method in ("GET", "HEAD") else (request.referrer or "")
    return redirect(url_for("auth.sign_in", next=_same_site(target) or None))


def _same_site(target: str) -> str:
    host = request.host_url.rstrip("/")
    if target.startswith(host):
        target = target[len(host) :]
    return target if target.startswith("/") and not target.startswith("//") else ""


def register_session_rules(app: Flask) -> None:
    app.session_interface = SessionInterface()
    user_logged_in.connect(_stamp_sign_in, app)
    app.before_request(enforce_session_rules)


# --- A decision waiting for a fresh sign-in ----------------------------------------------------------------------

PENDING_ACTION = "pending_action"


def keep_pending_action(reference: str, form_name: str, formdata, action: str | None = None) -> None:
    """Keep what the officer typed (never the CSRF token) through the sign-in, for this account and case only, with
    the decision it was for when several decisions share one form (approve, conditionally approve, reopen...)."""
    data = [(key, value) for key, value in formdata.items(multi=True) if key != "csrf_token"]
    session[PENDING_ACTION] = {
        "account_id": current_user.id,
        "reference": reference,
        "form": form_name,
        "action": action,
        "data": data,
    }


def take_pending_action(reference: str):
    """(form name, form data, decision or None) kept for this case by this account, removed from the session;
    else None."""
    pending = session.get(PENDING_ACTION)
    if not pending or pending.get("reference") != reference or pending.get("account_id") != current_user.id:
        return None
    session.pop(PENDING_ACTION)
    return pending["form"], MultiDict([tuple(pair) for pair in pending["data"]]), pending.get("action")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that an answer marked `anonymous_answer()` never sets the session
    cookie: the public scheduler API is anonymous and cacheable by any cache on the way (`Cache-Control: public`),
    which must not keep a signed-in person's refreshed session cookie with it."""

    def should_set_cookie(self, app: Flask, session_) -> bool:
        return not g.get("anonymous_answer", False) and super().should_set_cookie(app, session_)


def anonymous_answer() -> None:
    """This request's answer is the same for everyone: it carries no session cookie (SessionInterface)."""
    g.anonymous_answer = True
