"""Row locks for the jobs two processes may run at once (two workers, or a worker and its command)."""

from __future__ import annotations

from sqlalchemy import Select, select, update

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
