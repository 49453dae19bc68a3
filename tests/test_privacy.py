"""Data protection: no personal data in the logs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tests.factories import create_account, create_application, create_profile, sign_in, survey_invitation
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.observability import JSONFormatter

EMAIL = "maria.private@example.com"
PASSPORT = "987654321"
SURNAME = "Quesadilla"
DOB = dt.date(1984, 2, 29)


@pytest.fixture
def captured():
    """Every line any logger writes during the test, formatted as production writes it (JSON)."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Capture(level=logging.DEBUG)
    handler.setFormatter(JSONFormatter())
    loggers = [logging.getLogger(), logging.getLogger("trusted_traveler"), logging.getLogger("werkzeug")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_representative_requests_log_no_personal_data(app, client, captured):
    with app.app_context():
        profile = create_profile(create_account(EMAIL), surname=SURNAME, given_names="Maria", dob=DOB)
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        create_account("olga.officer@example.com", roles=("officer",))
        db.session.commit()
    captured.clear()  # only what requests log
    sign_in(client, EMAIL)
    client.post("/auth/dev", data={"email": "not-an-email@"})  # a refused sign-in echoes nothing either
    future = (service_today() + dt.timedelta(days=900)).isoformat()
    documents = {"passports-0-issuing_country": "US", "passports-0-number": PASSPORT, "passports-0-expires_on": future}
    assert client.post("/profile/documents", data=documents).status_code == 302
    client.post("/profile/names", data={"given_names": "Maria", "surname": SURNAME, "middle_names": "<b>"})
    client.get(f"/applications/{reference}?email={EMAIL}")  # personal data in a query string is not logged
    client.get("/api/v1/profile")
    sign_in(client, "olga.officer@example.com")
    assert client.get(f"/officer/cases/{reference}").status_code == 200
    text = "\n".join(captured)
    assert captured, "nothing was logged: the capture is not working"
    for secret in (EMAIL, EMAIL.split("@")[0], PASSPORT, PASSPORT[-4:], SURNAME, DOB.isoformat(), "1984"):
        assert secret not in text, f"{secret!r} appears in the logs"


# --- Personal data export and deleting a draft ----------------------------------------------------------------------


@pytest.fixture
def two_travelers(app):
    """Maria with a submitted Global Entry case (a sandbox hit: vetting detail and an officer's request), a
    membership-free draft, a notification; and someone else with their own application."""
    from trusted_traveler.casework import decisions

    with app.app_context():
        officer = create_account("olga.officer@example.com", roles=("officer",))
        maria = create_profile(create_account(EMAIL), surname="Hitman", given_names="Maria", dob=dt.date(1980, 1, 1))
        submitted = create_application("global_entry", profile=maria, submitted=True)
        decisions.request_info(
            submitted,
            by=officer,
            message="Send the court record.",
            due_on=service_today() + dt.timedelta(days=9),
            today=service_today(),
        )
        draft = create_application("precheck", profile=maria)
        other = create_profile(create_account("someone.else@example.com"), surname="Otherperson")
        theirs = create_application("precheck", profile=other, submitted=True)
        db.session.commit()
        return {"submitted": submitted.reference, "draft": draft.reference, "theirs": theirs.reference}


def test_a_traveler_downloads_everything_we_hold_about_them_and_nothing_else(app, client, two_travelers):
    from sqlalchemy import select

    from trusted_traveler.audit.models import AuditEvent

    sign_in(client, EMAIL)
    assert 'data-testid="your-data"' in client.get("/dashboard").get_data(as_text=True)
    response = client.get("/privacy/my-data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["account"]["email"] == EMAIL
    assert data["profile"]["surname"] == "Hitman" and data["profile"]["date_of_birth"] == "1980-01-01"
    assert data["profile"]["documents"] and data["profile"]["addresses"] and data["profile"]["employment"]
    references = {a["reference"] for a in data["applications"]}
    assert references == {two_travelers["submitted"], two_travelers["draft"]}
    submitted = next(a for a in data["applications"] if a["reference"] == two_travelers["submitted"])
    assert [r["message"] for r in submitted["information_requests"]] == ["Send the court record."]
    assert submitted["status_history"] and data["notifications"]
    text = response.get_data(as_text=True)
    # never someone else's records, never officer-only vetting detail or who worked the case
    for absent in (
        two_travelers["theirs"],
        "Otherperson",
        "someone.else",
        "Sandbox record",
        "vetting_results",
        "olga.officer",
        "assigned_officer",
        "actor_id",
        "priority",
    ):
        assert absent not in text, absent
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.exported")).all()
        assert len(events) == 1 and events[0].actor_id is not None


def test_a_traveler_deletes_their_own_draft_but_not_a_submitted_application(app, client, two_travelers):
    from sqlalchemy import select

    from trusted_traveler.audit.models import AuditEvent
    from trusted_traveler.casework.models import Application

    sign_in(client, EMAIL)
    page = client.get("/privacy").get_data(as_text=True)
    assert "records-retention rules" in page and two_travelers["draft"] in page
    drafts = page.split('data-testid="drafts"')[1].split("</ul>")[0]
    assert two_travelers["draft"] in drafts and two_travelers["submitted"] not in drafts  # only drafts are offered
    kept = client.post(f"/privacy/drafts/{two_travelers['submitted']}/delete")
    assert kept.status_code == 409 and "records-retention" in kept.get_data(as_text=True)
    assert client.post(f"/privacy/drafts/{two_travelers['theirs']}/delete").status_code == 404  # not theirs
    done = client.post(f"/privacy/drafts/{two_travelers['draft']}/delete")
    assert done.status_code == 302
    assert 'data-testid="no-drafts"' in client.get("/privacy").get_data(as_text=True)
    with app.app_context():
        remaining = set(db.session.scalars(select(Application.reference)))
        assert remaining == {two_travelers["submitted"], two_travelers["theirs"]}
        deleted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.draft_deleted")).one()
        assert deleted.object_id == two_travelers["draft"]


def test_the_export_holds_what_the_traveler_wrote_and_the_letters_explanation_but_no_officers_note(
    app, client, two_travelers
):
    """Asking for reconsideration, the traveler's own words are kept only on the status history, and the officer's
    explanation is part of the letter the traveler reads: both are theirs. An officer's working note is not."""
    from sqlalchemy import select

    from trusted_traveler.casework import decisions
    from trusted_traveler.casework.models import Application

    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == two_travelers["submitted"]))
        officer, traveler = create_account("olga.officer@example.com"), application.profile.account
        decisions.answer_info_request(application, by=traveler, answer="Attached.")
        decisions.deny(application, by=officer, reason_codes=["not_low_risk"], note="The court record was not sent.")
        decisions.request_reconsideration(application, by=traveler, statement="I was in hospital.")
        decisions.reopen_for_review(application, by=officer, note="Internal: check the hospital record.")
        db.session.commit()
    sign_in(client, EMAIL)
    response = client.get("/privacy/my-data.json")
    submitted = next(a for a in response.get_json()["applications"] if a["reference"] == two_travelers["submitted"])
    [letter] = submitted["letters"]
    assert letter["explanation"] == "The court record was not sent."
    statements = [e["your_statement"] for e in submitted["status_history"] if "your_statement" in e]
    assert statements == ["I was in hospital."]
    assert "Internal: check the hospital record." not in response.get_data(as_text=True)


