"""Collecting fees through the gateway. One checkout pays for one or more draft applications (both programs at
once is one payment). A double click, refresh, back button or retry never charges twice: an unfinished checkout
for the same applications is resumed, and completing a payment is idempotent.

The card is charged on the gateway's own page, so by the time its return reaches us the money is collected. A
return that arrives late, after the checkout changed under it (an application in it was removed, expired, or was
paid for and submitted by another payment), gets the whole payment refunded through the gateway and submits
nothing: the traveler pays again for what remains. A return that arrives again changes nothing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from babel.lists import format_list
from flask_babel import LazyString, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.i18n import later
from trusted_traveler.notifications.service import notify
from trusted_traveler.payments.gateway import get_gateway
from trusted_traveler.payments.models import Payment, PaymentItem


def _check_payable(applications: list[Application], by) -> None:
    if not applications:
        raise BusinessRuleViolation(_("Choose at least one application to pay for."))
    for application in applications:
        if application.profile.account_id != by.id:
            raise NotFound(_("We could not find that application."))
        if application.status != Status.DRAFT:
            raise BusinessRuleViolation(
                _("Application %(reference)s has already been submitted.", reference=application.reference)
            )
        if application.attested_at is None:
            raise BusinessRuleViolation(_("Confirm the declaration before paying."))


def _open_checkout(applications: list[Application]) -> Payment | None:
    """A started payment covering exactly these applications, if there is one."""
    wanted = sorted(a.id for a in applications)
    candidates = db.session.scalars(
        select(Payment)
        .join(PaymentItem)
        .where(Payment.status == "started", PaymentItem.application_id.in_(wanted))
        .distinct()
    )
    return next((p for p in candidates if sorted(i.application_id for i in p.items) == wanted), None)


def begin_checkout(applications: list[Application], *, by, return_url: str) -> str | None:
    """Start (or resume) paying for `applications`; returns the gateway URL to send the traveler to, or None when
    nothing is owed (every fee is waived) and the applications were submitted straight away."""
    _check_payable(applications, by)
    total = sum((a.fee for a in applications), Decimal("0.00"))
    if total == 0:
        for application in applications:
            casework.submit(application, by=by)
        return None
    payment = _open_checkout(applications)
    if payment is None:
        refs = "-".join(sorted(a.reference for a in applications))
        payment = Payment(
            account_id=by.id,
            amount=total,
            gateway=get_gateway().name,
            idempotency_key=f"{hashlib.sha256(refs.encode()).hexdigest()[:16]}-{secrets.token_hex(8)}",
            items=[PaymentItem(application_id=a.id, amount=a.fee) for a in applications],
        )
        db.session.add(payment)
        db.session.flush()
    gateway = get_gateway()
    names = " and ".join(f"{a.program.name} {a.reference}" for a in applications)
    token = gateway.start(
        amount=payment.amount,
        tracking_id=payment.idempotency_key,
        description=f"Fee for {names}",
        return_url=return_url,
    )
    return gateway.redirect_url(token)


def finish_checkout(token: str, *, by) -> Payment:
    """Handle the gateway's return, once, however often and however late it arrives. Returns the payment:

    - completed: collected, and its applications submitted;
    - refunded: collected after the checkout changed under it (an application in it was removed, expired, or paid
      for and submitted by another payment), so the whole amount went back through the gateway and nothing was
      submitted; `explain_refund(payment)` says so to the traveler.

    A return for a payment already completed or refunded changes nothing (no second submission, no second refund).

    Raises:
        NotFound: the token is unknown, or the payment is not this person's (a forged or misrouted return).
        BusinessRuleViolation: the payment was declined or failed (or is not finished); the drafts are untouched.
    """
    gateway = get_gateway()
    result = gateway.complete(token)
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.idempotency_key == result.tracking_id)
        .with_for_update()  # two returns at once: the second waits for the first, then finds the payment handled
        .execution_options(populate_existing=True)
    )
    if payment is None or payment.account_id != by.id:
        raise NotFound(_("We could not find that payment."))
    if payment.status in ("completed", "refunded"):
        return payment
    if result.status == "refunded":
        # The gateway refunded it but our record of that was lost (its refund and our commit are not one
        # transaction): record it now, without refunding again.
        _record_refund(payment, result.reference, by=by)
        return payment
    if result.status == "completed":
        gone, paid_elsewhere = _changed_since_started(payment)
        if gone or paid_elsewhere:
            refund = gateway.refund(payment.idempotency_key)
            _record_refund(payment, refund.reference or result.reference, by=by)
            return payment
        payment.status = "completed"
        payment.gateway_reference = result.reference
        payment.completed_at = utcnow()
        record_event("payment.completed", "payment", payment.id, by=by, amount=str(payment.amount))
        for item in payment.items:
            casework.submit(item.application, by=by)
        db.session.flush()
        return payment
    if result.status in ("declined", "failed"):
        payment.status = result.status
        payment.failure_message = result.message
        db.session.flush()
    raise BusinessRuleViolation(result.message or _("The payment did not go through. You have not been charged."))


def _changed_since_started(payment: Payment) -> tuple[list[Application], list[Application]]:
    """What this payment can no longer submit: the applications that left the checkout (withdrawn: removed by the
    traveler, or expired) and those already submitted (paid for by another payment). Only an unfinished payment is
    asked: one this payment submitted itself is completed already."""
    applications = [item.application for item in payment.items]
    gone = [a for a in applications if a.status == Status.WITHDRAWN]
    paid_elsewhere = [a for a in applications if a.status not in (Status.DRAFT, Status.WITHDRAWN)]
    return gone, paid_elsewhere


def _record_refund(payment: Payment, reference: str | None, *, by) -> None:
    gone, paid_elsewhere = _changed_since_started(payment)
    payment.status = "refunded"
    payment.gateway_reference = reference
    record_event(
        "payment.refunded",
        "payment",
        payment.id,
        by=by,
        amount=str(payment.amount),
        reason="checkout_changed" if gone or paid_elsewhere else "refunded_by_gateway",
        applications={a.reference: a.status for a in gone + paid_elsewhere},
    )
    explanation = explain_refund(payment)
    notify(
        by,
        kind="payment_refunded",
        title=_l("We refunded your payment of $%(amount)s", amount=str(payment.amount)),
        body=explanation.message,
        link="/checkout" if explanation.drafts_remain else "/dashboard",
    )
    db.session.flush()


@dataclass(frozen=True)
class RefundExplanation:
    message: LazyString  # read in the reader's language (see notifications.service.notify)
    drafts_remain: bool  # whether anything is left in the traveler's checkout to pay for


def explain_refund(payment: Payment) -> RefundExplanation:
    """What the traveler is told about a refunded payment: what changed, that the whole amount went back and
    nothing was submitted, and whether to pay again for what remains in the checkout."""
    gone, paid_elsewhere = _changed_since_started(payment)
    drafts_remain = bool(casework.open_drafts(payment.items[0].application.profile))
    message = later(
        _refund_message,
        amount=str(payment.amount),
        gone=[a.program.name for a in gone],
        paid_elsewhere=[a.program.name for a in paid_elsewhere],
        drafts_remain=drafts_remain,
    )
    return RefundExplanation(message, drafts_remain)


def _programs(names: list[str]) -> str:
    """'TSA PreCheck and Global Entry', in the reader's language."""
    return format_list(names, locale=str(get_locale() or "en"))


