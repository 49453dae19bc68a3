"""The payment gateway interface, shaped like Pay.gov hosted collection:

1. `start(...)` registers a collection and returns a token (idempotent on the agency tracking id);
2. the traveler is redirected to `redirect_url(token)` and pays on the gateway's own page;
3. the gateway sends them back to our return URL; we call `complete(token)` to learn the outcome;
4. `refund(tracking_id)` gives a collected payment's whole amount back, when what it paid for can no longer be
   submitted (the checkout changed while the traveler was on the gateway's page). Refunding is idempotent: a
   second refund of the same collection changes nothing and answers "refunded" again;
5. `status_of(tracking_id)` looks a collection up by the agency tracking id, as Pay.gov lets an agency do, so a
   charge whose return never reached us (the tab closed before the redirect, a network drop) is still found: the
   reconciliation sweep (`payments.service.reconcile`) asks about every unfinished payment.

A collection not paid within `SESSION_LIFETIME` of its start can no longer be paid: the gateway's page refuses it
and `complete` / `status_of` answer "expired". After that nothing can change, and an unpaid payment is abandoned.

Pay.gov itself is out of reach here, so the service ships a **sandbox** gateway (payments.sandbox) that behaves
the same way and serves its own card form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

SESSION_LIFETIME = dt.timedelta(hours=24)  # how long a started collection can still be paid on the gateway's page


@dataclass(frozen=True)
class CompletionResult:
    status: str  # completed, declined, failed, pending, refunded, expired
    tracking_id: str  # the agency tracking id given to start(): our payment's idempotency key
    reference: str | None  # the gateway's own reference when completed
    message: str | None = None


class PaymentGateway(Protocol):
    name: str

    def start(self, *, amount: Decimal, tracking_id: str, description: str, return_url: str) -> str: ...

    def redirect_url(self, token: str) -> str: ...

    def complete(self, token: str) -> CompletionResult: ...

    def refund(self, tracking_id: str) -> CompletionResult:
        """Refund the whole collected amount of the collection started with `tracking_id`; answers status
        "refunded". Raises when nothing was collected (there is nothing to give back)."""
        ...

    def status_of(self, tracking_id: str) -> CompletionResult:
        """What became of the collection started with `tracking_id`, as `complete(token)` would answer on a return.
        Raises NotFound when the gateway never registered it (so nothing can have been collected)."""
        ...


def get_gateway() -> PaymentGateway:
    from trusted_traveler.payments.sandbox import SandboxGateway

    return SandboxGateway()
