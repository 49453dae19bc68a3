from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.db import Base, utcnow


class Payment(Base):
    """One checkout through a gateway, covering one or more applications (applying for both programs at once is
    one payment). No card data is ever stored here."""

    __tablename__ = "payments"
    # The reconciliation sweep's look-up (payments.service.reconcile): started, and recent declines; migration 0010.
    __table_args__ = (Index("ix_payments_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # started, completed, declined, failed, refunded, abandoned (never paid; its gateway session is over)
    status: Mapped[str] = mapped_column(String(12), default="started")
    failure_message: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]

    items: Mapped[list[PaymentItem]] = relationship(back_populates="payment", cascade="all, delete-orphan")


class PaymentItem(Base):
    """The part of a payment that pays one application's fee."""

    __tablename__ = "payment_items"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    payment: Mapped[Payment] = relationship(back_populates="items")
    application = relationship("Application")
