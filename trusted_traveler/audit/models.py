from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from trusted_traveler.db import Base, utcnow


class AuditEvent(Base):
    """Append-only record of staff views of personal data, decisions and changes. Nothing updates or deletes it:
    the listeners below refuse it in the ORM and migration 0006 refuses it in the database."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account that acted (NULL: the system). An id and no foreign key, as for the object: the log outlives the
    # accounts it names, and a traveler's deleted account leaves its events naming nobody (migration 0023).
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    # Its own index too: "who looked at application TT-…" names the object without its type.
    object_id: Mapped[str] = mapped_column(String(40), index=True)
    source_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditLogIsAppendOnly(RuntimeError):
    """Code tried to change or delete an audit event. A programming error, never a person's mistake."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"Audit event {target.id} cannot be changed: the audit log is append-only.")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target: AuditEvent) -> None:
    raise AuditLogIsAppendOnly(f"Audit event {target.id} cannot be deleted: the audit log is append-only.")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """`update(AuditEvent)` / `delete(AuditEvent)` (and the Core table's) through a session skip the mapper
    events above, so they are refused here, before they reach the database."""
    if (state.is_update or state.is_delete) and getattr(state.statement.table, "name", None) == "audit_events":
        verb = "changed" if state.is_update else "deleted"
        raise AuditLogIsAppendOnly(f"Audit events cannot be {verb}: the audit log is append-only.")