def _refund_message(*, amount: str, gone: list[str], paid_elsewhere: list[str], drafts_remain: bool) -> str:
    if gone:
        what = _(
            "Your checkout changed while you were paying: it no longer includes %(programs)s. We refunded the full "
            "amount of $%(amount)s to your card and did not submit any application.",
            programs=_programs(gone),
            amount=amount,
        )
    elif paid_elsewhere:
        what = _(
            "You had already paid for %(programs)s in another payment. So that you are not charged twice, we "
            "refunded the full amount of $%(amount)s to your card and did not submit anything with this payment.",
            programs=_programs(paid_elsewhere),
            amount=amount,
        )
    else:
        what = _(
            "We refunded the full amount of $%(amount)s to your card and did not submit any application.", amount=amount
        )
    then = _("Pay again for what remains in your checkout.") if drafts_remain else _("Nothing is left to pay for.")
    return f"{what} {then}"


def record_completed_payment(application: Application, *, gateway: str, reference: str, by) -> Payment:
    """Record a fee collected outside the online gateway (at an enrollment center, or when loading demo data)."""
    payment = Payment(
        account_id=application.profile.account_id,
        amount=application.fee,
        gateway=gateway,
        status="completed",
        idempotency_key=f"{gateway}-{reference}",
        gateway_reference=reference,
        completed_at=utcnow(),
        items=[PaymentItem(application_id=application.id, amount=application.fee)],
    )
    db.session.add(payment)
    db.session.flush()
    record_event("payment.completed", "payment", payment.id, by=by, amount=str(payment.amount), gateway=gateway)
    return payment
