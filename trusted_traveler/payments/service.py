"""Collecting fees through the gateway. One checkout pays for one or more draft applications (both programs at
once is one payment). A double click, refresh, back button or retry never charges twice: an unfinished checkout
for the same applications is resumed, and completing a payment is idempotent.

The card is charged on the gateway's own page, so by the time its return reaches us the money is collected. A
return that arrives late, after the checkout changed under it (an application in it was removed, expired, or was
paid for and submitted by another payment), gets the whole payment refunded through the gateway and submits
nothing: the traveler pays again for what remains. A return that arrives again changes nothing.

Fees are not fixed when a draft is opened (drafts are kept for months): each is worked out again from the values
in force that day when checkout begins and again when the payment returns, before anything is submitted. A fee that
changed since the traveler last saw it is never charged silently: checkout stops and says so (`FeeChanged`), and a
return paid at the old amount is refunded in full, as above, with the new amount named.

Eligibility is not fixed either: the traveler can change their profile after choosing a program, and rules change.
Each draft is judged again by the rules in force (casework.judge) when checkout begins, before any charge: one the
person can no longer apply for stops the checkout with the reasons (casework.NoLongerEligible), and the draft is
kept, to correct the profile or remove it. A return for a draft judged ineligible when it arrives is refunded in
full, as above, with the reasons, and submits nothing; so is one for a draft that a membership the person holds by
then already includes (PreCheck, once their Global Entry application was approved: casework.included_drafts), with
the included program's message. The answer judged at the return is the one each application is submitted with.

A return that never arrives (the tab closed before the redirect, a network drop) loses nothing: `reconcile` asks
the gateway about every unfinished payment older than half an hour and settles it exactly as its return would have
(`settle`, the one code path for both), then tells the traveler. A return that comes after the sweep is a repeat."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass, fields
from decimal import Decimal

from babel.lists import format_list
from flask_babel import LazyString, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.i18n import later
from trusted_traveler.locking import locked
from trusted_traveler.notifications.service import notify
from trusted_traveler.payments.gateway import SESSION_LIFETIME, CompletionResult, PaymentGateway, get_gateway
from trusted_traveler.payments.models import Payment, PaymentItem
from trusted_traveler.profiles.service import age_of_majority

log = logging.getLogger(__name__)

SETTLED = ("completed", "refunded")  # the money's story is over: nothing about the payment changes again
# Nothing collected as far as we know, but the gateway's page may still take (or have taken) a charge.
UNSETTLED = ("started", "declined", "failed")
RECONCILE_AFTER = dt.timedelta(minutes=30)  # long enough that the traveler is no longer on the card page


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
    """A started payment covering exactly these applications at their fees, if there is one."""
    wanted = sorted((a.id, a.fee) for a in applications)
    candidates = db.session.scalars(
        select(Payment)
        .join(PaymentItem)
        .where(
            Payment.status == "started",
            Payment.created_at > utcnow() - SESSION_LIFETIME,  # its card page can still be paid
            PaymentItem.application_id.in_([application_id for application_id, _fee in wanted]),
        )
        .distinct()
    )
    return next((p for p in candidates if sorted((i.application_id, i.amount) for i in p.items) == wanted), None)


class FeeChanged(BusinessRuleViolation):
    """A fee in the checkout is not the one the traveler last saw: nothing was charged or submitted, and the message
    names the new amounts."""


def begin_checkout(applications: list[Application], *, by, return_url: str, today: dt.date | None = None) -> str | None:
    """Start (or resume) paying for `applications`; returns the gateway URL to send the traveler to, or None when
    nothing is owed (every fee is waived) and the applications were submitted straight away.

    Each fee is worked out again first, from the values in force `today` (casework.reprice), with this checkout as
    the one a parent's application may be paid in. When one differs from the fee the traveler was shown (the
    application's fee until now), nothing is charged or submitted: the new fees are flushed and FeeChanged says what
    changed; the caller commits them (so the checkout shows them) rather than rolling back.

    Before that, each is judged again by the rules in force `today` (casework.judge, which keeps the answer as its
    snapshot): when the person can no longer apply for one, nothing is charged or submitted, the drafts are kept and
    NoLongerEligible gives the reasons; the caller commits the new answers, as for FeeChanged.

    Raises:
        casework.NoLongerEligible: the person cannot apply now for a program in the checkout, a membership they
            hold already includes it (casework.refuse_included), or their membership of it was revoked
            (casework.refuse_revoked).
        FeeChanged: a fee changed since the traveler last saw it.
        BusinessRuleViolation: nothing to pay for, or a draft that cannot be paid for (submitted, not attested).
    """
    _check_payable(applications, by)
    today = today or service_today()
    casework.refuse_included(applications, today=today)
    casework.refuse_revoked(applications)
    answers = [(a, casework.judge(a, today=today, by=by)) for a in applications]
    ineligible = [(a, answer) for a, answer in answers if answer["outcome"] == "ineligible"]
    if ineligible:
        db.session.flush()
        raise casework.NoLongerEligible(_ineligible_message(ineligible))
    before = {a.id: (a.fee, a.fee_waiver_reason) for a in applications}
    changed = [a for a in applications if casework.reprice(a, today=today, paying_with=applications, by=by)]
    if changed:
        message = _fee_change_message(
            [(a.program.name, before[a.id][0], a.fee) for a in changed],
            waiver_lost=any(before[a.id][1] is not None and a.fee_waiver_reason is None for a in changed),
            today=today,
        )
        db.session.flush()
        raise FeeChanged(message)
    total = sum((a.fee for a in applications), Decimal("0.00"))
    if total == 0:
        for application, answer in answers:
            casework.submit(application, by=by, today=today, paying_with=applications, judged=answer)
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
    token = gateway.start(
        amount=payment.amount,
        tracking_id=payment.idempotency_key,
        # shown to the traveler on the gateway's page, so in their language
        description=_(
            "Fee for %(applications)s",
            applications=_programs([f"{a.program.name} {a.reference}" for a in applications]),
        ),
        return_url=return_url,
    )
    return gateway.redirect_url(token)


def finish_checkout(token: str, *, by) -> Payment:
    """Handle the gateway's return, once, however often and however late it arrives. Returns the payment:

    - completed: collected, and its applications submitted;
    - refunded: collected after the checkout changed under it (an application in it was removed, expired, or paid
      for and submitted by another payment, a fee changed, the person can no longer apply for a program in it or
      holds a membership that now includes it), so the whole amount went back through the gateway and nothing was
      submitted; `explain_refund(payment)` says so to the traveler.

    A return for a payment already completed or refunded changes nothing (no second submission, no second refund).

    Raises:
        NotFound: the token is unknown, or the payment is not this person's (a forged or misrouted return).
        BusinessRuleViolation: the payment was declined or failed (or is not finished); the drafts are untouched.
    """
    gateway = get_gateway()
    result = gateway.complete(token)
    # Two returns at once, or a return beside the sweep: the second waits for the first, then finds it handled.
    payment = _locked_payment(Payment.idempotency_key == result.tracking_id)
    if payment is None or payment.account_id != by.id:
        raise NotFound(_("We could not find that payment."))
    settle(payment, result, gateway=gateway, by=by, now=utcnow())
    if payment.status in SETTLED:
        return payment
    raise BusinessRuleViolation(failure_message(result.status))


def failure_message(status: str) -> str:
    """What we tell the traveler when the gateway answers `status` instead of "completed", in our own words and
    their language. The gateway's own message (`CompletionResult.message`) is kept on the payment, for staff."""
    if status == "declined":
        return _("Your card was declined. Try another card or contact your bank.")
    if status == "failed":
        return _("The payment processor had an error. You have not been charged. Try again.")
    if status == "expired":
        return _("This payment session has expired. You have not been charged. Start the payment again.")
    return _("The payment did not go through. You have not been charged.")


