"""The traveler's JSON API: their own profile, applications and status; nobody else's (404); bad input named."""

import datetime as dt

import pytest

from seeds.rules import PRECHECK_RULES
from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db


@pytest.fixture
def traveler(app, client):
    with app.app_context():
        create_profile(create_account("json@example.com"), given_names="Ana", surname="Lee")
        db.session.commit()
    sign_in(client, "json@example.com")
    return client


def test_signed_out_callers_get_json_401(client):
    response = client.get("/api/v1/profile")
    assert response.status_code == 401 and response.is_json


def test_the_profile_shows_what_is_known_and_only_the_last_four_of_document_numbers(traveler):
    body = traveler.get("/api/v1/profile").get_json()
    assert (body["given_names"], body["surname"], body["citizenships"]) == ("Ana", "Lee", ["US"])
    assert body["complete"] is True and body["missing_steps"] == [] and body["address_gaps"] == []
    (passport,) = body["documents"]
    assert passport["number_last4"] == "6789" and "number" not in passport
    assert "123456789" not in str(body)


def test_apply_then_follow_the_status(traveler):
    response = traveler.post("/api/v1/applications", json={"programs": ["precheck", "global_entry"]})
    assert response.status_code == 201
    drafts = response.get_json()
    assert [(d["program"], d["status"], d["fee"]) for d in drafts] == [
        ("precheck", "draft", "78.00"),
        ("global_entry", "draft", "120.00"),
    ]
    assert drafts[0]["eligibility"]["rule_set"] == "precheck-2026-11-01"
    listed = traveler.get("/api/v1/applications").get_json()
    assert {a["reference"] for a in listed} == {d["reference"] for d in drafts}
    detail = traveler.get(f"/api/v1/applications/{drafts[0]['reference']}").get_json()
    assert detail["public_status"] == "Draft" and detail["next_step"].startswith("Finish your application")


def test_bad_input_names_every_bad_field(traveler):
    response = traveler.post("/api/v1/applications", json={"programs": ["nexus"]})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "programs[0]"
    assert traveler.post("/api/v1/applications", data="not json").get_json()["errors"][0]["field"] == "body"
    assert traveler.post("/api/v1/applications", json={}).get_json()["errors"][0]["field"] == "programs"


def test_an_ineligible_traveler_is_refused_with_the_reason(app, client):
    with app.app_context():
        create_profile(create_account("canada@example.com"), citizenship="CA")
        db.session.commit()
    sign_in(client, "canada@example.com")
    response = client.post("/api/v1/applications", json={"programs": ["global_entry"]})
    assert response.status_code == 409
    assert "NEXUS" in response.get_json()["errors"][0]["message"]


def _spanish_speaker(app, client, email, **profile):
    with app.app_context():
        account = create_account(email)
        account.preferred_language = "es"
        create_profile(account, **profile)
        db.session.commit()
    sign_in(client, email)


def test_a_spanish_speaker_is_refused_through_the_api_in_spanish_as_on_the_apply_page(app, client):
    """Applying through the API answers in the traveler's language, the reasons included, as the apply page does:
    the same service, in the reader's language (the reasons were English, after a Spanish first sentence)."""
    _spanish_speaker(app, client, "carmen@example.com", citizenship="CA")
    api = client.post("/api/v1/applications", json={"programs": ["global_entry"]})
    assert api.status_code == 409
    message = api.get_json()["errors"][0]["message"]
    assert "Global Entry es para" in message and "Global Entry is for" not in message
    page = client.post("/apply", data={"programs": ["global_entry"]}).get_data(as_text=True)
    assert message in page


def test_a_draft_started_through_the_api_keeps_its_reasons_in_the_travelers_language(app, client):
    recent = service_today() - dt.timedelta(days=400)
    felony = {"category": "other_felony", "status": "convicted", "date": recent}
    _spanish_speaker(app, client, "mateo@example.com", offenses=[felony])
    response = client.post("/api/v1/applications", json={"programs": ["precheck"]})
    assert response.status_code == 201
    (draft,) = response.get_json()
    (reason,) = draft["eligibility"]["reasons"]
    spanish = next(r["message_es"] for r in PRECHECK_RULES if r["code"] == "precheck.other_felony_review")
    assert (reason["code"], reason["message"]) == ("precheck.other_felony_review", spanish)


def test_another_travelers_application_is_not_found(app, traveler):
    with app.app_context():
        someone_else = create_application("precheck", submitted=True)
        db.session.commit()
        reference = someone_else.reference
    response = traveler.get(f"/api/v1/applications/{reference}")
    assert response.status_code == 404
    assert reference not in response.get_data(as_text=True)


def test_an_approved_application_carries_the_known_traveler_number(app, client):
    from tests.factories import create_officer
    from trusted_traveler.casework import service as casework

    with app.app_context():
        profile = create_profile(create_account("member@example.com"))
        application = create_application("precheck", profile=profile, submitted=True)
        casework.record_biometrics(application, by=create_officer())
        db.session.commit()
        reference = application.reference
    sign_in(client, "member@example.com")
    detail = client.get(f"/api/v1/applications/{reference}").get_json()
    assert detail["public_status"] == "Approved"
    assert detail["membership"]["known_traveler_number"].startswith("TT")
    assert [step["label"] for step in detail["timeline"]] == [
        "Visit an enrollment center",
        "Background check in progress",
        "Approved",
    ]
    assert dt.date.fromisoformat(detail["membership"]["valid_until"]).year == service_today().year + 5


def test_the_traveler_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/profile", "/api/v1/applications", "/api/v1/applications/{reference}"} <= set(paths)
    assert "post" in paths["/api/v1/applications"]


def test_the_messages_of_a_refused_start_are_in_the_travelers_language(app, client):
    """A traveler who chose Spanish reads why their request was refused in Spanish; the fields named stay the
    same, and the missing steps stay the codes `missing_steps` lists in the profile."""
    with app.app_context():
        create_profile(create_account("parcial@example.com"), complete=False)
        db.session.commit()
    sign_in(client, "parcial@example.com")
    client.get("/language/es")
    not_an_object = client.post("/api/v1/applications", json=["precheck"]).get_json()["errors"]
    assert not_an_object[0]["field"] == "body"
    assert not_an_object[0]["message"] == 'Envíe un objeto JSON como {"programs": ["precheck"]}.'
    unfinished = client.post("/api/v1/applications", json={"programs": ["precheck"]})
    assert unfinished.status_code == 400
    (error,) = unfinished.get_json()["errors"]
    missing = client.get("/api/v1/profile").get_json()["missing_steps"]
    assert error["field"] == "programs" and error["message"] == f"Primero complete su perfil: {', '.join(missing)}."
