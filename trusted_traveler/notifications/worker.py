"""The outbox worker: delivers e-mail for outbox messages written in the same transaction as their cause.

Each message is delivered in its own short transaction: claim it (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
several workers can run side by side; on SQLite one worker, which `flask worker` enforces with a lock file), send it,
mark it delivered, commit. The row lock is held while sending, so no other worker can take the message meanwhile,
and a worker that dies before its commit leaves nothing claimed: the database rolls the transaction back and the
message is simply due again.

The guarantee is therefore **at least once, and exactly once except in one window**: between the SMTP server's
acceptance of the message (its 250 reply to DATA) and the commit that records `delivered_at`. A crash, kill or
lost database connection inside that window (microseconds on a healthy database) makes the next attempt send the
message again. The resend carries the same `Message-ID` (`<outbox.{id}@{host}>`), so mail servers and clients that
deduplicate by Message-ID, and anyone reading the logs, can tell it is the same message. Outside that window a
message is never sent twice: killed before acceptance, nothing was accepted; killed after the commit, it is done.

A failed send (server down, refused for now with a 4xx reply, timed out, disconnected) is retried with exponential
backoff (30 s doubling, at most 6 h between tries). After MAX_ATTEMPTS it is left undelivered with its last error
for a person to look at (`flask outbox failed`, `flask outbox retry ID`); messages are never deleted. A message the
server refuses for good (a 5xx reply to its recipient or its content: `refused_for_good`) would be refused on every
try: it is marked refused (`refused_at`) after that one try, is not tried again, and waits among the failed with
the server's code and reply and its attempts as they were.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import or_, select

from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=6)
MAX_ATTEMPTS = 12  # about 14 hours of tries in all: outlasts a night-long mail outage
SMTP_TIMEOUT = 10  # seconds; bounds how long a row lock is held while sending


def max_attempts() -> int:
    return int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS))


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, … at most 6 h."""
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)