def settle(
    payment: Payment, result: CompletionResult, *, gateway: PaymentGateway, by, now: dt.datetime, **context
) -> None:
    """Record once what the gateway says became of `payment`: the one code path for a return (`by` is the traveler)
    and for the reconciliation sweep (`by` is None, the system; `context` adds via="reconciliation" to its audit
    events). The caller holds the payment's row lock and commits. A settled payment (completed or refunded) is
    left as it is, so a repeated return, or a return after the sweep, changes nothing.

    - completed, and every application is still a draft: the payment is completed and they are submitted (by the
      traveler, whose checkout it is, even when the sweep finishes it for them);
    - completed, but the checkout changed meanwhile, or a fee is no longer what it paid (each draft's fee is worked
      out again first, from the values in force today: a waiver whose condition no longer holds is gone), or the
      person can no longer apply for a program in it (each draft is judged again too, once: that answer is the one
      it is submitted with), or a membership they hold now includes one (casework.included_drafts): the whole
      amount is refunded through the gateway;
    - refunded already at the gateway (our record of it was lost): recorded, without refunding again;
    - declined or failed: recorded, the drafts untouched (the card page may still take another card);
    - expired, or still unpaid when the session's lifetime is over: a started payment is abandoned.
    """
    if payment.status in SETTLED:
        return
    today = service_today()
    answers = {}
    if result.status == "completed":  # before anything is submitted: what each draft costs now, and may it go on
        answers = _rework(payment, by=by, today=today)
    if result.status == "refunded":
        # The gateway refunded it but our record of that was lost (its refund and our commit are not one
        # transaction): record it now, without refunding again.
        _record_refund(payment, result.reference, by=by, **context)
    elif result.status == "completed":
        if any(_changed_since_started(payment)):
            refund = gateway.refund(payment.idempotency_key)
            _record_refund(payment, refund.reference or result.reference, by=by, **context)
        else:
            _record_completion(payment, result.reference, by=by, today=today, answers=answers, **context)
    elif result.status in ("declined", "failed"):
        if payment.status != result.status:
            record_event(
                f"payment.{result.status}", "payment", payment.id, by=by, amount=str(payment.amount), **context
            )
        payment.status = result.status
        payment.failure_message = result.message
    elif payment.status == "started" and (
        result.status == "expired" or (result.status == "pending" and payment.created_at <= now - SESSION_LIFETIME)
    ):
        payment.status = "abandoned"  # never paid, and its card page can no longer be: not asked about again
        record_event("payment.abandoned", "payment", payment.id, by=by, amount=str(payment.amount), **context)
    db.session.flush()


