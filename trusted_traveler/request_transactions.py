"""A request that only read ends its transaction with COMMIT, so PostgreSQL keeps the statements it prepared.

psycopg prepares a statement on the server once a connection has run it five times, and from then on PostgreSQL
skips parsing it and, for most statements, planning it. But psycopg forgets every prepared statement on ROLLBACK
(a rolled-back transaction may have dropped what they refer to), and a request that never commits ends in one: the
session's close rolls back. So the pages people load all day, which only read, planned every query afresh on every
request; the officer queue's list query spent 1.7 ms planning to run in 0.6 ms (docs/SCALING.md).

For a transaction that wrote nothing, COMMIT and ROLLBACK do the same. A request whose every statement was a SELECT,
that ended without an exception and left nothing pending in the session, is committed here at its teardown; any
other request ends as before, in the rollback of Flask-SQLAlchemy's own teardown. A request that wrote commits once,
in its view, as it always has ("services flush, the request commits once").
"""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from trusted_traveler.extensions import db

WROTE = "_statement_not_a_select"
log = logging.getLogger(__name__)


def _is_read(statement: str) -> bool:
    # A statement starting WITH may write (a data-modifying CTE), so only a plain SELECT counts as a read.
    return statement.lstrip()[:6].upper() == "SELECT"


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if has_request_context() and not _is_read(statement):
        setattr(g, WROTE, True)


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _commit_reads(exc: BaseException | None) -> None:
        session = db.session()
        if exc is not None or g.get(WROTE) or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            return  # something was left unflushed: the rollback that follows discards it, as before
        try:
            session.commit()
        except SQLAlchemyError as error:  # a broken connection: the response has gone; the pool replaces it
            log.warning("could not end a read-only request's transaction: %s", error)
            session.rollback()
