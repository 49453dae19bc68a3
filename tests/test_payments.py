"""Paying through the sandbox gateway: one checkout for one or both programs; declines keep the drafts; a retry,
refresh or double click never charges twice; a forged or someone else's return is refused; a late return, after
the checkout changed under it, is refunded in full and submits nothing, once however often it arrives."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework.models import Application
from trusted_traveler.db import utcnow
from trusted_traveler.errors import Conflict
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.payments.models import Payment
from trusted_traveler.payments.sandbox import SandboxGateway, SandboxTransaction

CARD = {"cardholder": "Luz Rivera", "expiry": "12/39", "security_code": "123"}


def _signed_in_with_profile(app, client, email="payer@example.com", **kwargs):
    with app.app_context():
        from tests.factories import create_account

        create_profile(create_account(email), **kwargs)
        db.session.commit()
    sign_in(client, email)


@pytest.fixture
def drafts(app, client):
    _signed_in_with_profile(app, client)
    response = client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    assert response.headers["Location"] == "/checkout"


def _statuses(app):
    with app.app_context():
        return {a.program.code: a.status for a in db.session.scalars(select(Application))}


def _pay(client, card_number):
    response = client.post("/checkout", data={"confirm": "yes"})
    pay_url = response.headers["Location"]
    assert pay_url.startswith("/sandbox/pay/")
    return client.post(pay_url, data={**CARD, "card_number": card_number}).headers["Location"]


def test_both_programs_are_one_payment_of_both_fees(app, client, drafts):
    page = client.get("/checkout").get_data(as_text=True)
    assert "$78.00" in page and "$120.00" in page and "$198.00" in page
    return_url = _pay(client, "4111 1111 1111 1111")
    done = client.get(return_url)
    assert done.headers["Location"].startswith("/submitted?refs=")
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "conditionally_approved"}
    with app.app_context():
        (payment,) = db.session.scalars(select(Payment)).all()
        assert str(payment.amount) == "198.00" and payment.status == "completed"
        assert sorted(str(i.amount) for i in payment.items) == ["120.00", "78.00"]


def test_the_gateway_sends_the_traveler_back_to_the_services_own_address_whatever_host_was_asked(app, client, drafts):
    """The return address given to the payment gateway is BASE_URL's, as the sign-in's redirect is: a request that
    named another host (a forged Host header) cannot send a paying traveler there."""
    session_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    client.set_cookie(session_cookie.key, session_cookie.value, domain="evil.example")  # the same browser
    response = client.post("/checkout", data={"confirm": "yes"}, base_url="http://evil.example")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sandbox/pay/")
    with app.app_context():
        (txn,) = db.session.scalars(select(SandboxTransaction)).all()
        assert txn.return_url == f"{app.config['BASE_URL']}/checkout/return"


def test_a_declined_card_returns_to_check_your_answers_with_the_drafts_intact(app, client, drafts):
    response = client.get(_pay(client, "4000 0000 0000 0002"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your card was declined" in html and "Check your answers" in html
    assert _statuses(app) == {"precheck": "draft", "global_entry": "draft"}


def test_declined_then_approved_card_submits_once_even_when_the_return_is_repeated(app, client, drafts):
    client.get(_pay(client, "4000000000000002"))
    return_url = _pay(client, "4111111111111111")
    first, again = client.get(return_url), client.get(return_url)  # refresh, back button, retried redirect
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert sorted(p.status for p in db.session.scalars(select(Payment))) == ["completed", "declined"]
        charged = db.session.scalars(select(SandboxTransaction).where(SandboxTransaction.status == "completed"))
        assert len(charged.all()) == 1


def test_a_double_click_on_pay_reuses_the_same_payment(app, client, drafts):
    first = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    second = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    assert first == second
    with app.app_context():
        assert len(db.session.scalars(select(Payment)).all()) == 1


def test_a_forged_return_is_refused_and_nothing_is_submitted(app, client, drafts):
    client.post("/checkout", data={"confirm": "yes"})
    assert client.get("/checkout/return?token=made-up-token").status_code == 404
    assert _statuses(app) == {"precheck": "draft", "global_entry": "draft"}


def test_someone_elses_payment_token_is_refused(app, client, drafts):
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    token = pay_url.rsplit("/", 1)[1]
    client.post(pay_url, data={**CARD, "card_number": "4111111111111111"})
    other = app.test_client()
    _signed_in_with_profile(app, other, "intruder@example.com")
    assert other.get(f"/checkout/return?token={token}").status_code == 404
    assert _payments(app) == [("198.00", "started")] and _sandbox(app) == [("198.00", "completed")]  # nor refunded
    assert client.get(f"/checkout/return?token={token}").headers["Location"].startswith("/submitted?refs=")


def test_a_bad_card_gets_field_messages_and_keeps_the_name(client, drafts):
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    response = client.post(pay_url, data={**CARD, "card_number": "not a card", "expiry": "13/99"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the card number using digits only." in html
    assert "Enter the expiry date as MM/YY" in html
    assert re.search(r'value="Luz Rivera"', html)


def test_an_expired_card_is_refused_even_with_a_pasted_newline_and_a_pasted_number_is_trimmed(client, drafts):
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    pasted = {**CARD, "card_number": " 4111 1111 1111 1111\n", "expiry": "01/20\n", "security_code": "123\n"}
    html = client.post(pay_url, data=pasted).get_data(as_text=True)
    assert "This card has expired" in html and "Enter the card number using digits only." not in html
    assert "Enter the 3 or 4 digit security code." not in html


def test_an_expiry_that_is_no_month_gets_that_one_message_not_expired_too(client, drafts):
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    html = client.post(pay_url, data={**CARD, "card_number": "4111 1111 1111 1111", "expiry": "31/02"}).get_data(
        as_text=True
    )
    assert "Enter the expiry date as MM/YY, like 04/29." in html and "This card has expired" not in html


def test_the_card_page_goes_back_without_paying_and_the_checkout_keeps_both_drafts(app, client, drafts):
    """As Pay.gov's hosted page does: a way back to the service, not only the browser's Back button."""
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    back = re.search(
        r'<a class="usa-link" href="([^"]+)">Go back without paying</a>', client.get(pay_url).get_data(as_text=True)
    )
    html = client.get(back.group(1).replace("&amp;", "&"), follow_redirects=True).get_data(as_text=True)
    assert "The payment did not go through. You have not been charged." in html and "Check your answers" in html
    assert _statuses(app) == {"precheck": "draft", "global_entry": "draft"}
    assert client.post(pay_url, data={**CARD, "card_number": "4111 1111 1111 1111"}).status_code == 302  # still open


def test_removing_a_program_from_the_checkout_lowers_the_total(app, client, drafts):
    with app.app_context():
        ge = db.session.scalar(select(Application).where(Application.program.has(code="global_entry")))
        reference = ge.reference
    client.post(f"/checkout/{reference}/remove")
    assert "$78.00" in client.get("/checkout").get_data(as_text=True)
    assert _statuses(app) == {"precheck": "draft", "global_entry": "withdrawn"}


# --- Late returns: the checkout changed while the traveler was on the gateway's card page ------------------------

REMOVED_GE = (
    "Your checkout changed while you were paying: it no longer includes Global Entry. We refunded the full amount of "
    "$198.00 to your card and did not submit any application. Pay again for what remains in your checkout."
)


def _reference(app, code):
    with app.app_context():
        return db.session.scalar(select(Application.reference).where(Application.program.has(code=code)))


def _start_paying(client):
    """Confirm and pay: the payment is started and the traveler is on the gateway's card page (not paid yet)."""
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    assert pay_url.startswith("/sandbox/pay/")
    return pay_url