def _locked_payment(*where, skip_locked: bool = False) -> Payment | None:
    """The payment matching `where`, read afresh and locked until the commit (locking.locked; with `skip_locked`, a
    payment someone else holds is passed over, as None): the next settler waits for this commit and then reads it."""
    return db.session.scalar(locked(Payment, *where, skip_locked=skip_locked))


def _payer(payment: Payment):
    """The traveler whose checkout this is (the account that started it)."""
    return payment.items[0].application.profile.account


def _record_completion(
    payment: Payment, reference: str | None, *, by, today: dt.date, answers: dict[int, dict], **context
) -> None:
    """Complete `payment` and submit its applications, each with the answer `_rework` judged it by (`answers`, by
    application id)."""
    payment.status = "completed"
    payment.gateway_reference = reference
    payment.completed_at = utcnow()
    record_event("payment.completed", "payment", payment.id, by=by, amount=str(payment.amount), **context)
    payer = _payer(payment)
    applications = [item.application for item in payment.items]
    for application in applications:  # submitting is the traveler's move, paid for by them
        casework.submit(
            application, by=by or payer, today=today, paying_with=applications, judged=answers[application.id]
        )
    if by is None:  # the traveler left before the return: they never saw the confirmation page
        notify(
            payer,
            kind="payment_received",
            title=_l("We received your payment of $%(amount)s", amount=str(payment.amount)),
            body=later(
                _receipt_message,
                amount=str(payment.amount),
                programs=[item.application.program.name for item in payment.items],
            ),
            link="/dashboard",
        )


