"""Collecting fees through the gateway. One checkout pays for one or more draft applications (both programs at
once is one payment). A double click, refresh, back button or retry never charges twice: an unfinished checkout
for the same applications is resumed, and completing a payment is idempotent."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db
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
    """Handle the gateway's return: record the outcome once and submit the applications when paid.

    Raises:
        NotFound: the token is unknown, or the payment is not this person's (a forged or misrouted return).
        BusinessRuleViolation: the payment was declined or failed; the drafts are untouched.
    """
    result = get_gateway().complete(token)
    payment = db.session.scalar(select(Payment).where(Payment.idempotency_key == result.tracking_id))
    if payment is None or payment.account_id != by.id:
        raise NotFound(_("We could not find that payment."))
    if result.status == "completed":
        if payment.status != "completed":
            payment.status = "completed"
            payment.gateway_reference = result.reference
            payment.completed_at = utcnow()
            record_event("payment.completed", "payment", payment.id, by=by, amount=str(payment.amount))
        for item in payment.items:
            if item.application.status == Status.DRAFT:
                casework.submit(item.application, by=by)
        db.session.flush()
        return payment
    if result.status in ("declined", "failed") and payment.status == "started":
        payment.status = result.status
        payment.failure_message = result.message
        db.session.flush()
    raise BusinessRuleViolation(result.message or _("The payment did not go through. You have not been charged."))


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