def message_id(message: OutboxMessage) -> str:
    """A Message-ID derived from the outbox id, the same on every attempt, so a resend is recognisably a resend."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "trustedtraveler.invalid"
    return f"<outbox.{message.id}@{host}>"


def build_email(message: OutboxMessage) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_SENDER"]
    email["To"] = message.recipient
    # One line: a line break in a name staff typed (a center's) would otherwise make the header unsendable (the email
    # package refuses it rather than let it start a header of its own), and the message could never be delivered.
    email["Subject"] = " ".join(message.payload.get("subject", "Trusted Traveler").split())
    email["Message-ID"] = message_id(message)
    email["Date"] = format_datetime(message.created_at)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    body = message.payload.get("body", "")
    language = message.payload.get("language") if message.payload.get("language") in ("en", "es") else "en"
    if message.payload.get("link"):
        with force_locale(language):  # the worker has no request: the recipient's language, kept in the payload
            see = gettext("See the details: %(url)s", url=f"{cfg['BASE_URL']}{message.payload['link']}")
        body += f"\n\n{see}"
    email.set_content(body)
    email["Content-Language"] = language  # after set_content, which replaces the Content-* headers
    return email


def send_email(message: OutboxMessage) -> None:
    """Hand one message to the SMTP server; returns once the server has accepted it."""
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(build_email(message))


def refused_for_good(exc: Exception) -> bool:
    """Whether the SMTP server refused this message permanently (RFC 5321: a 5xx reply) to its recipient (RCPT TO)
    or its content (DATA), so that sending it again can only be refused again. A 4xx reply, a server down, slow or
    gone mid-session, and a refusal of what every message shares, the session (greeting, sign-in) or the sender
    (MAIL FROM: MAIL_SENDER), are not: those are a setting to fix, after which every message goes, so they are
    tried again rather than each message failed for a person to retry one by one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _reply in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def describe_failure(exc: Exception) -> str:
    """The error recorded on the message: its kind and, for a refusal, the server's code and reply as it sent them."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = [f"{to}: {code} {_text(reply)}" for to, (code, reply) in exc.recipients.items()]
        detail = "; ".join(refusals)
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        detail = str(exc)
    return f"{type(exc).__name__}: {detail}"[:1000]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def pending_filter(now: dt.datetime):
    """The messages due now. The index `ix_outbox_pending` (delivered_at, next_attempt_at) finds them; the failed
    ones (refused for good, or out of attempts: a few, waiting for a person) are left out row by row."""
    return (
        OutboxMessage.delivered_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.refused_at.is_(None),
        OutboxMessage.attempts < max_attempts(),
    )


def _claim_next(now: dt.datetime) -> OutboxMessage | None:
    stmt = select(OutboxMessage).where(*pending_filter(now)).order_by(OutboxMessage.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        # the lock lasts until this message's commit: another worker skips it instead of sending it too
        stmt = stmt.with_for_update(skip_locked=True)
    return db.session.scalar(stmt)


def deliver_one(*, now: dt.datetime | None = None) -> str | None:
    """Claim, send and record one due message in its own transaction. Returns "delivered", "failed" (will be
    retried, or has used its attempts, or was refused for good) or None when nothing is due."""
    now = now or utcnow()
    message = _claim_next(now)
    if message is None:
        db.session.rollback()  # end the (read-only) transaction
        return None
    message.attempts += 1
    try:
        if message.kind.startswith("email."):
            send_email(message)
    except Exception as exc:  # any failure to send (down, refused, a bad payload) is recorded, and retried unless
        message.last_error = describe_failure(exc)  # the server refused it for good
        if refused_for_good(exc):  # every try would be refused the same: it is not tried again, for a person to see
            message.refused_at = now
            # the server's reply names the recipient: it is kept on the message (`flask outbox failed`), not logged
            log.error("delivery refused for good", extra={"outbox_id": message.id, "attempts": message.attempts})
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            if message.attempts >= max_attempts():
                log.error("delivery failed for good", extra={"outbox_id": message.id, "attempts": message.attempts})
            else:
                log.warning("delivery failed", extra={"outbox_id": message.id, "attempts": message.attempts})
        db.session.commit()
        return "failed"
    # The window: the server has accepted the message; until this commit returns, a crash means a resend.
    message.delivered_at = now
    db.session.commit()
    return "delivered"


def deliver_batch(
    batch_size: int = 50, *, now: dt.datetime | None = None, should_stop: Callable[[], bool] | None = None
) -> tuple[int, int]:
    """Deliver up to `batch_size` due messages, one transaction each; returns (delivered, failed). Stops early when
    nothing more is due or `should_stop()` says so (checked between messages, never during one)."""
    delivered = failed = 0
    for _ in range(batch_size):
        if should_stop is not None and should_stop():
            break
        outcome = deliver_one(now=now)
        if outcome is None:
            break
        if outcome == "delivered":
            delivered += 1
        else:
            failed += 1
    return delivered, failed


def failed_messages() -> list[OutboxMessage]:
    """Messages the worker no longer tries, for a person to look at: refused for good by the server, or out of
    attempts without being delivered (`why_failed` says which)."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.delivered_at.is_(None),
                or_(OutboxMessage.refused_at.is_not(None), OutboxMessage.attempts >= max_attempts()),
            )
            .order_by(OutboxMessage.id)
        )
    )


def why_failed(message: OutboxMessage) -> str:
    """Why the worker stopped trying a failed message, in a few words (its error is the server's reply or the
    failure of its last try)."""
    if message.refused_at is not None:
        return f"refused by the server at {message.refused_at.isoformat(timespec='seconds')}"
    return "out of attempts"


def retry_message(message: OutboxMessage, *, now: dt.datetime) -> None:
    """Give a failed message a fresh set of attempts, starting now, refused for good or not (kept, never deleted;
    its last error stays until the next try)."""
    message.attempts = 0
    message.refused_at = None
    message.next_attempt_at = now
