"""The embedded **sandbox** payment gateway. It keeps its own ledger (as Pay.gov would on its side) and serves
a card form at /sandbox/pay/<token>. Test cards (any future expiry, any 3-digit security code):

| card number         | outcome            |
|---------------------|--------------------|
| 4111 1111 1111 1111 | approved           |
| 4000 0000 0000 0002 | declined           |
| 4000 0000 0000 0119 | processor error    |

Any other number is declined as invalid. Card numbers are never stored, only the last four digits.

Refunds (the sandbox's behaviour, standing in for a Pay.gov refund): `refund(tracking_id)` marks a completed
transaction "refunded", at once and for the whole amount; refunding it again changes nothing. A refunded session is
closed: its card page cannot charge it again, and `complete(token)` answers "refunded" from then on.

Looking a collection up (the sandbox's behaviour, standing in for a Pay.gov lookup by agency tracking id):
`status_of(tracking_id)` answers from the sandbox's own transaction row exactly what `complete(token)` answers for
its token, so the reconciliation sweep learns what a lost return would have said.

Sessions expire: a transaction not paid within `SESSION_LIFETIME` (24 hours) of its start is closed. Its card page
takes no charge and sends the traveler back, and `complete` / `status_of` answer "expired".
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from flask import url_for
from flask_babel import gettext
from sqlalchemy import Numeric, String, select
from sqlalchemy.orm import Mapped, mapped_column

from trusted_traveler.db import Base, utcnow
from trusted_traveler.errors import N_, Conflict, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.payments.gateway import SESSION_LIFETIME, CompletionResult

# The gateway's own words, kept (in English) on its transaction and handed back with the outcome, as Pay.gov's
# would be: its card page shows them in the reader's language; our pages say it in our own words (payments.service).
TEST_CARDS = {
    "4111111111111111": ("completed", None),
    "4000000000000002": ("declined", N_("Your card was declined. Try another card or contact your bank.")),
    "4000000000000119": (
        "failed",
        N_("The payment processor had an error. You have not been charged. Try again."),
    ),
}
INVALID_CARD = N_("That card number is not valid. Check it and try again.")
EXPIRED = N_("This payment session has expired. You have not been charged. Start the payment again.")


class SandboxTransaction(Base):
    __tablename__ = "sandbox_gateway_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    tracking_id: Mapped[str] = mapped_column(String(64), unique=True)  # our idempotency key
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    description: Mapped[str] = mapped_column(String(200))
    return_url: Mapped[str] = mapped_column(String(500))
    # pending, completed, declined, failed, refunded
    status: Mapped[str] = mapped_column(String(12), default="pending")
    gateway_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    card_last4: Mapped[str | None] = mapped_column(String(4))
    gateway_message: Mapped[str | None] = mapped_column("message", String(300))  # as the gateway words it
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[dt.datetime | None]

    @property
    def message(self) -> str | None:
        """The gateway's message as its card page shows it: in the reader's language."""
        return gettext(self.gateway_message) if self.gateway_message else None


class SandboxGateway:
    name = "sandbox"

    def start(self, *, amount: Decimal, tracking_id: str, description: str, return_url: str) -> str:
        existing = db.session.scalar(select(SandboxTransaction).where(SandboxTransaction.tracking_id == tracking_id))
        if existing is not None:
            return existing.token
        txn = SandboxTransaction(
            token=secrets.token_urlsafe(24),
            tracking_id=tracking_id,
            amount=amount,
            description=description,
            return_url=return_url,
        )
        db.session.add(txn)
        db.session.flush()
        return txn.token

    def redirect_url(self, token: str) -> str:
        return url_for("sandbox_pay.pay", token=token)

    def complete(self, token: str) -> CompletionResult:
        return self._result(self.transaction(token))

    def status_of(self, tracking_id: str) -> CompletionResult:
        """Look a collection up by our tracking id: the same answer its return would give.

        Raises:
            NotFound: no transaction has this tracking id.
        """
        txn = db.session.scalar(select(SandboxTransaction).where(SandboxTransaction.tracking_id == tracking_id))
        if txn is None:
            raise NotFound(gettext("That payment session does not exist."))
        return self._result(txn)

    @staticmethod
    def _result(txn: SandboxTransaction) -> CompletionResult:
        if txn.status in ("completed", "refunded"):
            return CompletionResult(txn.status, txn.tracking_id, txn.gateway_reference)
        if is_expired(txn):
            return CompletionResult("expired", txn.tracking_id, None, EXPIRED)
        return CompletionResult(txn.status, txn.tracking_id, None, txn.gateway_message)

    def refund(self, tracking_id: str) -> CompletionResult:
        """Give a completed transaction's whole amount back; a refunded one stays as it is (idempotent).

        Raises:
            NotFound: no transaction has this tracking id.
            Conflict: nothing was collected (pending, declined or failed), so there is nothing to refund.
        """
        txn = db.session.scalar(select(SandboxTransaction).where(SandboxTransaction.tracking_id == tracking_id))
        if txn is None:
            raise NotFound(gettext("That payment session does not exist."))
        if txn.status == "completed":
            txn.status = "refunded"
            db.session.flush()
        elif txn.status != "refunded":
            raise Conflict(f"The sandbox cannot refund a {txn.status} transaction: nothing was collected.")
        return CompletionResult("refunded", txn.tracking_id, txn.gateway_reference)

    # The sandbox's own card page uses these.
    def transaction(self, token: str) -> SandboxTransaction:
        if not (token or "").isprintable() or len(token) > 100:  # an edited link: no session has such a token
            raise NotFound(gettext("That payment session does not exist."))
        txn = db.session.scalar(select(SandboxTransaction).where(SandboxTransaction.token == token))
        if txn is None:
            raise NotFound(gettext("That payment session does not exist."))
        return txn

    def charge(self, txn: SandboxTransaction, card_number: str) -> SandboxTransaction:
        """Charge a test card once; paying an already-paid (or refunded, or expired) session changes nothing."""
        if is_closed(txn):
            return txn
        digits = "".join(ch for ch in card_number if ch.isdigit())
        status, message = TEST_CARDS.get(digits, ("declined", INVALID_CARD))
        txn.status = status
        txn.gateway_message = message
        txn.card_last4 = digits[-4:] if digits else None
        if status == "completed":
            txn.gateway_reference = "SBX" + secrets.token_hex(8).upper()
            txn.paid_at = utcnow()
        db.session.flush()
        return txn


def is_expired(txn: SandboxTransaction, now: dt.datetime | None = None) -> bool:
    """Nothing was collected and the session's lifetime is over: it can no longer be paid."""
    unpaid = txn.status not in ("completed", "refunded")
    return unpaid and txn.created_at <= (now or utcnow()) - SESSION_LIFETIME


def is_closed(txn: SandboxTransaction) -> bool:
    """The card page takes no charge: the session was paid (and perhaps refunded since), or it expired."""
    return txn.status in ("completed", "refunded") or is_expired(txn)