def _pay_on_card_page(client, pay_url, card_number="4111111111111111"):
    return client.post(pay_url, data={**CARD, "card_number": card_number}).headers["Location"]


def _payments(app):
    with app.app_context():
        return sorted((str(p.amount), p.status) for p in db.session.scalars(select(Payment)))


def _sandbox(app):
    with app.app_context():
        return sorted((str(t.amount), t.status) for t in db.session.scalars(select(SandboxTransaction)))


def _refund_events(app):
    with app.app_context():
        return [
            (e.actor_id is not None, e.details)
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.refunded"))
        ]


def _refund_notices(app):
    with app.app_context():
        notes = db.session.scalars(
            select(Notification).where(Notification.kind == "payment_refunded").order_by(Notification.id)
        ).all()
        emails = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "email.payment_refunded").order_by(OutboxMessage.id)
        ).all()
        return [(n.title, n.body, n.link) for n in notes], [(m.payload["subject"], m.payload["body"]) for m in emails]


def test_a_return_that_arrives_after_a_program_was_removed_refunds_the_whole_payment_and_submits_nothing(
    app, client, drafts
):
    pay_url = _start_paying(client)  # one payment of $198.00 for both programs
    client.post(f"/checkout/{_reference(app, 'global_entry')}/remove")  # in another tab
    return_url = _pay_on_card_page(client, pay_url)  # the card is charged on the gateway's page

    response = client.get(return_url)

    assert response.headers["Location"] == "/checkout"
    assert REMOVED_GE in client.get("/checkout").get_data(as_text=True)
    assert _payments(app) == [("198.00", "refunded")]
    assert _sandbox(app) == [("198.00", "refunded")]
    assert _statuses(app) == {"precheck": "draft", "global_entry": "withdrawn"}  # nothing submitted
    ge = _reference(app, "global_entry")
    assert _refund_events(app) == [
        (True, {"amount": "198.00", "reason": "checkout_changed", "applications": {ge: "withdrawn"}})
    ]
    with app.app_context():
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.completed")).all()
    notes, emails = _refund_notices(app)
    assert notes == [("We refunded your payment of $198.00", REMOVED_GE, "/checkout")]
    assert emails == [("We refunded your payment of $198.00", REMOVED_GE)]

    # The traveler pays again for what remains, PreCheck alone.
    done = client.get(_pay(client, "4111111111111111"))
    assert done.headers["Location"].startswith("/submitted?refs=")
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "withdrawn"}
    assert _payments(app) == [("198.00", "refunded"), ("78.00", "completed")]


