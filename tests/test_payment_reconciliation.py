"""A charge whose return never reaches us loses nothing: the reconciliation sweep asks the gateway about every
unfinished payment older than half an hour (Pay.gov lets an agency look a collection up by its tracking id) and
settles it exactly as the return would have: paid → the drafts submitted; paid after the checkout changed →
refunded; declined → recorded; never paid within the session's 24 hours → abandoned. Each settlement is audited as
the system's, the traveler is told where money moved, a return arriving afterwards is a repeat, and a second sweep
changes nothing."""

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from tests.factories import create_account, create_profile, sign_in
from tests.support.overlap import two_runs_at_once
from tests.test_payments import _payments, _sandbox, _statuses
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.payments import service
from trusted_traveler.payments.models import Payment
from trusted_traveler.payments.sandbox import SandboxGateway, SandboxTransaction
from trusted_traveler.payments.service import ReconcileResult, reconcile

CARD = {"cardholder": "Luz Rivera", "expiry": "12/39", "security_code": "123"}
APPROVED, DECLINED = "4111111111111111", "4000000000000002"
RECEIPT = (
    "Your payment of $198.00 went through after you left the payment page. We finished your checkout for you and "
    "submitted what it paid for: TSA PreCheck and Global Entry."
)
REMOVED_GE = (
    "Your checkout changed while you were paying: it no longer includes Global Entry. We refunded the full amount of "
    "$198.00 to your card and did not submit any application. Pay again for what remains in your checkout."
)


@pytest.fixture
def drafts(app, client):
    """A signed-in traveler with drafts for both programs ($78 + $120), ready to pay."""
    with app.app_context():
        create_profile(create_account("payer@example.com"))
        db.session.commit()
    sign_in(client, "payer@example.com")
    assert client.post("/apply", data={"programs": ["precheck", "global_entry"]}).headers["Location"] == "/checkout"


def _start_paying(client):
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    assert pay_url.startswith("/sandbox/pay/")
    return pay_url


def _pay_on_card_page(client, pay_url, card_number=APPROVED):
    """Charge the card on the gateway's page; returns the return URL the traveler's browser never reaches."""
    return client.post(pay_url, data={**CARD, "card_number": card_number}).headers["Location"]


def _time_passes(app, **elapsed):
    """Move every payment and gateway session back by `elapsed`, as if that long had passed since they began."""
    with app.app_context():
        for row in [*db.session.scalars(select(Payment)), *db.session.scalars(select(SandboxTransaction))]:
            row.created_at -= dt.timedelta(**elapsed)
        db.session.commit()


def _sweep(app, **kwargs) -> ReconcileResult:
    with app.app_context():
        return reconcile(utcnow(), **kwargs)


def _done(**counts) -> ReconcileResult:
    return ReconcileResult(**counts)


def _reference(app, code):
    with app.app_context():
        return db.session.scalar(select(Application.reference).where(Application.program.has(code=code)))


