"""Paying through the sandbox gateway: one checkout for one or both programs; declines keep the drafts; a retry,
refresh or double click never charges twice; a forged or someone else's return is refused."""

import re

import pytest
from sqlalchemy import select

from tests.factories import create_profile, sign_in
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db
from trusted_traveler.payments.models import Payment
from trusted_traveler.payments.sandbox import SandboxTransaction

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


def test_a_bad_card_gets_field_messages_and_keeps_the_name(client, drafts):
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    response = client.post(pay_url, data={**CARD, "card_number": "not a card", "expiry": "13/99"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the card number using digits only." in html
    assert "Enter the expiry date as MM/YY" in html
    assert re.search(r'value="Luz Rivera"', html)


def test_removing_a_program_from_the_checkout_lowers_the_total(app, client, drafts):
    with app.app_context():
        ge = db.session.scalar(select(Application).where(Application.program.has(code="global_entry")))
        reference = ge.reference
    client.post(f"/checkout/{reference}/remove")
    assert "$78.00" in client.get("/checkout").get_data(as_text=True)
    assert _statuses(app) == {"precheck": "draft", "global_entry": "withdrawn"}
