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


def reads(statements: list[str]) -> list[str]:
    """The SELECTs among them. Tests bound the writes apart: a page that records a view per row writes them in one
    INSERT (audit.record.record_views), but the unit of work writes a statement a row on SQLite (bulk assignment's
    audit records; PostgreSQL sends them together)."""
    return [q for q in statements if q.lstrip().upper().startswith("SELECT")]
