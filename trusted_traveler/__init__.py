"""Trusted Traveler 2.0: one service for TSA PreCheck and CBP Global Entry."""

from __future__ import annotations

import functools
import os

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, INSTANCE_DIR, ConfigError
from trusted_traveler.i18n import (
    EXAMPLE_DATE,
    browser_language,
    format_count,
    format_day,
    format_size,
    hold_wtforms_translations,
    numeric_date,
    template_translations,
    zone_abbreviation,
    zone_name,
)


def create_app(config_name: str | None = None, overrides: dict | None = None, env=None) -> Flask:
    """Build the app. `config_name` defaults to $TT_CONFIG, then "development". Never runs migrations."""
    name = config_name or os.environ.get("TT_CONFIG", "development")
    if name not in CONFIGS:
        raise ConfigError(f"TT_CONFIG={name!r} is not one of {', '.join(CONFIGS)}")
    config = CONFIGS[name](env)
    config.check()

    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_path=str(INSTANCE_DIR))
    app.config.from_object(config)
    app.config.update(overrides or {})
    from trusted_traveler.db import service_zone

    service_zone(app.config["SERVICE_TIMEZONE"])  # a name that is no time zone stops the start, with what to set
    if hops := app.config["TRUSTED_PROXY_HOPS"]:  # behind a load balancer: the traveler's address and scheme
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    os.makedirs(app.instance_path, exist_ok=True)

    from trusted_traveler.crypto import keyring

    keyring.configure(app.config["DOCUMENT_KEYS"])
    from trusted_traveler.observability import configure_logging

    configure_logging(app)  # first, so every later hook (CSRF included) runs with a request id
    for name in app.config.get("DEFAULTED", ()):  # production settings left to their defaults (config.py)
        app.logger.warning(
            "%s is not set: %s",
            name,
            "using the SQLite file under instance/ (production runs on PostgreSQL: set DATABASE_URL)"
            if name == "DATABASE_URL"
            else "document numbers are encrypted with a key derived from SECRET_KEY (set DOCUMENT_KEYS, then run "
            "`flask rotate-document-keys`, to keep them apart)",
        )
    register_extensions(app)
    from trusted_traveler.web import routing

    routing.install(app)  # before the routes: `<int:...>` is a row id
    register_blueprints(app)
    from trusted_traveler.errors import register_error_handlers
    from trusted_traveler.security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)
    from trusted_traveler.cli import register_cli

    register_cli(app)
    register_template_helpers(app)
    return app


def select_locale() -> str:
    if not has_request_context():  # a CLI command or the worker: English, unless force_locale says otherwise
        return "en"
    lang = session.get("lang")
    if lang in ("en", "es"):
        return lang
    if getattr(current_user, "is_authenticated", False) and current_user.preferred_language in ("en", "es"):
        return current_user.preferred_language
    return browser_language(request.accept_languages)


def register_extensions(app: Flask) -> None:
    from trusted_traveler import models, replica, request_transactions  # noqa: F401  (models: complete metadata)
    from trusted_traveler.auth.oidc import init_oidc
    from trusted_traveler.extensions import api, babel, csrf, db, limiter, login_manager, migrate

    replica.engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(hold_wtforms_translations)  # Flask-WTF's messages: each catalog read once, not per request
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_account(account_id: str):
        from trusted_traveler.auth.models import Account
        from trusted_traveler.auth.sessions import signed_in_to

        if not account_id.isdigit():
            return None
        # every page asks what the account may do: its role grants come with it; and a page's header shows the
        # unread count, read here too (not for a form's post, which redirects, or an API call)
        shows_header = request.method == "GET" and not request.path.startswith("/api/")
        account = db.session.get(Account, int(account_id), options=_account_options(shows_header))
        # SQLite gives the largest id out again once its row is deleted (a traveler's deleted account,
        # privacy.deletion): a session signed in to the account made before under that id is not this one's.
        return account if account is not None and signed_in_to(account) else None

    init_oidc(app)
    api.init_app(app)
    replica.init_app(app)
    request_transactions.init_app(app)


