"""An enrollment officer's case work through the web, as the officer does it: no final denial while a preliminary
determination may still be answered, a request for information due within a sensible time, letters whose PDF reads
as typed, a decision pressed twice or a page gone stale that ends on the case with what happened (and what was
typed), a release that only says what is true, and a history in words."""

import datetime as dt
import re
import zlib

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from tests.factories import create_account, create_application, create_profile, form_version, sign_in
from trusted_traveler.casework import decisions, queues
from trusted_traveler.casework.letters import render_pdf
from trusted_traveler.casework.models import Application, DecisionLetter
from trusted_traveler.extensions import db
from trusted_traveler.web.officer import case as case_views

OLGA = "olga.officer@example.com"


@pytest.fixture
def precheck_case(app):
    """A PreCheck case in officer review after a vetting hit, and officer Olga."""
    with app.app_context():
        create_account(OLGA, roles=("officer",))
        profile = create_profile(create_account("pc.hit@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        db.session.commit()
        return reference


@pytest.fixture
def sam(app):
    """Sam Supervisor, who may act on any case."""
    with app.app_context():
        account = create_account("sam.supervisor@example.com", roles=("supervisor",))
        account.display_name = "Sam Supervisor"
        db.session.commit()
    return "sam.supervisor@example.com"


def _page(client, reference) -> str:
    return client.get(f"/officer/cases/{reference}").get_data(as_text=True)


def _status(app, reference) -> str:
    with app.app_context():
        return db.session.scalar(select(Application.status).where(Application.reference == reference))


def _version(app, reference) -> str:
    """The version an old page of the case carried (the page offers no form now)."""
    with app.app_context():
        return str(db.session.scalar(select(Application.version).where(Application.reference == reference)))


def _decide(client, reference, action, **data):
    version = form_version(_page(client, reference))
    return client.post(f"/officer/cases/{reference}/decide/{action}", data={"version": version, **data})


# --- 1. No final denial while the traveler may still answer a preliminary determination ---------------------------


def test_no_final_denial_while_the_60_days_to_answer_a_preliminary_determination_run(client, app, precheck_case, today):
    sign_in(client, OLGA)
    sent = _decide(client, precheck_case, "preliminary_ineligible", reason_codes=["disqualifying_offense"])
    assert sent.status_code == 302 and _status(app, precheck_case) == "preliminary_ineligible"
    last_day = today + dt.timedelta(days=60)

    html = _page(client, precheck_case)
    assert f'action="/officer/cases/{precheck_case}/decide/deny"' not in html
    waiting = re.search(r'data-testid="waiting">([^<]*)<', html).group(1)
    assert f"until {last_day:%B %-d, %Y} to respond to the preliminary determination" in waiting
    assert f"from {last_day + dt.timedelta(days=1):%B %-d, %Y}" in waiting

    # a denial posted anyway (an old page, or the API) is refused by the service, saying until when
    refused = client.post(
        f"/officer/cases/{precheck_case}/decide/deny",
        data={"version": _version(app, precheck_case), "reason_codes": ["disqualifying_offense"], "note": "Kept text"},
    )
    assert refused.status_code == 400
    problem = refused.get_data(as_text=True)
    assert f"until {last_day:%B %-d, %Y}" in problem and "Kept text" in problem
    assert _status(app, precheck_case) == "preliminary_ineligible"


def test_once_the_60_days_have_passed_unanswered_the_officer_may_deny(client, app, precheck_case):
    sign_in(client, OLGA)
    _decide(client, precheck_case, "preliminary_ineligible", reason_codes=["disqualifying_offense"])
    with app.app_context():  # sent 62 days ago
        application = db.session.scalar(select(Application).where(Application.reference == precheck_case))
        application.status_entered_at -= dt.timedelta(days=62)
        db.session.commit()
    assert "decide/deny" in _page(client, precheck_case)
    assert _decide(client, precheck_case, "deny", reason_codes=["disqualifying_offense"]).status_code == 302
    assert _status(app, precheck_case) == "denied"


def test_the_service_refuses_a_final_denial_inside_the_window(app, precheck_case):
    from trusted_traveler.errors import BusinessRuleViolation

    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == precheck_case))
        officer = create_account(OLGA)
        decisions.preliminary_ineligible(application, by=officer, reason_codes=["disqualifying_offense"])
        with pytest.raises(BusinessRuleViolation, match="to respond to the preliminary determination"):
            decisions.deny(application, by=officer, reason_codes=["disqualifying_offense"])
        assert decisions.available_actions(application, officer) == []


# --- 2. A request for information is due within 90 days --------------------------------------------------------


