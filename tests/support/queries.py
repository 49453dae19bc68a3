"""Counting the SQL statements a request runs, for the tests that bound each page's queries (no N+1)."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from trusted_traveler.extensions import db


@contextlib.contextmanager
def count_queries(app):
    """Yield a list that collects every statement the app's engine executes inside the block."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