@functools.cache
def _account_options(with_unread_count: bool) -> tuple:
    """The user loader's options, built once a process rather than once a request (loader options are immutable;
    building them, the unread count's subquery above all, was 3% of the officer queue's time)."""
    from sqlalchemy.orm import joinedload, with_expression

    from trusted_traveler.auth.models import Account
    from trusted_traveler.notifications.service import unread_count_of

    options = (joinedload(Account.role_grants),)
    if with_unread_count:
        options += (with_expression(Account.unread_notifications, unread_count_of(Account.id)),)
    return options


def register_blueprints(app: Flask) -> None:
    from trusted_traveler.api import bp as api_bp
    from trusted_traveler.api.scheduler import bp as schedulerapi_bp
    from trusted_traveler.auth.policy import enforce_route_policy
    from trusted_traveler.extensions import api
    from trusted_traveler.web.admin import bp as admin_bp
    from trusted_traveler.web.auth import bp as auth_bp
    from trusted_traveler.web.auth.views import register_dev_sign_in
    from trusted_traveler.web.availability import bp as availability_bp
    from trusted_traveler.web.feedback import bp as feedback_bp
    from trusted_traveler.web.intake import bp as intake_bp
    from trusted_traveler.web.officer import bp as officer_bp
    from trusted_traveler.web.performance import bp as performance_bp
    from trusted_traveler.web.portal import bp as portal_bp
    from trusted_traveler.web.public import bp as public_bp
    from trusted_traveler.web.rules_console import bp as rules_console_bp
    from trusted_traveler.web.sandbox_pay import bp as sandbox_pay_bp

    for bp in (
        public_bp,
        auth_bp,
        portal_bp,
        intake_bp,
        officer_bp,
        admin_bp,
        rules_console_bp,
        sandbox_pay_bp,
        schedulerapi_bp,
        availability_bp,
        feedback_bp,
        performance_bp,
    ):
        app.register_blueprint(bp)
    if os.environ.get("TT_BENCH_HELLO") == "1":  # make bench only: the framework's ceiling, no database
        from trusted_traveler.web.bench_hello import bp as bench_hello_bp

        app.register_blueprint(bench_hello_bp)
    api.register_blueprint(api_bp)
    register_dev_sign_in(app)
    from trusted_traveler.auth.sessions import register_session_rules

    register_session_rules(app)  # before the route policy: an expired staff session is signed out first
    app.before_request(enforce_route_policy)
    from trusted_traveler.web.input_guard import install as refuse_control_characters
    from trusted_traveler.web.input_guard import refuse_nul

    refuse_control_characters()
    refuse_nul(app)