def test_a_due_date_years_ahead_is_refused_beside_the_field_and_keeps_the_question(client, app, case, today):
    sign_in(client, OLGA)
    version = form_version(_page(client, case))
    data = {"version": version, "message": "Send the court record for 2019.", "due_on": "9999-12-31"}
    response = client.post(f"/officer/cases/{case}/request-info", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    beside = html.split('id="due_on-error"')[1].split("</span>")[0]
    latest = today + dt.timedelta(days=90)
    assert f"at most 90 days ahead, {latest:%B %-d, %Y} at the latest" in beside
    assert "Send the court record for 2019." in html and "9999-12-31" in html
    assert _status(app, case) == "officer_review"

    data["due_on"] = latest.isoformat()
    assert client.post(f"/officer/cases/{case}/request-info", data=data).status_code == 302
    waiting = re.search(r'data-testid="waiting">([^<]*)<', _page(client, case)).group(1)
    assert f"The applicant has until {latest:%B %-d, %Y} to answer." in waiting


# --- 3. The PDF letter reads as typed -------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
    text = []
    for stream in streams:
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return "".join(text)


def test_the_pdf_letter_writes_typographic_punctuation_plainly_and_never_a_question_mark(client, app, case):
    note = (
        "The applicant\u2019s record matches a \u201cwatchlist\u201d entry \u2013 please send documents showing "
        "you\u2019re not the listed person \u2014 thanks\u2026 \U0001f600 Wa\u0142\u0119sa"
    )
    sign_in(client, OLGA)
    assert _decide(client, case, "deny", reason_codes=["criminal_history"], note=note).status_code == 302
    with app.app_context():
        letter = db.session.scalar(select(DecisionLetter))
        text = _pdf_text(render_pdf(letter))
    assert "applicant's record" in text and '"watchlist"' in text and "you're" in text
    assert "entry - please" in text and "thanks..." in text and "Walesa" in text
    assert "?" not in text


# --- 4. A decision pressed twice -----------------------------------------------------------------------------


def test_a_decision_pressed_twice_lands_on_the_case_saying_it_was_already_done(client, app, case):
    sign_in(client, OLGA)
    version = form_version(_page(client, case))
    first = client.post(f"/officer/cases/{case}/decide/conditionally_approve", data={"version": version})
    assert first.status_code == 302
    second = client.post(f"/officer/cases/{case}/decide/conditionally_approve", data={"version": version})
    assert second.status_code == 302 and second.location.endswith(f"/officer/cases/{case}")
    html = client.get(second.location).get_data(as_text=True)
    assert re.search(r"You already conditionally approved this at \d\d:\d\d UTC\. Nothing else was done\.", html)
    assert 'data-testid="case-status">Conditionally Approved' in html


def test_a_second_press_that_loses_the_race_at_the_write_lands_on_the_case_too(client, app, case, monkeypatch):
    """The two presses read the case at once: the second's write finds the version moved on (StaleDataError)."""
    sign_in(client, OLGA)
    assert _decide(client, case, "conditionally_approve").status_code == 302

    def lost_the_race(application, *, by, note=None):
        raise StaleDataError("UPDATE statement on table 'applications' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setitem(case_views.NOTED, "conditionally_approve", (lost_the_race, "never said"))
    with app.app_context():
        db.session.execute(update(Application).where(Application.reference == case).values(status="officer_review"))
        db.session.commit()
    second = _decide(client, case, "conditionally_approve")
    assert second.status_code == 302
    html = client.get(second.location).get_data(as_text=True)
    assert "You already conditionally approved this at" in html and "This changed while you were working" not in html


# --- 5. A stale page keeps what was typed and names the change -----------------------------------------------------


def test_a_denial_sent_after_another_officer_decided_names_them_and_keeps_the_explanation(client, app, case, sam):
    sign_in(client, OLGA)
    olgas_version = form_version(_page(client, case))
    sign_in(client, sam)
    assert _decide(client, case, "conditionally_approve").status_code == 302
    sign_in(client, OLGA)
    explanation = "The 2019 conviction is within ten years; see the court record."
    response = client.post(
        f"/officer/cases/{case}/decide/deny",
        data={"version": olgas_version, "reason_codes": ["criminal_history"], "note": explanation},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    problem = re.search(r'data-testid="problem">([^<]*)<', html).group(1)
    assert "This case changed while you were looking at it." in problem
    assert re.search(r"Sam Supervisor conditionally approved this at \d\d:\d\d UTC\.", problem)
    unsent = html.split('data-testid="unsent"')[1].split("</div>")[0]
    assert explanation in unsent and "Criminal history" in unsent  # deny is no longer offered: there to copy
    assert 'data-testid="case-status">Conditionally Approved' in html and _status(app, case) == "conditionally_approved"


def test_a_request_typed_while_a_supervisor_took_the_case_is_shown_to_copy(client, app, case, sam):
    sign_in(client, OLGA)
    version = form_version(_page(client, case))
    sign_in(client, sam)
    assert client.post(f"/officer/cases/{case}/claim", data={"version": version}).status_code == 302
    sign_in(client, OLGA)
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    question = "Send the court record for 2019, every page."
    response = client.post(
        f"/officer/cases/{case}/request-info", data={"version": version, "message": question, "due_on": due}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert re.search(r"Sam Supervisor took this case at \d\d:\d\d UTC\.", html)
    assert question in html.split('data-testid="unsent"')[1]


def test_a_request_still_possible_after_the_change_stays_in_its_form_ready_to_send_again(client, app, case, sam):
    sign_in(client, OLGA)
    version = form_version(_page(client, case))
    sign_in(client, sam)
    sam_page = _page(client, case)
    olga = create_officer_id(app, OLGA)
    reassigned = client.post(
        f"/officer/cases/{case}/reassign", data={"version": form_version(sam_page), "officer_id": str(olga)}
    )
    assert reassigned.status_code == 302
    sign_in(client, OLGA)
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    question = "Send the court record for 2019, every page."
    response = client.post(
        f"/officer/cases/{case}/request-info", data={"version": version, "message": question, "due_on": due}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Sam Supervisor assigned this to olga.officer@example.com at" in html
    assert 'data-testid="unsent"' not in html
    form = html.split('<div id="act-info"')[1].split("</form>")[0]  # open, with the question in it
    assert not form.startswith(' class="usa-accordion__content" hidden') and f"\n{question}</textarea>" in form
    again = client.post(
        f"/officer/cases/{case}/request-info",
        data={"version": form_version(html), "message": question, "due_on": due},
    )
    assert again.status_code == 302 and _status(app, case) == "info_requested"


def create_officer_id(app, email) -> int:
    from trusted_traveler.auth.models import Account

    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.email == email))


# --- 6. Release only where the case then sits in the unassigned queue ------------------------------------------


def test_release_is_offered_and_allowed_only_where_the_case_goes_back_to_the_unassigned_queue(client, app, case):
    sign_in(client, OLGA)
    assert client.post(f"/officer/cases/{case}/claim", data={"version": form_version(_page(client, case))})
    html = _page(client, case)
    assert "Release to the unassigned queue" in html  # in officer review: it would be in the queue
    assert _decide(client, case, "conditionally_approve").status_code == 302

    html = _page(client, case)
    assert "Release to the unassigned queue" not in html
    response = client.post(f"/officer/cases/{case}/release", data={"version": _version(app, case)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This case was not released." in html and "the unassigned queue would not list it" in html
    assert 'data-testid="assignee">olga.officer@example.com' in html
    with app.app_context():
        officer = create_account(OLGA)
        assert queues.queue_counts(officer=officer, today=dt.date.today())["unassigned"] == 0


# --- 7. The history in words ------------------------------------------------------------------------------------


def test_the_history_names_statuses_and_reasons_in_words(client, case):
    sign_in(client, OLGA)
    _decide(client, case, "deny", reason_codes=["criminal_history"], note="word " * 200)
    history = _page(client, case).split('data-testid="history"')[1]
    for code in ("officer_review", "in_vetting", "vetting_hit", "criminal_history", ">denied<"):
        assert code not in history
    assert "Pending Review (officer review)" in history and "Vetting found a possible match" in history
    assert "Criminal history (arrest, conviction, pending charge or warrant)" in history
    assert '<tr class="tt-history-note"><td colspan="5" data-label="Note"><p>word word' in history


# --- 8. The day schedule asks for the same two confirmations as the case page ----------------------------------


def test_visit_done_on_the_day_schedule_needs_both_checks_ticked_and_says_so_beside_them(client, app):
    from trusted_traveler.scheduling import service as scheduling
    from trusted_traveler.scheduling.models import Appointment, Slot

    with app.app_context():
        create_account(OLGA, roles=("officer",))
        application = create_application("precheck", submitted=True)
        now = dt.datetime.now(dt.UTC)
        slot = Slot(center_id=8001, starts_at=now + dt.timedelta(days=5), capacity=1)
        db.session.add(slot)
        db.session.flush()
        appointment = scheduling.book(application, slot, by=application.profile.account, now=now)
        slot.starts_at = now  # the visit is today: it can be checked in
        reference, appointment_id = application.reference, appointment.id
        db.session.commit()
    sign_in(client, OLGA)
    assert client.post(f"/officer/appointments/{appointment_id}/check-in").status_code == 302

    refused = client.post(f"/officer/appointments/{appointment_id}/complete", data={"documents_verified": "y"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'data-testid="schedule"' in html
    beside = html.split('data-testid="visit-error">')[1].split("</span>")[0]
    assert "can only be recorded as complete when the fingerprints were taken" in beside
    assert (
        f'id="documents_verified-{appointment_id}" name="documents_verified" type="checkbox" value="y" checked' in html
    )
    assert (
        f'id="biometrics_captured-{appointment_id}" name="biometrics_captured" type="checkbox" value="y" aria' in html
    )
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "checked_in"
    assert _status(app, reference) == "enrollment_scheduled"

    done = client.post(
        f"/officer/appointments/{appointment_id}/complete",
        data={"documents_verified": "y", "biometrics_captured": "y"},
    )
    assert done.status_code == 302 and _status(app, reference) == "approved"
