"""Read-only queue queries for officers."""

from __future__ import annotations

from sqlalchemy import select

from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.extensions import db

# Statuses an officer can act on, per queue.
WORKABLE = {
    "enrollment": (Status.SUBMITTED, Status.ENROLLMENT_SCHEDULED),
    "review": (Status.OFFICER_REVIEW, Status.RECONSIDERATION_REQUESTED),
    "interview": (Status.CONDITIONALLY_APPROVED, Status.INTERVIEW_SCHEDULED, Status.INTERVIEW_COMPLETED),
    "awaiting_applicant": (Status.INFO_REQUESTED, Status.PRELIMINARY_INELIGIBLE),
}

QUEUE_LABELS = {
    "enrollment": "Awaiting enrollment visit",
    "review": "Officer review",
    "interview": "Interview and decision",
    "awaiting_applicant": "Awaiting the applicant",
}


def list_queue(name: str, *, limit: int = 50) -> list[Application]:
    statuses = [s.value for s in WORKABLE[name]]
    stmt = (
        select(Application)
        .where(Application.status.in_(statuses))
        .order_by(Application.priority.desc(), Application.status_entered_at, Application.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