def register_template_helpers(app: Flask) -> None:
    from trusted_traveler.auth.policy import this_page
    from trusted_traveler.auth.roles import Permission, Role
    from trusted_traveler.web.forms import (
        LogoutForm,
        character_limit,
        country_name,
        laid_out,
        list_change,
        offense_name,
    )
    from trusted_traveler.web.paragraphs import paragraphs

    def field_attrs(field, hint=None, css="usa-input", type=None, count=False) -> dict:
        """HTML attributes for a USWDS control: its class, type, and the hint, error and character count (`count`:
        the text area's limit said under it) it is described by. A field with a limit (web.forms.AtMost) carries it
        as `data-most` for app.js's count, never as `maxlength`, at which a browser cuts a paste without a word."""
        attrs = {"class_": css}
        if field.process_errors and (type or getattr(field.widget, "input_type", None)) == "number":
            type = "text"  # a number that could not be read ("two") comes back as typed: a number box shows it empty
        if type:
            attrs["type"] = type
        most = character_limit(field)
        if most is not None:
            attrs["data-most"] = most
        described = (
            ([f"{field.id}-hint"] if hint else [])
            + ([f"{field.id}-error"] if field.errors else [])
            + ([f"{field.id}-count"] if count and most is not None else [])
        )
        if described:
            attrs["aria-describedby"] = " ".join(described)
        if field.errors:
            attrs["aria-invalid"] = "true"
        if field.id == g.get("focus_field"):  # the first field of the row just added (web.forms.apply_list_action)
            attrs["autofocus"] = True
        return attrs

    def note_errors() -> str:
        """Said by the error summaries (templates/_macros/forms.html): this page shows errors, so the layout's
        <title> starts with "Error: ". The layout renders the page's content before its head to know it."""
        g.page_shows_errors = True
        return ""

    def page_shows_errors(*, forget: bool = False) -> bool:
        """Whether the content rendered so far noted errors; `forget` starts a page afresh."""
        if forget:
            g.pop("page_shows_errors", None)
            return False
        return bool(g.get("page_shows_errors"))

    def is_message(value) -> bool:
        """An error message: a string or a lazily translated one (not a row's dict or list of errors)."""
        return isinstance(value, str | LazyString)

    def error_list(form) -> list[tuple[str, str]]:
        """Every error in a form as (field id, message), including rows of lists, in page order."""
        found: list[tuple[str, str]] = []

        def walk(field):
            if field.type == "FieldList":
                found.extend((field.id, m) for m in field.errors if is_message(m))
                for entry in field.entries:
                    walk(entry)
            elif field.type == "FormField":
                for sub in field.form:
                    walk(sub)
            elif field.type != "CSRFTokenField":
                found.extend((field.id, m) for m in field.errors if is_message(m))

        for field in form:
            walk(field)
        return found

    app.jinja_env.globals["field_attrs"] = field_attrs
    app.jinja_env.globals["error_list"] = error_list
    app.jinja_env.globals["note_errors"] = note_errors
    app.jinja_env.globals["list_change"] = list_change  # what a list's last "Remove" did (web.forms)
    app.jinja_env.globals["focus_field"] = lambda: g.get("focus_field")  # the control a list's button lands on
    app.jinja_env.globals["page_shows_errors"] = page_shows_errors
    app.jinja_env.globals["character_limit"] = character_limit
    app.jinja_env.globals["laid_out"] = laid_out  # a form's fields as the page shows them, groups and all
    app.jinja_env.tests["message"] = is_message
    app.jinja_env.filters["day"] = format_day  # dates in the reader's language
    app.jinja_env.filters["paragraphs"] = paragraphs  # text written on several lines, its paragraphs kept
    app.jinja_env.filters["count"] = format_count  # a whole number in the reader's language ("4,000")
    app.jinja_env.filters["filesize"] = format_size  # a file's size, in the reader's language
    app.jinja_env.filters["numeric_date"] = numeric_date  # a date as a date field shows it (forms' hints)
    app.jinja_env.filters["zone"] = zone_abbreviation  # the service zone's abbreviation at a time (EDT, EST)
    app.jinja_env.filters["zone_name"] = zone_name  # a center's zone by name ("Central Time", "hora central")
    app.jinja_env.filters["country"] = country_name  # a stored country code, named in the reader's language
    app.jinja_env.filters["offense"] = offense_name  # a stored offense category, named in the reader's language
    app.jinja_env.globals["EXAMPLE_DATE"] = EXAMPLE_DATE  # the date forms' hints give as an example
    app.jinja_env.globals["get_locale"] = get_locale  # <html lang> and the language switch
    app.jinja_env.globals["this_page"] = this_page  # where the language switch brings the person back to

    app.context_processor(template_translations)

    @app.before_request
    def _page_starts_afresh():
        """What one page noted for its own rendering (errors shown, the control a list's button lands on) never
        reaches another: `g` outlives a request where an application context was already pushed (tests)."""
        for key in ("page_shows_errors", "focus_field", "list_change"):
            g.pop(key, None)

    @app.context_processor
    def _globals():
        return {
            "Permission": Permission,
            "Role": Role,
            "logout_form": LogoutForm(formdata=None),  # never the request's body: on a 413 reading it fails again
            "dev_sign_in_enabled": app.config.get("DEV_SIGN_IN"),
        }
