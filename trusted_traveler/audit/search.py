"""Read-only queries over the audit log for supervisors and administrators: filters, newest first, and keyset
pages (a page starts after the (created_at, id) of the last row seen, so page 1,000 costs what page 1 costs;
OFFSET would read and throw away every earlier row)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import Row, or_, select

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.db import ID_MAX, from_micros, to_micros
from trusted_traveler.extensions import db

PAGE_SIZE = 50
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilters:
    """What to look for; None matches everything. Dates are UTC days, both included."""

    actor_email: str | None = None
    action: str | None = None  # exact, or a prefix when it ends in "*" ("rules.*")
    object_type: str | None = None
    object_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    # only what was done: no record of a page seen (profile.viewed, queue.viewed, ...: every view's action ends in
    # ".viewed") nor of a search of this log, among which a case's decisions were lost (50 queue views a page)
    without_views: bool = False

    def as_details(self) -> dict[str, str]:
        """The filters that were set, as text (for the audit event that records a search)."""
        return {key: str(value) for key, value in asdict(self).items() if value not in (None, "", False)}


@dataclass(frozen=True)
class Cursor:
    """A row's place in the newest-first order. Encoded as "<microseconds since 1970>-<id>" for links."""

    created_at: dt.datetime
    id: int

    def encode(self) -> str:
        return f"{to_micros(self.created_at)}-{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """The cursor in `text`, or None when it is missing or not one of ours (an edited or stale link)."""
        micros, _, event_id = (text or "").partition("-")
        if not (micros.isdigit() and event_id.isdigit() and len(micros) <= 17 and len(event_id) <= 10):
            return None
        if int(event_id) > ID_MAX:  # a larger number in a link would make PostgreSQL fail
            return None
        try:
            return cls(from_micros(int(micros)), int(event_id))
        except OverflowError:
            return None

    @classmethod
    def of(cls, row: Row) -> Cursor:
        return cls(row.created_at, row.id)


@dataclass(frozen=True)
class EventPage:
    rows: list[Row]
    older: Cursor | None  # pass as `after` for the next, older page; None on the last page
    newer: Cursor | None  # pass as `before` for the previous, newer page; None on the first page


def _matching(filters: AuditFilters):
    query = select(
        AuditEvent.id,
        AuditEvent.created_at,
        AuditEvent.actor_id,
        Account.email.label("actor_email"),  # None for the system, and for an account deleted since (migration 0023)
        AuditEvent.action,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.source_address,
        AuditEvent.request_id,
        AuditEvent.details,
    ).outerjoin(Account, Account.id == AuditEvent.actor_id)
    if filters.actor_email:
        # by id, so the actor_id index serves it (an e-mail may belong to accounts at several sign-in providers)
        actors = select(Account.id).where(Account.email == filters.actor_email.strip().lower())
        query = query.where(AuditEvent.actor_id.in_(actors))
    if filters.action:
        if filters.action.endswith("*"):
            query = query.where(AuditEvent.action.startswith(filters.action.rstrip("*"), autoescape=True))
        else:
            query = query.where(AuditEvent.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.without_views:
        query = query.where(~AuditEvent.action.endswith(".viewed"), AuditEvent.action != "audit.searched")
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= dt.datetime.combine(filters.date_from, dt.time(), dt.UTC))
    if filters.date_to and filters.date_to < dt.date.max:
        next_day = filters.date_to + dt.timedelta(days=1)
        query = query.where(AuditEvent.created_at < dt.datetime.combine(next_day, dt.time(), dt.UTC))
    return query


def search_events(
    filters: AuditFilters, *, after: Cursor | None = None, before: Cursor | None = None, size: int = PAGE_SIZE
) -> EventPage:
    """One page of matching events, newest first: the newest page, the page older than `after`, or the page newer
    than `before`. Each comparison keeps `created_at <= c` (or `>=`) on its own, so the database starts its index
    scan at the cursor instead of filtering from the newest row."""
    query = _matching(filters)
    if before is not None:
        query = query.where(
            AuditEvent.created_at >= before.created_at,
            or_(AuditEvent.created_at > before.created_at, AuditEvent.id > before.id),
        ).order_by(AuditEvent.created_at, AuditEvent.id)
        fetched = db.session.execute(query.limit(size + 1)).all()
        rows = list(reversed(fetched[:size]))
        return EventPage(
            rows=rows,
            older=Cursor.of(rows[-1]) if rows else None,
            newer=Cursor.of(rows[0]) if len(fetched) > size else None,
        )
    if after is not None:
        query = query.where(
            AuditEvent.created_at <= after.created_at,
            or_(AuditEvent.created_at < after.created_at, AuditEvent.id < after.id),
        )
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    fetched = db.session.execute(query.limit(size + 1)).all()
    rows = fetched[:size]
    return EventPage(
        rows=rows,
        older=Cursor.of(rows[-1]) if len(fetched) > size else None,
        newer=Cursor.of(rows[0]) if after is not None and rows else None,
    )


def iter_events(filters: AuditFilters, *, batch: int = EXPORT_BATCH) -> Iterator[Row]:
    """Every matching event, newest first, read in keyset batches so memory stays flat however many there are."""
    after = None
    while True:
        page = search_events(filters, after=after, size=batch)
        yield from page.rows
        if page.older is None:
            return
        after = page.older


# Keys of an event's details whose values are account ids (casework.assignment).
ACCOUNT_DETAILS = ("to_officer", "from_officer")


def accounts_named(rows: list[Row]) -> dict[str, str]:
    """The e-mail of each account a page of events names by id (an `account` object, an officer a case went to or
    from), by the id as text: the page shows people, not numbers. One query, for the page's ids only."""
    ids = {row.object_id for row in rows if row.object_type == "account"}
    for row in rows:
        if isinstance(row.details, dict):
            ids.update(str(row.details[key]) for key in ACCOUNT_DETAILS if row.details.get(key) is not None)
    wanted = [int(i) for i in ids if i.isdigit() and 0 < int(i) <= ID_MAX]
    if not wanted:
        return {}
    return {
        str(i): email
        for i, email in db.session.execute(select(Account.id, Account.email).where(Account.id.in_(wanted)))
    }