@pytest.mark.csrf
def test_deleting_a_draft_needs_the_forms_csrf_token(client, two_travelers):
    sign_in_response = client.get("/auth/dev")  # CSRF is on: sign in through the form's token
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in_response.get_data(as_text=True))
    client.post("/auth/dev", data={"email": EMAIL, "csrf_token": token.group(1)})
    assert client.post(f"/privacy/drafts/{two_travelers['draft']}/delete").status_code == 400


def _booked_traveler(app, email: str, programs: tuple[str, ...]) -> None:
    """A traveler with a submitted application to each program, each with a booked visit at JFK, a waitlist place,
    a file sent in answer to a question and a survey answer given by name."""
    from trusted_traveler.casework.models import CaseDocument
    from trusted_traveler.feedback.service import questions_for, record_response
    from trusted_traveler.scheduling import service as scheduling
    from trusted_traveler.scheduling import waitlist
    from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
    from trusted_traveler.scheduling.slots import generate_slots

    with app.app_context():
        profile = create_profile(create_account(email))
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=service_today() + dt.timedelta(days=5), days=7)
        free = iter(db.session.scalars(db.select(Slot).where(Slot.center_id == 8001).order_by(Slot.starts_at)).all())
        now = dt.datetime.now(dt.UTC)
        for program in programs:
            application = create_application(program, profile=profile, submitted=True)
            scheduling.book(application, next(free), by=profile.account, now=now)
            later = service_today() + dt.timedelta(days=2)
            waitlist.join(application, [jfk], earliest=later, latest=later, by=profile.account)
            db.session.add(
                CaseDocument(
                    application_id=application.id,
                    purpose="info_response",
                    filename="court-record.pdf",
                    content_type="application/pdf",
                    size_bytes=1234,
                    sha256="0" * 64,
                    data=b"%PDF-1.4",
                    uploaded_by_id=profile.account_id,
                )
            )
            scores = {key: 4 for key, _text in questions_for("appointment")}
            record_response(
                "appointment",
                invitation=survey_invitation("appointment", application),
                scores=scores,
                free_text="Quick visit.",
                application=application,
                anonymous=False,
            )
        db.session.commit()


