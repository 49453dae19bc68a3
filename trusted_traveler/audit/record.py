"""Append an audit event. Called by services (never by views), so every path that acts leaves a record."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.extensions import db


def record_event(action: str, obj_type: str, obj_id: Any, *, by=None, **details: Any) -> AuditEvent:
    event = AuditEvent(
        actor_id=getattr(by, "id", None),
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        details=details,
    )
    if has_request_context():
        # as the proxies reported it (ProxyFix): with a misconfigured hop count that can be what the client sent
        event.source_address = (request.remote_addr or "")[:64] or None
        event.request_id = g.get("request_id")
    db.session.add(event)
    return event


def record_audit_search(filters: dict[str, str], *, by, page: str | None = None) -> AuditEvent:
    """A search of the audit log is itself audited: who looked, for what, and which page."""
    extra = {"page": page} if page else {}
    return record_event("audit.searched", "audit_log", "audit_events", by=by, filters=filters, **extra)


def record_audit_export(filters: dict[str, str], *, by) -> AuditEvent:
    """A CSV export of the audit log is itself audited, before the first line is sent."""
    return record_event("audit.exported", "audit_log", "audit_events", by=by, filters=filters)
