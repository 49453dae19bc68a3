"""The outbox worker: delivers e-mail for outbox messages written in the same transaction as their cause.

On PostgreSQL each batch is claimed with `FOR UPDATE SKIP LOCKED`, so several workers can run; a failed send is
retried with exponential backoff. A message is marked delivered in the same transaction that claimed it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_BACKOFF = dt.timedelta(hours=6)


def _claim(batch_size: int) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(batch_size)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.scalars(stmt))


def _send(message: OutboxMessage) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.payload.get("subject", "Trusted Traveler")
    body = message.payload.get("body", "")
    if message.payload.get("link"):
        body += f"\n\nSee the details: {cfg['BASE_URL']}{message.payload['link']}"
    email.set_content(body)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver_batch(batch_size: int = 50) -> tuple[int, int]:
    """Deliver one batch; returns (delivered, failed). Commits once per batch."""
    delivered = failed = 0
    for message in _claim(batch_size):
        message.attempts += 1
        try:
            if message.kind.startswith("email."):
                _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            backoff = min(dt.timedelta(seconds=30 * 2 ** (message.attempts - 1)), MAX_BACKOFF)
            message.next_attempt_at = utcnow() + backoff
            log.warning("delivery failed", extra={"outbox_id": message.id, "attempts": message.attempts})
        else:
            delivered += 1
            message.delivered_at = utcnow()
    db.session.commit()
    return delivered, failed
