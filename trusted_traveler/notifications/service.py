"""Tell a traveler something: an in-app notification and an e-mail through the outbox, in the caller's
transaction (nothing is sent for a change that rolls back)."""

from __future__ import annotations

from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage


def notify(account, *, kind: str, title: str, body: str, link: str | None = None) -> Notification:
    note = Notification(account_id=account.id, kind=kind, title=title, body=body, link=link)
    db.session.add(note)
    db.session.add(
        OutboxMessage(
            kind=f"email.{kind}",
            recipient=account.email,
            payload={"subject": title, "body": body, "link": link, "language": account.preferred_language},
        )
    )
    return note


def notify_about(application, *, kind: str, title: str, body: str) -> Notification:
    """Tell the traveler something about one of their applications, linking to its page."""
    return notify(
        application.profile.account, kind=kind, title=title, body=body, link=f"/applications/{application.reference}"
    )
