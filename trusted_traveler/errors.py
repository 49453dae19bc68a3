"""Domain errors and their mapping to HTML pages (web) and a JSON envelope (/api, /schedulerapi)."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Marks a string for translation; it is translated (gettext) when the page is made."""
    return message


class DomainError(Exception):
    """`field`: the input the error is about, when it is one (a form's field name): the page says it beside that
    field rather than at the top."""

    status_code = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"


class BusinessRuleViolation(DomainError):
    status_code = 409
    code = "business_rule"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


TITLES = {
    400: N_("We could not understand that request"),
    403: N_("You do not have access to this page"),
    404: N_("Page not found"),
    405: N_("That action is not allowed here"),
    409: N_("This changed while you were working"),
    413: N_("That upload is too large"),
    429: N_("Too many requests"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is temporarily unavailable"),
}

EXPLANATIONS = {
    400: N_("Something in the request was missing or not in the form we expected. Go back and try again."),
    403: N_("Your account is not allowed to see this page. If you think it should be, contact your administrator."),
    404: N_("We could not find that page. Check the address, or go to the home page."),
    405: N_("That action cannot be used on this page. Go back and try again."),
    409: N_(
        "Someone or something else changed this record since you opened it. Reload the page to see the "
        "latest version, then try again."
    ),
    413: N_("The file or form you sent is larger than we accept. Send a smaller one."),
    429: N_("You have made too many requests in a short time. Wait a little and try again."),
    500: N_("We could not finish your request. Nothing you entered has been lost. Try again in a few minutes."),
    503: N_("We cannot reach part of our system right now. Nothing you entered has been lost. Try again soon."),
}


def wants_json() -> bool:
    path = request.path
    return path.startswith(("/api/", "/schedulerapi", "/healthz")) or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, message: str | None = None, *, code: str | None = None, headers=None):
    message = message or gettext(EXPLANATIONS.get(status, TITLES.get(status, "Error")))
    if wants_json():
        body = {"errors": [{"error": code or TITLES.get(status, "error"), "message": message}]}
        resp = jsonify(body)
    else:
        resp = render_template(
            "errors/error.html", status=status, title=gettext(TITLES.get(status, "Error")), message=message
        )
    return resp, status, headers or {}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return error_response(err.status_code, err.message, code=err.code)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        return error_response(
            400, gettext("Your form expired or was sent from another page. Go back, reload it and try again.")
        )

    @app.errorhandler(StaleDataError)
    def _stale(err):
        from trusted_traveler.extensions import db

        db.session.rollback()  # the failed flush left the session unusable, and the page reads the person's account
        return error_response(409, code="conflict")

    @app.errorhandler(OperationalError)
    def _db_down(err):
        log.error("database unavailable", extra={"error": type(err).__name__})
        from trusted_traveler.extensions import db

        try:
            db.session.rollback()  # the pool has already dropped the dead connection; the next request reconnects
        except SQLAlchemyError:
            pass
        # The page must not need the database: whoever is signed in (their account cannot be loaded now) is shown
        # the signed-out layout for this one response. Their session is untouched.
        g._login_user = current_app.login_manager.anonymous_user()
        return error_response(503)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        # Keep the headers the status promises: Retry-After with 429, Allow with 405 (RFC 9110).
        kept = {"retry-after", "allow"}
        headers = {k: v for k, v in err.get_response().headers.items() if k.lower() in kept} or None
        message = None
        if err.code == 429 and headers and "Retry-After" in headers:
            message = gettext("Too many requests. Try again in %(seconds)s seconds.", seconds=headers["Retry-After"])
        return error_response(err.code or 500, message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        from trusted_traveler.extensions import db

        try:  # a failed statement leaves the transaction unusable, and the page reads the header's notice count
            db.session.rollback()
        except SQLAlchemyError:
            pass
        return error_response(500)
