from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trusted_traveler.db import Base, utcnow


class OutboxMessage(Base):
    """A message to deliver, written in the same transaction as its cause and drained by the worker."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(320))
    # The account the message is about: its recipient's, or a minor's for the notice to their parent or guardian
    # (who need have no account). A traveler's deleted account takes its messages with it (privacy.deletion);
    # NULL for a message about no account, or written before migration 0023 to an address no one account had.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]
    # When the mail server refused it for good (a 5xx reply to its recipient or content, migration 0022): it is
    # not tried again until a person retries it (`flask outbox retry`); `last_error` holds the server's reply.
    refused_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))


class Notification(Base):
    """What the traveler sees in the app."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # composed here around what staff wrote (up to 4,000 characters)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
