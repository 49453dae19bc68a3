"""Collecting an application's fee through the gateway. A double click, refresh, back button or retry never
charges twice: one idempotency key per application attempt, and completion is idempotent."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.payments.gateway import get_gateway
from trusted_traveler.payments.models import Payment


def begin_payment(application: Application, *, by, return_url: str) -> str:
    """Start (or resume) collecting the fee; returns the URL to send the traveler to."""
    if application.status != Status.DRAFT:
        raise BusinessRuleViolation("This application has already been submitted.")
    if application.attested_at is None:
        raise BusinessRuleViolation("Confirm the declaration before paying.")
    gateway = get_gateway()
    payment = db.session.scalar(
        select(Payment).where(Payment.application_id == application.id, Payment.status == "started")
    )
    if payment is None:
        payment = Payment(
            application_id=application.id,
            amount=application.fee,
            gateway=gateway.name,
            idempotency_key=f"{application.reference}-{secrets.token_hex(6)}",
        )
        db.session.add(payment)
        db.session.flush()
    token = gateway.start(
        amount=payment.amount,
        tracking_id=payment.idempotency_key,
        description=f"{application.program.name} application {application.reference}",
        return_url=return_url,
    )
    return gateway.redirect_url(token)


def finish_payment(application: Application, *, by, token: str) -> Payment:
    """Handle the gateway's return: record the outcome once and submit the application when paid.

    Raises:
        BusinessRuleViolation: the payment was declined or failed (the draft is untouched).
    """
    gateway = get_gateway()
    result = gateway.complete(token)
    payment = db.session.scalar(
        select(Payment).where(Payment.application_id == application.id, Payment.idempotency_key == result.tracking_id)
    )
    if payment is None:  # a token for someone else's payment, or a forged one
        raise BusinessRuleViolation("That payment does not belong to this application.")
    if result.status == "completed":
        if payment.status != "completed":
            payment.status = "completed"
            payment.gateway_reference = result.reference
            payment.completed_at = utcnow()
            record_event("payment.completed", "payment", payment.id, by=by, amount=str(payment.amount))
        if application.status == Status.DRAFT:
            casework.submit(application, by=by)
        db.session.flush()
        return payment
    if result.status in ("declined", "failed") and payment.status == "started":
        payment.status = result.status
        payment.failure_message = result.message
        db.session.flush()
    raise BusinessRuleViolation(result.message or "The payment did not go through. You have not been charged.")


def record_completed_payment(application: Application, *, gateway: str, reference: str, by) -> Payment:
    """Record a fee collected outside the online gateway (at an enrollment center, or when loading demo data)."""
    payment = Payment(
        application_id=application.id,
        amount=application.fee,
        gateway=gateway,
        status="completed",
        idempotency_key=f"{gateway}-{reference}",
        gateway_reference=reference,
        completed_at=utcnow(),
    )
    db.session.add(payment)
    db.session.flush()
    record_event("payment.completed", "payment", payment.id, by=by, amount=str(payment.amount), gateway=gateway)
    return payment