def _receipt_message(*, amount: str, programs: list[str]) -> str:
    return _(
        "Your payment of $%(amount)s went through after you left the payment page. We finished your checkout for "
        "you and submitted what it paid for: %(programs)s.",
        amount=amount,
        programs=_programs(programs),
    )


def _rework(payment: Payment, *, by, today: dt.date) -> dict[int, dict]:
    """Bring the fee of each draft this payment is for to the value in force `today` (casework.reprice), with the
    payment's own applications as the checkout a parent's application may be paid in, and judge each again by the
    rules in force `today` (casework.judge). Returns each one's answer by application id, to submit it with."""
    applications = [item.application for item in payment.items]
    answers = {}
    for application in applications:
        casework.reprice(application, today=today, paying_with=applications, by=by)
        answers[application.id] = casework.judge(application, today=today, by=by)
    return answers


def _ineligible(application: Application) -> bool:
    """A draft whose latest answer (casework.judge) is that its person cannot apply for its program."""
    snapshot = application.eligibility_snapshot or {}
    return application.status == Status.DRAFT and snapshot.get("outcome") == "ineligible"


def _changed_since_started(
    payment: Payment,
) -> tuple[list[Application], list[Application], list[PaymentItem], list[Application], list[tuple]]:
    """What this payment can no longer submit: the applications that left the checkout (withdrawn: removed by the
    traveler, or expired), those already submitted (paid for by another payment), the items of drafts whose fee
    is no longer the amount paid for them, the drafts their person can no longer apply for (see `_rework`), and
    the drafts a membership the person holds today already includes, each with that membership and the day its
    number works until (casework.included_drafts). Only an unfinished payment is asked: one this payment
    submitted itself is completed already."""
    applications = [item.application for item in payment.items]
    gone = [a for a in applications if a.status == Status.WITHDRAWN]
    paid_elsewhere = [a for a in applications if a.status not in (Status.DRAFT, Status.WITHDRAWN)]
    repriced = [i for i in payment.items if i.application.status == Status.DRAFT and i.amount != i.application.fee]
    ineligible = [a for a in applications if _ineligible(a)]
    included = casework.included_drafts(applications, today=service_today())
    return gone, paid_elsewhere, repriced, ineligible, included


