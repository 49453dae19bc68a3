"""Spanish where it was still missing: the checkout's profile summary, card declines and the payment description,
the built-in messages of intake rows (and of the public check's offense rows), waitlist dates, the decision
letter's PDF header, the performance dashboard's dates and access refusals. Each page is asked for in Spanish, as a
traveler who chose it (`/language/es`) sees it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.payments.models import Payment

CARD = {"cardholder": "Luz Rivera", "expiry": "12/39", "security_code": "123"}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _spanish_traveler(app, client, email="luz@example.com", **profile):
    with app.app_context():
        create_profile(create_account(email), **profile)
        db.session.commit()
    sign_in(client, email)
    client.get("/language/es")


@pytest.fixture
def spanish_drafts(app, client):
    _spanish_traveler(app, client)
    assert client.post("/apply", data={"programs": ["precheck", "global_entry"]}).headers["Location"] == "/checkout"


def _card_page(client) -> str:
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    assert pay_url.startswith("/sandbox/pay/")
    return pay_url


# --- 1. the profile summary on the checkout page ------------------------------------------------------------------


def test_the_checkout_summary_names_documents_and_history_entries_in_spanish(client, spanish_drafts):
    html = client.get("/checkout").get_data(as_text=True)
    documents = html.split('data-testid="answers-documents"')[1].split('data-testid="answers-')[0]
    assert "Pasaporte</dt>" in documents and "Número que termina en 6789" in documents
    assert "passport" not in documents.lower().replace("pasaporte", "")
    addresses = html.split('data-testid="answers-addresses"')[1].split('data-testid="answers-')[0]
    assert (
        re.search(r"Desde \w+ de \d{4} hasta hoy</dt>", addresses)
        and "1 Main St" in addresses
        and "Estados Unidos" in addresses
    )
    work = html.split('data-testid="answers-employment"')[1].split('data-testid="answers-')[0]
    assert "Empleado" in work and "Acme" in work and " to now" not in work


def test_the_profile_summary_in_english_keeps_its_words(app, client):
    with app.app_context():
        create_profile(create_account("sam@example.com"))
        db.session.commit()
    sign_in(client, "sam@example.com")
    html = client.get("/profile/summary").get_data(as_text=True)
    assert "Passport</dt>" in html and "Number ending 6789" in html
    assert " to now</dt>" in html and "1 Main St" in html and "Acme" in html


# --- 2. card declines and the payment's description ---------------------------------------------------------------


def test_a_declined_card_is_explained_in_spanish_and_the_gateways_words_are_kept(app, client, spanish_drafts):
    pay_url = _card_page(client)
    card_page = client.get(pay_url).get_data(as_text=True)
    assert re.search(r"Tarifa de TSA PreCheck TT\S+ y Global Entry TT\S+", card_page)
    return_url = client.post(pay_url, data={**CARD, "card_number": "4000 0000 0000 0002"}).headers["Location"]
    html = client.get(return_url, follow_redirects=True).get_data(as_text=True)
    assert "Su tarjeta fue rechazada." in html and "Your card was declined" not in html
    # back to the gateway's page (the back button): its own message in Spanish too
    assert "Su tarjeta fue rechazada." in client.get(pay_url).get_data(as_text=True)
    with app.app_context():
        payment = db.session.scalars(select(Payment)).one()
        assert payment.status == "declined"
        assert payment.failure_message == "Your card was declined. Try another card or contact your bank."


def test_a_processor_error_and_an_invalid_card_in_spanish(client, spanish_drafts):
    html = client.get(
        client.post(_card_page(client), data={**CARD, "card_number": "4000 0000 0000 0119"}).headers["Location"],
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "El procesador de pagos tuvo un error. No se le hizo ningún cobro." in html
    html = client.get(
        client.post(_card_page(client), data={**CARD, "card_number": "4242 4242 4242 4242"}).headers["Location"],
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Su tarjeta fue rechazada." in html


def test_the_failure_message_follows_the_gateways_status_not_its_text(app):
    from trusted_traveler.payments.service import failure_message

    with app.test_request_context("/"):
        from flask_babel import force_locale

        with force_locale("es"):
            assert failure_message("expired").startswith("Esta sesión de pago venció.")
            assert failure_message("pending") == "El pago no se realizó. No se le hizo ningún cobro."
        assert failure_message("declined") == "Your card was declined. Try another card or contact your bank."


# --- 3. the messages of row sub-forms ------------------------------------------------------------------------------


def test_row_sub_forms_give_their_messages_in_spanish(app, client):
    _spanish_traveler(app, client, email="rows@example.com")
    html = client.post(
        "/profile/addresses",
        data={
            "addresses-0-from_month": "01/2015",
            "addresses-0-line1": "x" * 201,
            "addresses-0-city": "Austin",
            "addresses-0-country": "ZZ",
        },
    ).get_data(as_text=True)
    assert "Acorte este texto a 200 caracteres o menos: tiene 201." in html
    assert "Elija una de las respuestas que se ofrecen." in html
    assert "Shorten this" not in html and "Choose one of the answers" not in html


def test_the_public_check_gives_an_offense_rows_messages_in_spanish(client):
    client.get("/language/es")
    html = client.post(
        "/which-program",
        data={"has_offenses": "yes", "offenses-0-category": "dui", "offenses-0-date": "el año pasado"},
    ).get_data(as_text=True)
    assert "Escriba una fecha real, con el año en 4 dígitos, como 12/04/2024." in html
    assert "Enter a real date" not in html


# --- 4. waitlist dates ----------------------------------------------------------------------------------------------


def test_waitlist_dates_are_written_out_in_spanish(app, client):
    from trusted_traveler.scheduling.models import EnrollmentCenter
    from trusted_traveler.scheduling.slots import generate_slots

    with app.app_context():
        profile = create_profile(create_account("espera@example.com"))
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        generate_slots(db.session.get(EnrollmentCenter, 8001), start=service_today() + dt.timedelta(days=3), days=7)
        db.session.commit()
    sign_in(client, "espera@example.com")
    client.get("/language/es")
    earliest, latest = service_today() + dt.timedelta(days=5), service_today() + dt.timedelta(days=20)  # days to come
    response = client.post(
        f"/applications/{reference}/waitlist",
        data={"center_ids": ["8001"], "earliest": earliest.isoformat(), "latest": latest.isoformat()},
    )
    assert response.status_code == 302
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    waitlist = html.split('data-testid="waitlist"')[1].split("</section>")[0]
    months = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
    first, last = (f"{day.day} de {months[day.month - 1]} de {day.year}" for day in (earliest, latest))
    assert f"{first} – {last}" in waitlist
    assert earliest.isoformat() not in waitlist


# --- 5. the decision letter's PDF header ---------------------------------------------------------------------------


def test_the_pdf_letters_header_is_in_the_letters_language(app_ctx, monkeypatch):
    from fpdf import FPDF

    from tests.casework.test_decisions import in_review
    from tests.factories import create_officer
    from trusted_traveler.casework import decisions
    from trusted_traveler.casework.letters import render_pdf

    written: list[str] = []
    original = FPDF.multi_cell

    def recording(self, w, h=None, text="", *args, **kwargs):
        written.append(text)
        return original(self, w, h, text, *args, **kwargs)

    monkeypatch.setattr(FPDF, "multi_cell", recording)
    letter = decisions.deny(in_review(), by=create_officer(), reason_codes=["criminal_history"], note=None)
    render_pdf(letter, "es")
    assert written[0] == "Departamento de Seguridad Nacional de EE. UU. - Trusted Traveler 2.0"
    written.clear()
    render_pdf(letter, "en")
    assert written[0] == "U.S. Department of Homeland Security - Trusted Traveler 2.0"


# --- 6. the performance dashboard's dates --------------------------------------------------------------------------


def test_the_dashboards_dates_are_in_spanish_and_its_downloads_stay_iso(app, client):
    from trusted_traveler.feedback import performance
    from trusted_traveler.scheduling.models import EnrollmentCenter
    from trusted_traveler.scheduling.slots import generate_slots

    with app.app_context():
        generate_slots(db.session.get(EnrollmentCenter, 8001), start=service_today() + dt.timedelta(days=3), days=7)
        db.session.commit()
    performance.cache.clear()
    client.get("/language/es")
    html = client.get("/dashboard/performance").get_data(as_text=True)
    for key in ("applications-per-week", "soonest-appointment"):
        table = html.split(f'data-testid="table-{key}"')[1].split("</table>")[0]
        assert not ISO_DATE.search(table), table[:400]
        assert re.search(r"<(th|td)[^>]*>\d{1,2}/\d{1,2}/\d{4}</(th|td)>", table)
    calculated = html.split("Calculado el")[1].split("</time>")[0] if "Calculado el" in html else html
    assert re.search(r"\d{1,2} de \w+ de \d{4} a las \d{1,2}:\d{2}", calculated)
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", html)
    # the downloads keep ISO dates, whatever the reader's language
    rows = client.get("/dashboard/performance.json").get_json()["figures"]["applications-per-week"]["rows"]
    assert ISO_DATE.fullmatch(rows[0][0])
    csv_row = client.get("/dashboard/performance/soonest-appointment.csv").get_data(as_text=True).splitlines()[1]
    assert ISO_DATE.search(csv_row)
    performance.cache.clear()


# --- 7. access refusals ---------------------------------------------------------------------------------------------


def test_access_refusals_are_in_spanish(app, client):
    client.get("/language/es")
    response = client.get("/api/v1/applications", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["errors"][0]["message"] == "Inicie sesión para usar esto."

    _spanish_traveler(app, client, email="curiosa@example.com")
    response = client.get("/officer/cases/TT-NOPE")
    assert response.status_code == 403
    assert "Su cuenta no tiene el rol que esta página necesita." in response.get_data(as_text=True)


def test_the_performance_page_calls_the_service_what_the_header_calls_it_in_spanish(client):
    client.get("/language/es")
    html = client.get("/dashboard/performance").get_data(as_text=True)
    header = re.search(r'<em class="usa-logo__text"><a [^>]*>([^<]+)</a>', html).group(1)
    heading = re.search(r"<h1[^>]*>([^<]+)</h1>", html).group(1)
    assert header == "Viajero de Confianza"
    assert header in heading and "Trusted Traveler" not in heading
