"""JSON logs with a request id on every line. A database error's own message is never logged: PostgreSQL's can
quote the row it refused ("Failing row contains (...)", "Key (email)=(...)"), so a traceback shows the statement
and the error's kind instead."""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
import uuid

from flask import Flask, g, has_request_context, request
from sqlalchemy.exc import DBAPIError

DRIVER_MODULES = ("psycopg", "sqlite3")

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)

    def formatException(self, ei) -> str:
        """The traceback of each exception in the chain, with a database error's message left out."""
        chain, exc = [], ei[1]
        while exc is not None and all(exc is not seen for seen in chain):
            chain.append(exc)
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        return "\nThe above exception led to the following exception:\n\n".join(
            "Traceback (most recent call last):\n"
            + "".join(traceback.format_tb(e.__traceback__))
            + f"{type(e).__module__}.{type(e).__qualname__}: {_loggable_message(e)}"
            for e in reversed(chain)
        )


def _loggable_message(exc: BaseException) -> str:
    withheld = "(the database's message is not logged: it can quote the values of a row)"
    if isinstance(exc, DBAPIError):
        return f"{type(exc.orig).__name__} {withheld} [SQL: {exc.statement}]"
    if type(exc).__module__.split(".")[0] in DRIVER_MODULES:
        return withheld
    return str(exc)


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if app.config.get("LOG_JSON"):
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("trusted_traveler")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    access = logging.getLogger("trusted_traveler.access")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint != "static":
            access.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,  # never the query string: it may carry personal data
                    "status": response.status_code,
                    "duration_ms": round(
                        (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1
                    ),
                },
            )
        return response
