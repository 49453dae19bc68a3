"""Sign-in routes: /auth/login, /auth/callback, /auth/logout (CONTRACTS.md section 3), the JWKS, and the
development sign-in (/auth/dev, development and test configurations only)."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client.errors import OAuthError
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from joserfc.errors import JoseError

from trusted_traveler.auth import oidc
from trusted_traveler.auth import service as accounts
from trusted_traveler.auth.policy import public
from trusted_traveler.auth.roles import ROLE_LABELS
from trusted_traveler.auth.sessions import PENDING_ACTION
from trusted_traveler.extensions import db, limiter
from trusted_traveler.web.auth import bp
from trusted_traveler.web.forms import DevSignInForm, LogoutForm

log = logging.getLogger(__name__)
EMAIL_MAX = 254  # the longest address mail can be sent to (RFC 5321's path limit, less its angle brackets)
SUBJECT_MAX = 255  # accounts.subject


def safe_next(target: str | None) -> str:
    r"""Only same-site relative paths are followed after sign-in or the language switch (no open redirects).

    A browser drops tabs and line breaks anywhere in an address, trims control characters and spaces from its ends
    and reads a backslash as a slash, so "/\t/evil.example", "/\r\n/evil.example" and "/\evil.example" all leave
    the site. A target with any of those is refused outright, so what is checked is what a browser would follow:
    a path starting with one slash, with no scheme and no host (urlsplit alone misses "///evil.example")."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and target.isprintable()  # no control character (C0, DEL, C1) and no whitespace but the plain space
        and not any(c in target for c in " \\")
        and not (parts := urlsplit(target)).scheme
        and not parts.netloc
    ):
        return target
    return url_for("portal.dashboard")


def _start_session(account) -> None:
    lang = session.get("lang")
    pending = session.get(PENDING_ACTION)  # a staff decision waiting for this sign-in (auth/sessions.py)
    session.clear()  # a fresh session on every sign-in (no fixation)
    login_user(account)
    if pending and pending.get("account_id") == account.id:  # what one officer typed never rides in another's cookie
        session[PENDING_ACTION] = pending
    session.permanent = True
    if lang in ("en", "es"):  # a language chosen before signing in is kept, and becomes the account's
        session["lang"] = lang
        if account.preferred_language != lang:
            account.preferred_language = lang
            db.session.commit()


@bp.get("/sign-in")
@public
def sign_in():
    return render_template(
        "auth/sign_in.html",
        oidc_enabled=bool(current_app.config.get("OIDC_ISSUER")),
        dev_enabled=current_app.config.get("DEV_SIGN_IN"),
        next=request.args.get("next", ""),
    )


@bp.get("/login")
@public
@limiter.limit("20/minute")
def login():
    if not current_app.config.get("OIDC_ISSUER"):
        abort(404)
    session["after_sign_in"] = safe_next(request.args.get("next"))
    params = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "prompt": "select_account",
        "acr_values": current_app.config["OIDC_ACR_VALUES"],
    }
    if str(get_locale()) == "es":  # chosen, remembered on the account, or the browser's own
        params["locale"] = "es"
    return oidc.client().authorize_redirect(current_app.config["BASE_URL"] + "/auth/callback", **params)


