"""Paying through the sandbox gateway: declines keep the draft, a retry or refresh never charges twice, and a
forged return is refused."""

import re

import pytest
from sqlalchemy import select

from tests.factories import create_profile, sign_in
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db
from trusted_traveler.payments.models import Payment
from trusted_traveler.payments.sandbox import SandboxTransaction

CARD = {"cardholder": "Luz Rivera", "expiry": "12/39", "security_code": "123"}


@pytest.fixture
def draft(app, client):
    with app.app_context():
        profile = create_profile()
        email = profile.account.email
        db.session.commit()
    sign_in(client, email)
    response = client.post("/apply", data={"program": "precheck"})
    return response.headers["Location"].split("/")[2]


def _pay(client, reference, card_number):
    response = client.post(f"/applications/{reference}/review", data={"confirm": "yes"})
    pay_url = response.headers["Location"]
    assert pay_url.startswith("/sandbox/pay/")
    response = client.post(pay_url, data={**CARD, "card_number": card_number})
    return response.headers["Location"]


def test_a_declined_card_returns_to_the_summary_with_a_message_and_the_draft_intact(app, client, draft):
    return_url = _pay(client, draft, "4000 0000 0000 0002")
    response = client.get(return_url, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your card was declined" in html
    assert "Check your answers" in html
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == draft))
        assert application.status == "draft"
        assert [p.status for p in db.session.scalars(select(Payment))] == ["declined"]


def test_declined_then_approved_card_submits_once(app, client, draft):
    client.get(_pay(client, draft, "4000000000000002"))
    return_url = _pay(client, draft, "4111 1111 1111 1111")
    first = client.get(return_url)
    again = client.get(return_url)  # refresh, back button or a retried redirect
    assert first.headers["Location"] == again.headers["Location"] == f"/applications/{draft}/submitted"
    with app.app_context():
        statuses = sorted(p.status for p in db.session.scalars(select(Payment)))
        assert statuses == ["completed", "declined"]
        charged = db.session.scalars(select(SandboxTransaction).where(SandboxTransaction.status == "completed")).all()
        assert len(charged) == 1
        application = db.session.scalar(select(Application).where(Application.reference == draft))
        assert application.status == "submitted"


def test_a_double_click_on_pay_reuses_the_same_payment_session(app, client, draft):
    first = client.post(f"/applications/{draft}/review", data={"confirm": "yes"}).headers["Location"]
    second = client.post(f"/applications/{draft}/review", data={"confirm": "yes"}).headers["Location"]
    assert first == second
    with app.app_context():
        assert len(db.session.scalars(select(Payment)).all()) == 1


def test_a_forged_payment_return_is_refused(app, client, draft):
    client.post(f"/applications/{draft}/review", data={"confirm": "yes"})
    response = client.get(f"/applications/{draft}/payment/return?token=made-up-token")
    assert response.status_code == 404
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == draft))
        assert application.status == "draft"


def test_a_bad_card_number_gets_a_field_message_and_keeps_the_name(client, draft):
    pay_url = client.post(f"/applications/{draft}/review", data={"confirm": "yes"}).headers["Location"]
    response = client.post(pay_url, data={**CARD, "card_number": "not a card", "expiry": "13/99"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the card number using digits only." in html
    assert "Enter the expiry date as MM/YY" in html
    assert re.search(r'value="Luz Rivera"', html)
