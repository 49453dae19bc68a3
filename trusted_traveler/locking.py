"""Row locks, and inserts that skip what another transaction wrote first, for the work two processes may do at once
(two workers, or a worker and its command)."""

from __future__ import annotations

from sqlalchemy import Insert, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite

from trusted_traveler.extensions import db


def locked(model, *where, skip_locked: bool = False, limit: int | None = None) -> Select:
    """A select of the `model` rows matching `where` (by primary key), read afresh and locked until the commit: on
    PostgreSQL their rows (FOR UPDATE; with `skip_locked`, rows another transaction holds are passed over). SQLite
    has no row locks: a no-op UPDATE here takes the database's write lock first, so another run waits for this one's
    commit and then reads what it did."""
    key = model.__mapper__.primary_key[0]
    if db.engine.dialect.name == "sqlite":
        claim = update(model).where(*where).values({key.key: key})
        db.session.execute(claim.execution_options(synchronize_session=False))
    stmt = select(model).where(*where).order_by(key).limit(limit).execution_options(populate_existing=True)
    if db.engine.dialect.name != "sqlite":
        stmt = stmt.with_for_update(skip_locked=skip_locked, of=model)
    return stmt


def insert_skipping_conflicts(model) -> Insert:
    """An INSERT of `model` rows that skips, instead of failing on, a row a unique key already holds (one another
    transaction may have written meanwhile): ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()