def test_a_return_that_arrives_twice_after_a_refund_refunds_once_and_says_the_same(app, client, drafts):
    pay_url = _start_paying(client)
    client.post(f"/checkout/{_reference(app, 'global_entry')}/remove")
    return_url = _pay_on_card_page(client, pay_url)

    first = client.get(return_url, follow_redirects=True).get_data(as_text=True)
    again = client.get(return_url, follow_redirects=True).get_data(as_text=True)  # refresh, back button, retry

    assert REMOVED_GE in first and REMOVED_GE in again
    assert len(_refund_events(app)) == 1
    assert len(_refund_notices(app)[0]) == 1 and len(_refund_notices(app)[1]) == 1
    assert _payments(app) == [("198.00", "refunded")]
    assert _statuses(app) == {"precheck": "draft", "global_entry": "withdrawn"}
    # The refunded session is closed: its card page cannot charge it again, and says the same when it sends them back.
    assert _pay_on_card_page(client, pay_url) == return_url
    assert _sandbox(app) == [("198.00", "refunded")]
    assert len(_refund_events(app)) == 1


def test_a_return_that_arrives_after_the_drafts_expired_refunds_everything_and_goes_to_the_dashboard(
    app, client, drafts
):
    pay_url = _start_paying(client)
    with app.app_context():  # the traveler left the card page open past the drafts' 180 days
        for application in db.session.scalars(select(Application)):
            application.created_at = utcnow() - dt.timedelta(days=181)
        db.session.commit()
    assert "expired 2 draft" in app.test_cli_runner().invoke(args=["expire-drafts"]).output

    response = client.get(_pay_on_card_page(client, pay_url))

    assert response.headers["Location"] == "/dashboard"
    message = (
        "Your checkout changed while you were paying: it no longer includes TSA PreCheck and Global Entry. We refunded "
        "the full amount of $198.00 to your card and did not submit any application. Nothing is left to pay for."
    )
    assert message in client.get("/dashboard").get_data(as_text=True)
    assert _payments(app) == [("198.00", "refunded")] and _sandbox(app) == [("198.00", "refunded")]
    assert _statuses(app) == {"precheck": "withdrawn", "global_entry": "withdrawn"}
    assert _refund_notices(app)[0] == [("We refunded your payment of $198.00", message, "/dashboard")]


def test_a_checkout_paid_in_two_tabs_is_charged_once_the_later_return_is_refunded(app, client, drafts):
    first_tab = _start_paying(client)
    client.get(_pay_on_card_page(client, first_tab, "4000000000000002"))  # declined: the first payment ends there
    return_url = _pay(client, "4111111111111111")  # a second payment for the same applications...
    assert client.get(return_url).headers["Location"].startswith("/submitted?refs=")  # ...pays and submits them

    # Back in the first tab, the card page still takes a card after its decline: that return comes late.
    response = client.get(_pay_on_card_page(client, first_tab))

    assert response.headers["Location"] == "/dashboard"  # nothing is left in the checkout
    message = (
        "You had already paid for TSA PreCheck and Global Entry in another payment. So that you are not charged twice, "
        "we refunded the full amount of $198.00 to your card and did not submit anything with this payment. Nothing is "
        "left to pay for."
    )
    assert message in client.get("/dashboard").get_data(as_text=True)
    assert _payments(app) == [("198.00", "completed"), ("198.00", "refunded")]
    assert _sandbox(app) == [("198.00", "completed"), ("198.00", "refunded")]
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "conditionally_approved"}
    ((_, details),) = _refund_events(app)
    assert details["reason"] == "checkout_changed"
    assert sorted(details["applications"].values()) == ["conditionally_approved", "submitted"]


