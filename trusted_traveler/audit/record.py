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
        event.source_address = request.remote_addr
        event.request_id = g.get("request_id")
    db.session.add(event)
    return event