def test_the_export_holds_appointments_waitlist_places_files_surveys_and_payments(app, client):
    _booked_traveler(app, "booked.traveler@example.com", ("precheck",))
    sign_in(client, "booked.traveler@example.com")
    data = client.get("/privacy/my-data.json").get_json()
    [application] = data["applications"]
    [appointment] = application["appointments"]
    assert appointment["center"] == "John F. Kennedy International Enrollment Center"
    assert appointment["status"] == "booked" and appointment["starts_at"] and appointment["times_moved"] == 0
    [place] = application["waitlist"]
    assert place["centers"] == ["John F. Kennedy International Enrollment Center"] and place["status"] == "waiting"
    assert application["files_uploaded"] == [
        {
            "filename": "court-record.pdf",
            "purpose": "info_response",
            "size_bytes": 1234,
            "uploaded_at": application["files_uploaded"][0]["uploaded_at"],
        }
    ]
    [answer] = application["survey_answers"]
    assert (
        answer["about"] == "appointment"
        and answer["comment"] == "Quick visit."
        and set(answer["scores"].values()) == {4}
    )
    [payment] = data["payments"]
    assert payment["status"] == "completed" and payment["receipt_number"] == application["reference"]
    assert payment["items"] == [{"application": application["reference"], "amount": payment["amount"]}]
    assert "%PDF" not in client.get("/privacy/my-data.json").get_data(as_text=True)  # names, not the files


def test_the_export_reads_the_same_statements_for_one_application_or_two(app, client):
    from tests.support.queries import count_queries

    _booked_traveler(app, "one@example.com", ("precheck",))
    _booked_traveler(app, "two@example.com", ("precheck", "global_entry"))
    counts = []
    for email, applications in (("one@example.com", 1), ("two@example.com", 2)):
        sign_in(client, email)
        client.get("/dashboard")
        with count_queries(app) as seen:
            data = client.get("/privacy/my-data.json").get_json()
        assert len(data["applications"]) == applications and len(data["payments"]) == applications
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


def test_a_draft_named_in_a_survey_answer_can_still_be_deleted(app, client, two_travelers, monkeypatch):
    """A survey linked to a draft (the traveler came from it and chose to identify) kept a reference to it, and
    deleting the draft broke that reference: an error page on PostgreSQL. The answers stay, without the link."""
    from sqlalchemy import select

    from trusted_traveler.feedback.models import FeedbackResponse

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: an escaped error is a 500
    with app.app_context():
        invitation = survey_invitation("submission")
        db.session.commit()
    sign_in(client, EMAIL)
    answered = client.post(
        "/feedback/submission",
        data={"satisfaction": "4", "identify": "yes", "application": two_travelers["draft"], "invitation": invitation},
    )
    assert answered.status_code == 302
    assert client.post(f"/privacy/drafts/{two_travelers['draft']}/delete").status_code == 302
    with app.app_context():
        (response,) = db.session.scalars(select(FeedbackResponse)).all()
        assert response.application_id is None and response.scores["satisfaction"] == 4


def test_a_draft_closed_before_it_was_sent_can_be_deleted_too(app, client, two_travelers):
    """Removed at checkout or expired, a draft was never sent: it is no federal record, and the page's promise
    ("You can delete an application you have not sent yet") holds for it. A sent one that was withdrawn is kept."""
    from sqlalchemy import select

    from trusted_traveler.casework import service as casework
    from trusted_traveler.casework.models import Application

    with app.app_context():
        draft = db.session.scalar(select(Application).where(Application.reference == two_travelers["draft"]))
        casework.withdraw(draft, by=draft.profile.account)
        db.session.commit()
    sign_in(client, EMAIL)
    listed = client.get("/privacy").get_data(as_text=True).split('data-testid="drafts"')[1].split("</ul>")[0]
    assert f"({two_travelers['draft']}): closed before it was sent" in listed
    assert two_travelers["submitted"] not in listed
    assert client.post(f"/privacy/drafts/{two_travelers['draft']}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Application).where(Application.reference == two_travelers["draft"])) is None


def test_a_draft_a_payment_was_started_for_is_not_offered_for_deletion(app, client):
    """It stays with the payment record (delete_draft refuses it), so the page does not offer a button that can only
    be refused."""
    with app.app_context():
        paid = create_application("precheck", profile=create_profile(create_account(EMAIL)), paid=True)
        assert paid.status == "draft"
        db.session.commit()
        reference = paid.reference
    sign_in(client, EMAIL)
    page = client.get("/privacy").get_data(as_text=True)
    assert reference not in page and 'data-testid="no-drafts"' in page
    assert client.post(f"/privacy/drafts/{reference}/delete").status_code == 409