def test_a_card_retried_on_the_same_page_after_a_decline_completes_that_payment(app, client, drafts):
    pay_url = _start_paying(client)
    client.get(_pay_on_card_page(client, pay_url, "4000000000000002"))
    response = client.get(_pay_on_card_page(client, pay_url))  # nothing changed meanwhile: a normal payment
    assert response.headers["Location"].startswith("/submitted?refs=")
    assert _payments(app) == [("198.00", "completed")]
    assert _statuses(app) == {"precheck": "submitted", "global_entry": "conditionally_approved"}
    assert _refund_events(app) == []


def test_a_refund_the_gateway_made_but_we_did_not_record_is_recorded_without_refunding_again(app, client, drafts):
    """Our commit after the gateway's refund was lost (a crash): the next return finds the collection refunded."""
    pay_url = _start_paying(client)
    client.post(f"/checkout/{_reference(app, 'global_entry')}/remove")
    return_url = _pay_on_card_page(client, pay_url)
    with app.app_context():
        db.session.scalar(select(SandboxTransaction)).status = "refunded"
        db.session.commit()

    response = client.get(return_url, follow_redirects=True)

    assert REMOVED_GE in response.get_data(as_text=True)
    assert _payments(app) == [("198.00", "refunded")]
    assert len(_refund_events(app)) == 1 and len(_refund_notices(app)[0]) == 1
    assert _statuses(app) == {"precheck": "draft", "global_entry": "withdrawn"}


def test_a_spanish_speaking_traveler_is_told_about_the_refund_in_spanish(app, client, drafts):
    client.get("/language/es")
    pay_url = _start_paying(client)
    client.post(f"/checkout/{_reference(app, 'global_entry')}/remove")
    html = client.get(_pay_on_card_page(client, pay_url), follow_redirects=True).get_data(as_text=True)
    spanish = (
        "Lo que iba a pagar cambió mientras usted pagaba: ya no incluye Global Entry. Le reembolsamos el importe "
        "completo de $198.00 a su tarjeta y no enviamos ninguna solicitud. Vuelva a pagar lo que queda pendiente."
    )
    assert spanish in html
    notes, emails = _refund_notices(app)
    assert notes == [("Le reembolsamos su pago de $198.00", spanish, "/checkout")]
    assert emails == [("Le reembolsamos su pago de $198.00", spanish)]


def test_the_sandbox_refunds_a_collected_payment_once_and_nothing_else(app_ctx):
    gateway = SandboxGateway()
    token = gateway.start(amount=Decimal("78.00"), tracking_id="t-1", description="Fee", return_url="/r")
    txn = gateway.transaction(token)
    with pytest.raises(Conflict):  # nothing collected yet
        gateway.refund("t-1")
    gateway.charge(txn, "4111111111111111")
    reference = txn.gateway_reference

    first, again = gateway.refund("t-1"), gateway.refund("t-1")

    assert first == again and (first.status, first.reference) == ("refunded", reference)
    assert gateway.complete(token).status == "refunded"
    assert gateway.charge(txn, "4111111111111111").status == "refunded"  # a refunded session takes no new charge


def test_the_traveler_keeps_a_receipt_on_the_confirmation_and_on_each_status_page(app, client, drafts):
    confirmation = client.get(client.get(_pay(client, "4111 1111 1111 1111")).headers["Location"])
    with app.app_context():
        (payment,) = db.session.scalars(select(Payment)).all()
        references = {a.program.code: a.reference for a in db.session.scalars(select(Application))}
    html = confirmation.get_data(as_text=True)
    assert html.count('data-testid="receipt"') == 1  # one payment for both programs, one receipt
    assert 'data-testid="receipt-amount">$198.00<' in html
    assert f'data-testid="receipt-reference">{payment.gateway_reference}<' in html and payment.gateway_reference
    assert "$78.00" in html and "$120.00" in html
    for reference in references.values():
        page = client.get(f"/applications/{reference}").get_data(as_text=True)
        assert 'data-testid="receipt-amount">$198.00<' in page and reference in page
    client.get("/language/es")
    page = client.get(f"/applications/{references['precheck']}").get_data(as_text=True)
    assert "Recibo de pago" in page


def test_a_declined_attempt_before_the_payment_leaves_no_receipt_of_its_own(app, client, drafts):
    client.get(_pay(client, "4000 0000 0000 0002"))  # declined: back to the checkout
    client.get(_pay(client, "4111 1111 1111 1111"))
    with app.app_context():
        assert sorted(p.status for p in db.session.scalars(select(Payment))) == ["completed", "declined"]
        reference = db.session.scalars(select(Application)).first().reference
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert html.count('data-testid="receipt"') == 1