@bp.get("/callback")
@public
@limiter.limit("20/minute")
def callback():
    if not current_app.config.get("OIDC_ISSUER"):
        abort(404)
    try:
        token = oidc.verified_token()
    except (OAuthError, JoseError, ValueError) as exc:
        log.warning("sign-in failed", extra={"error": type(exc).__name__, "detail": str(exc)[:200]})
        return render_template("auth/sign_in_failed.html"), 400
    claims = token.get("userinfo") or {}
    email = (claims.get("email") or "").lower()
    if not email:  # Login.gov: the e-mail comes from the userinfo endpoint, not the ID token
        try:
            info = oidc.client().userinfo(token=token)
        except OAuthError:
            info = {}
        if info and info.get("sub") != claims.get("sub"):  # OIDC Core 5.3.2: another person's answer is not ours
            log.warning("sign-in refused", extra={"error": "userinfo sub differs from the ID token's"})
            return render_template("auth/sign_in_failed.html"), 400
        email = (info.get("email") or "").lower()
    if not claims.get("sub") or not email:
        return render_template("auth/sign_in_failed.html", missing_email=not email), 400
    if len(email) > EMAIL_MAX or len(claims["sub"]) > SUBJECT_MAX:  # no mail server takes a longer address
        log.warning("sign-in refused", extra={"error": "claim too long", "email_length": len(email)})
        return render_template("auth/sign_in_failed.html", email_too_long=len(email) > EMAIL_MAX), 400
    after = session.get("after_sign_in")
    account = accounts.account_for_sign_in(
        issuer=claims["iss"],
        subject=claims["sub"],
        email=email,
        name=" ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p) or None,
        language=str(get_locale()),  # a first sign-in keeps the language the person was reading in
    )
    db.session.commit()
    _start_session(account)
    session["signed_in_with"] = "oidc"
    return redirect(safe_next(after))


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    if request.method == "GET":
        return render_template("auth/logout.html", form=LogoutForm())
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    with_provider = session.get("signed_in_with") == "oidc"
    logout_user()
    session.clear()
    if with_provider and current_app.config.get("OIDC_ISSUER"):
        end_session = oidc.client().load_server_metadata().get("end_session_endpoint")
        if end_session:
            query = urlencode(
                {
                    "client_id": current_app.config["OIDC_CLIENT_ID"],
                    # must match the URI registered with the provider exactly, so it is absolute
                    "post_logout_redirect_uri": current_app.config["BASE_URL"] + url_for("auth.signed_out"),
                    "state": secrets.token_urlsafe(24),
                }
            )
            return redirect(f"{end_session}?{query}")
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
@public
def signed_out():
    return render_template("auth/signed_out.html")


@bp.get("/jwks.json")
@public
def jwks():
    response = jsonify(oidc.public_jwks(current_app))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# --- Development sign-in: registered only when DEV_SIGN_IN is on (never in production) ---------------------


DEV_PERSONAS = [
    ("traveler.new@example.com", "A new traveler with no profile yet"),
    ("ana.traveler@example.com", "Ana García: PreCheck application waiting for her enrollment visit"),
    ("ben.traveler@example.com", "Ben Okafor: Global Entry, conditionally approved"),
    ("carla.traveler@example.com", "Carla Nguyen: Global Entry member (Known Traveler Number issued)"),
    ("dev.traveler@example.com", "Dev Patel: Global Entry in officer review after a vetting hit"),
    ("olivia.officer@example.com", "Olivia Officer: enrollment officer"),
    ("sam.supervisor@example.com", "Sam Supervisor: supervisor"),
    ("priya.lead@example.com", "Priya Lead: program lead"),
    ("quinn.lead@example.com", "Quinn Lead: second program lead (for the two-person rule)"),
    ("alex.admin@example.com", "Alex Admin: administrator"),
]


@public
@limiter.limit("30/minute")
def dev_sign_in():
    form = DevSignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        account = accounts.account_for_sign_in(
            issuer=accounts.DEV_ISSUER, subject=email, email=email, language=str(get_locale())
        )
        db.session.commit()
        _start_session(account)
        session["signed_in_with"] = "dev"
        flash(_("Signed in as %(email)s (development sign-in).", email=email), "success")
        return redirect(safe_next(form.next.data))
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    return render_template("auth/dev_sign_in.html", form=form, personas=DEV_PERSONAS, role_labels=ROLE_LABELS), (
        400 if form.errors else 200
    )


def register_dev_sign_in(app) -> None:
    if app.config.get("DEV_SIGN_IN"):
        app.add_url_rule("/auth/dev", "auth.dev_sign_in", dev_sign_in, methods=["GET", "POST"])