def _record_refund(payment: Payment, reference: str | None, *, by, **context) -> None:
    gone, paid_elsewhere, repriced, ineligible, included = _changed_since_started(payment)
    payment.status = "refunded"
    payment.gateway_reference = reference
    if repriced:  # what each was paid at, and what it costs now
        fees = {i.application.reference: {"paid": str(i.amount), "now": str(i.application.fee)} for i in repriced}
        context = {"fees": fees, **context}
    if ineligible:  # the answer that stopped each
        context = {"eligibility": {a.reference: a.eligibility_snapshot for a in ineligible}, **context}
    if included:  # the Known Traveler Number that already covers each
        context = {"included": {a.reference: membership.ktn for a, membership, _until in included}, **context}
    record_event(
        "payment.refunded",
        "payment",
        payment.id,
        by=by,
        amount=str(payment.amount),
        reason=(
            "checkout_changed"
            if gone or paid_elsewhere
            else "included"
            if included
            else "ineligible"
            if ineligible
            else "fee_changed"
            if repriced
            else "refunded_by_gateway"
        ),
        applications={a.reference: a.status for a in gone + paid_elsewhere},
        **context,
    )
    explanation = explain_refund(payment)
    notify(
        _payer(payment),
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
    gone, paid_elsewhere, repriced, ineligible, included = _changed_since_started(payment)
    drafts_remain = bool(casework.open_drafts(payment.items[0].application.profile))
    message = later(
        _refund_message,
        amount=str(payment.amount),
        gone=[a.program.name for a in gone],
        paid_elsewhere=[a.program.name for a in paid_elsewhere],
        ineligible=[(a.program.name, a.program.code, a.eligibility_snapshot) for a in ineligible],
        included=[(membership, a.program, until) for a, membership, until in included],
        repriced=[(i.application.program.name, str(i.amount), str(i.application.fee)) for i in repriced],
        waiver_age=age_of_majority(service_today()) if any(_waiver_lost(i) for i in repriced) else None,
        drafts_remain=drafts_remain,
    )
    return RefundExplanation(message, drafts_remain)


def _programs(names: list[str]) -> str:
    """'TSA PreCheck and Global Entry', in the reader's language."""
    return format_list(names, locale=str(get_locale() or "en"))


def _waiver_lost(item: PaymentItem) -> bool:
    """A minor's fee paid at less than it now costs, with no waiver now: the waiver's condition no longer holds."""
    application = item.application
    return (
        application.fee_waiver_reason is None
        and item.amount < application.fee
        and application.profile.guardian_profile_id is not None
    )


def _fee_changes(changes: list[tuple[str, object, object]]) -> str:
    """'Global Entry is now $120.00 (it was $0.00)', one for each (program, old fee, new fee), as a list."""
    return _programs(
        [_("%(program)s is now $%(new)s (it was $%(old)s)", program=p, new=new, old=old) for p, old, new in changes]
    )


def _waiver_rule(age_of_majority: int) -> str:
    return _(
        "The fee is waived only for applicants under %(age)s whose parent or guardian is a Global Entry member or "
        "has already submitted and paid for their own application.",
        age=age_of_majority,
    )


def _fee_change_message(changes: list[tuple[str, object, object]], *, waiver_lost: bool, today: dt.date) -> str:
    """What begin_checkout tells the traveler when a fee changed since they last saw it."""
    parts = [_("The fee changed since you last saw it: %(changes)s.", changes=_fee_changes(changes))]
    if waiver_lost:
        parts.append(_waiver_rule(age_of_majority(today)))
    parts.append(_("You have not been charged. Check the new total and confirm again."))
    return " ".join(parts)


def _ineligible_message(ineligible: list[tuple[Application, dict]]) -> str:
    """What begin_checkout tells the traveler when they can no longer apply for a program in the checkout: each
    one's reasons (the rule engine's answer), that nothing was charged, and what they can do."""
    parts = [
        casework.cannot_apply(a.program.name, [r["message"] for r in answer["reasons"]]) for a, answer in ineligible
    ]
    parts.append(
        _(
            "You have not been charged. If something in your profile is wrong, correct it and confirm again; "
            "otherwise remove %(programs)s from your checkout.",
            programs=_programs([a.program.name for a, _answer in ineligible]),
        )
    )
    return " ".join(parts)


def _refunded_all(amount: str) -> str:
    return _(
        "We refunded the full amount of $%(amount)s to your card and did not submit any application.", amount=amount
    )


def _refund_message(
    *,
    amount: str,
    gone: list[str],
    paid_elsewhere: list[str],
    drafts_remain: bool,
    repriced: list[tuple[str, str, str]] = (),
    waiver_age: int | None = None,
    ineligible: list[tuple[str, str, dict]] = (),
    included: list[tuple] = (),
) -> str:
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
    elif included:  # (membership, the program it includes, the day its number works until)
        messages = [casework.included_message(membership, program, until) for membership, program, until in included]
        then = _(
            "Remove %(programs)s from your checkout.",
            programs=_programs([program.name for _membership, program, _until in included]),
        )
        return " ".join([*messages, _refunded_all(amount), then])
    elif ineligible:  # (program name, code, its eligibility snapshot): the reasons in the reader's language
        names = _programs([name for name, _code, _snapshot in ineligible])
        what = _(
            "Before submitting, we checked your profile again against the rules in force today: you can no longer "
            "apply for %(programs)s. We refunded the full amount of $%(amount)s to your card and did not submit any "
            "application.",
            programs=names,
            amount=amount,
        )
        reasons = [
            casework.cannot_apply(name, casework.snapshot_reasons(code, snap)) for name, code, snap in ineligible
        ]
        then = _(
            "If something in your profile is wrong, correct it and pay again; otherwise remove %(programs)s from your "
            "checkout.",
            programs=names,
        )
        return " ".join([what, *reasons, then])
    elif repriced:
        what = _(
            "While you were paying, the fee changed: %(changes)s. We refunded the full amount of $%(amount)s to your "
            "card and did not submit any application.",
            changes=_fee_changes(repriced),
            amount=amount,
        )
        if waiver_age is not None:  # the fee was waived: say when it is
            what = f"{what} {_waiver_rule(waiver_age)}"
    else:
        what = _refunded_all(amount)
    then = _("Pay again for what remains in your checkout.") if drafts_remain else _("Nothing is left to pay for.")
    return f"{what} {then}"


@dataclass
class ReconcileResult:
    """What one sweep did, a count of payments each."""

    submitted: int = 0  # collected: completed, and their applications submitted
    refunded: int = 0  # collected after the checkout changed (or refunded at the gateway): refunded
    declined: int = 0  # declined or failed
    abandoned: int = 0  # never paid, and the session is over
    unchanged: int = 0  # still open on the gateway's page, or a decline still a decline: asked again next time
    skipped: int = 0  # being settled meanwhile by a return or another worker
    errors: int = 0  # the gateway did not answer, or settling failed: rolled back, asked again next time

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


def reconcile(now: dt.datetime, *, older_than: dt.timedelta = RECONCILE_AFTER) -> ReconcileResult:
    """Settle payments whose return never reached us: ask the gateway about each unfinished payment started more
    than `older_than` ago (started ones; declined or failed ones while their card page could still take another
    card) and settle it as its return would have (`settle`). Abandons started payments nobody paid in the
    session's lifetime, so they are not asked about again.

    Each payment is its own transaction, committed here (a refund at the gateway is recorded at once, and one
    gateway error does not undo the others), under its row lock: on PostgreSQL a payment locked by a return or
    another worker is skipped (SKIP LOCKED), so two sweeps at once, or a sweep beside a return, settle it once.
    Idempotent: a second run finds nothing more to do."""
    gateway = get_gateway()
    due = db.session.scalars(
        select(Payment.id)
        .where(
            Payment.gateway == gateway.name,
            Payment.created_at <= now - older_than,
            or_(
                Payment.status == "started",
                and_(
                    Payment.status.in_(("declined", "failed")),
                    Payment.created_at > now - SESSION_LIFETIME - older_than,  # one last look after it expired
                ),
            ),
        )
        .order_by(Payment.id)
    ).all()
    db.session.commit()  # end the reading transaction: each payment gets its own
    result = ReconcileResult()
    for payment_id in due:
        try:
            outcome = _reconcile_one(payment_id, gateway, now)
            db.session.commit()
        except Exception:  # any failure (the gateway down, a refund refused) is retried on the next run
            db.session.rollback()
            log.exception("payment reconciliation failed", extra={"payment_id": payment_id})
            outcome = "errors"
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _reconcile_one(payment_id: int, gateway: PaymentGateway, now: dt.datetime) -> str:
    # A return holding this row (or another worker) settles it; this sweep moves on instead of waiting.
    payment = _locked_payment(Payment.id == payment_id, Payment.status.in_(UNSETTLED), skip_locked=True)
    if payment is None:
        return "skipped"
    before = payment.status
    try:
        answer = gateway.status_of(payment.idempotency_key)
    except NotFound:  # the gateway never registered it: nothing can have been collected
        answer = CompletionResult("pending", payment.idempotency_key, None)
    settle(payment, answer, gateway=gateway, by=None, now=now, via="reconciliation")
    if payment.status == before:
        return "unchanged"
    return {"completed": "submitted", "failed": "declined"}.get(payment.status, payment.status)


def receipts_for(applications: list[Application]) -> list[Payment]:
    """The completed payments that paid for any of `applications`, oldest first, each with its items and their
    programs loaded: the traveler's receipts. (A refunded payment submitted nothing; the checkout said so then.)"""
    ids = [application.id for application in applications]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.status == "completed",
                Payment.id.in_(select(PaymentItem.payment_id).where(PaymentItem.application_id.in_(ids))),
            )
            .options(selectinload(Payment.items).joinedload(PaymentItem.application).joinedload(Application.program))
            .order_by(Payment.completed_at, Payment.id)
        )
    )


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