def _events(app, action):
    """(by a person?, details) of each audit event `action`."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [(e.actor_id is not None, e.details) for e in events]


def _notices(app, kind):
    with app.app_context():
        notes = db.session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        ).all()
        emails = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == f"email.{kind}").order_by(OutboxMessage.id)
        ).all()
        return [(n.title, n.body, n.link) for n in notes], [(m.payload["subject"], m.payload["body"]) for m in emails]


def _submissions(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).where(StatusEvent.to_status == "submitted"))


def test_a_charge_whose_return_never_arrived_is_submitted_by_the_sweep_audited_and_the_traveler_told(
    app, client, drafts
):
    _pay_on_card_page(client, _start_paying(client))  # charged; the tab closes before the redirect

    assert _sweep(app) == _done()  # under half an hour: the traveler may still be on the card page
    assert _payments(app) == [("198.00", "started")]

    _time_passes(app, minutes=31)
    assert _sweep(app) == _done(submitted=1)

    assert _payments(app) == [("198.00", "completed")]
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "conditionally_approved"}
    assert _events(app, "payment.completed") == [(False, {"amount": "198.00", "via": "reconciliation"})]
    assert _notices(app, "payment_received") == (
        [("We received your payment of $198.00", RECEIPT, "/dashboard")],
        [("We received your payment of $198.00", RECEIPT)],
    )
    with app.app_context():  # submitted as the traveler's own move, which their payment made
        payer = db.session.scalar(select(Payment.account_id))
        actors = db.session.scalars(select(StatusEvent.actor_id).where(StatusEvent.to_status == "submitted")).all()
        assert actors == [payer, payer]


def test_a_return_arriving_after_the_sweep_is_a_repeat_nothing_is_submitted_twice(app, client, drafts):
    return_url = _pay_on_card_page(client, pay_url := _start_paying(client))
    _time_passes(app, minutes=31)
    _sweep(app)

    response = client.get(return_url)  # the browser's retried redirect, long after

    assert response.headers["Location"].startswith("/submitted?refs=")
    assert _submissions(app) == 2  # one each, by the sweep
    assert len(_events(app, "payment.completed")) == 1 and len(_notices(app, "payment_received")[0]) == 1
    assert _sandbox(app) == [("198.00", "completed")]
    # The card page of a paid session sends the traveler straight back rather than showing the form again.
    assert client.get(pay_url).headers["Location"] == return_url


def test_running_the_sweep_twice_changes_nothing(app, client, drafts):
    _pay_on_card_page(client, _start_paying(client))
    _time_passes(app, minutes=31)
    assert _sweep(app) == _done(submitted=1)
    with app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(t)) for t in (AuditEvent, Notification)]

    assert _sweep(app) == _done()

    with app.app_context():
        assert [db.session.scalar(select(func.count()).select_from(t)) for t in (AuditEvent, Notification)] == before
    assert _submissions(app) == 2 and _payments(app) == [("198.00", "completed")]


def test_paid_after_the_checkout_changed_and_never_returned_is_refunded_once(app, client, drafts):
    pay_url = _start_paying(client)
    client.post(f"/checkout/{_reference(app, 'global_entry')}/remove")  # in another tab
    return_url = _pay_on_card_page(client, pay_url)
    _time_passes(app, minutes=31)

    assert _sweep(app) == _done(refunded=1)

    assert _payments(app) == [("198.00", "refunded")] and _sandbox(app) == [("198.00", "refunded")]
    assert _statuses(app) == {"precheck": "draft", "global_entry": "withdrawn"}  # nothing submitted
    ge = _reference(app, "global_entry")
    assert _events(app, "payment.refunded") == [
        (
            False,
            {
                "amount": "198.00",
                "reason": "checkout_changed",
                "applications": {ge: "withdrawn"},
                "via": "reconciliation",
            },
        )
    ]
    assert _notices(app, "payment_refunded") == (
        [("We refunded your payment of $198.00", REMOVED_GE, "/checkout")],
        [("We refunded your payment of $198.00", REMOVED_GE)],
    )

    # The late return says the same and refunds nothing more; the card page of a refunded session sends them back.
    assert REMOVED_GE in client.get(return_url, follow_redirects=True).get_data(as_text=True)
    assert client.get(pay_url).headers["Location"] == return_url
    assert len(_events(app, "payment.refunded")) == 1 and len(_notices(app, "payment_refunded")[0]) == 1
    assert _sweep(app) == _done()


def test_a_decline_whose_return_never_arrived_is_recorded_and_a_later_card_on_that_page_still_counts(
    app, client, drafts
):
    pay_url = _start_paying(client)
    _pay_on_card_page(client, pay_url, DECLINED)
    _time_passes(app, minutes=31)

    assert _sweep(app) == _done(declined=1)

    assert _payments(app) == [("198.00", "declined")]
    assert _events(app, "payment.declined") == [(False, {"amount": "198.00", "via": "reconciliation"})]
    assert _statuses(app) == {"precheck": "draft", "global_entry": "draft"}
    assert _notices(app, "payment_received") == ([], []) and _notices(app, "payment_refunded") == ([], [])
    assert _sweep(app) == _done(unchanged=1)  # still a decline: its card page may yet take another card

    _pay_on_card_page(client, pay_url)  # the traveler tries another card on the same page; that return is lost too
    assert _sweep(app) == _done(submitted=1)
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "conditionally_approved"}


def test_a_payment_never_made_is_abandoned_after_24_hours_and_not_asked_about_again(app, client, drafts):
    pay_url = _start_paying(client)  # on the card page, never pays
    _time_passes(app, minutes=31)
    assert _sweep(app) == _done(unchanged=1)

    _time_passes(app, hours=24)
    assert _sweep(app) == _done(abandoned=1)

    assert _payments(app) == [("198.00", "abandoned")]
    assert _events(app, "payment.abandoned") == [(False, {"amount": "198.00", "via": "reconciliation"})]
    assert _statuses(app) == {"precheck": "draft", "global_entry": "draft"}
    assert _notices(app, "payment_received") == ([], [])  # no money moved
    assert _sweep(app) == _done()
    # Its card page takes no card now: it sends the traveler back, where they learn it expired and pay afresh.
    back = client.get(pay_url).headers["Location"]
    assert "expired" in client.get(back, follow_redirects=True).get_data(as_text=True)
    assert _start_paying(client) != pay_url
    assert _payments(app) == [("198.00", "abandoned"), ("198.00", "started")]


def test_a_gateway_that_does_not_answer_for_one_payment_leaves_it_for_the_next_run(app, client, drafts, monkeypatch):
    _pay_on_card_page(client, _start_paying(client))
    _time_passes(app, minutes=31)
    answer = SandboxGateway.status_of

    def down(self, tracking_id):
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(SandboxGateway, "status_of", down)
    assert _sweep(app) == _done(errors=1)
    assert _payments(app) == [("198.00", "started")] and _statuses(app)["precheck"] == "draft"

    monkeypatch.setattr(SandboxGateway, "status_of", answer)
    assert _sweep(app) == _done(submitted=1)


def test_two_sweeps_at_once_settle_a_payment_once(app, client, drafts, monkeypatch):
    """Two workers (or the command beside a worker) both list the same payment: one settles it, the other passes it
    over (PostgreSQL: SKIP LOCKED; SQLite: it waits for the first's commit, then finds it settled)."""
    _pay_on_card_page(client, _start_paying(client))
    _time_passes(app, minutes=31)
    both_listed = threading.Barrier(2, timeout=10)
    settle_one = service._reconcile_one

    def after_both_listed(*args):
        both_listed.wait()
        return settle_one(*args)

    monkeypatch.setattr(service, "_reconcile_one", after_both_listed)
    # the gateway slowed: the other sweep reaches the payment meanwhile
    results, _ = two_runs_at_once(app, lambda: reconcile(utcnow()), monkeypatch, (SandboxGateway, "status_of"))

    assert sorted((r.submitted, r.skipped) for r in results) == [(0, 1), (1, 0)], results
    assert _submissions(app) == 2 and len(_events(app, "payment.completed")) == 1
    assert len(_notices(app, "payment_received")[0]) == 1


def test_flask_reconcile_payments_settles_them_and_says_what_it_did(app, client, drafts):
    _pay_on_card_page(client, _start_paying(client))
    runner = app.test_cli_runner()

    assert "submitted 0" in runner.invoke(args=["reconcile-payments"]).output  # too recent
    result = runner.invoke(args=["reconcile-payments", "--older-than", "0"])

    assert result.exit_code == 0, result.output
    assert "Reconciled payments: submitted 1, refunded 0, declined 0, abandoned 0" in result.output
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "conditionally_approved"}


def test_the_worker_runs_the_sweep(app, client, drafts):
    _pay_on_card_page(client, _start_paying(client))
    _time_passes(app, minutes=31)

    result = app.test_cli_runner().invoke(args=["worker", "--once", "--slot-weeks", "0", "--interval", "0.05"])

    assert "reconciled payments: submitted 1" in result.output, result.output
    assert _payments(app) == [("198.00", "completed")]


def test_a_spanish_speaking_traveler_is_told_in_spanish(app, client, drafts):
    client.get("/language/es")
    _pay_on_card_page(client, _start_paying(client))
    _time_passes(app, minutes=31)

    _sweep(app)

    spanish = (
        "Su pago de $198.00 se realizó después de que usted salió de la página de pago. Terminamos el trámite por "
        "usted y enviamos lo que pagó: TSA PreCheck y Global Entry."
    )
    assert _notices(app, "payment_received") == (
        [("Recibimos su pago de $198.00", spanish, "/dashboard")],
        [("Recibimos su pago de $198.00", spanish)],
    )
