"""The A-11 post-transaction survey: the standard items, optional answers, anonymity, links to an application only
for its signed-in owner, and answers only from people offered the survey, once each (tests/feedback/
test_invitations.py says more about the invitations)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in, survey_invitation
from trusted_traveler import create_app
from trusted_traveler.extensions import db, limiter
from trusted_traveler.feedback import service as feedback
from trusted_traveler.feedback.models import FeedbackResponse
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot

SATISFACTION = "I am satisfied with the service I received from Trusted Traveler."
TRUST = "This interaction increased my confidence in Trusted Traveler."


def responses(app) -> list[FeedbackResponse]:
    with app.app_context():
        found = db.session.scalars(select(FeedbackResponse).order_by(FeedbackResponse.id)).all()
        db.session.expunge_all()
        return found


def invite(app, touchpoint: str, reference: str | None = None) -> str:
    """An invitation to the survey at `touchpoint` (for application `reference`, else a new one): its token."""
    with app.app_context():
        from trusted_traveler.casework.models import Application

        application = (
            db.session.scalar(select(Application).where(Application.reference == reference)) if reference else None
        )
        token = survey_invitation(touchpoint, application)
        db.session.commit()
        return token


def survey(app, touchpoint: str, reference: str | None = None) -> str:
    """The survey link an invitation gives."""
    return f"/feedback/{touchpoint}?invitation={invite(app, touchpoint, reference)}"


def owned_application(app, email="owner@example.com", program="precheck") -> str:
    with app.app_context():
        application = create_application(program, profile=create_profile(create_account(email)), submitted=True)
        db.session.commit()
        return application.reference


def test_survey_shows_the_standard_satisfaction_and_trust_items_unmodified(client, app):
    """Satisfaction and trust are worded exactly as A-11 says, with the service name filled in, and come first."""
    page = client.get(survey(app, "submission")).get_data(as_text=True)
    assert SATISFACTION in page and TRUST in page
    assert page.index(SATISFACTION) < page.index(TRUST) < page.index("My need was addressed.")
    for statement in (
        "It was easy to complete what I needed to do.",
        "It took a reasonable amount of time to do what I needed to do.",
        "I was treated fairly.",
        "Any additional feedback on your scores above?",
    ):
        assert statement in page
    assert "Strongly disagree" in page and "Strongly agree" in page


def test_employee_helpfulness_is_asked_after_an_appointment_or_decision_not_after_submitting_online(client, app):
    """Nobody meets an employee when submitting online."""
    employees = "Employees I interacted with were helpful."
    assert employees not in client.get(survey(app, "submission")).get_data(as_text=True)
    for touchpoint in ("appointment", "decision"):
        assert employees in client.get(survey(app, touchpoint)).get_data(as_text=True)


def test_survey_keeps_to_fifteen_questions_at_most(client, app):
    """A-11 allows at most 15 questions: the scale items, the free text and the choice to stay anonymous."""
    assert feedback.QUESTION_COUNT <= 15
    page = client.get(survey(app, "decision")).get_data(as_text=True)
    assert page.count("<legend") + page.count("<textarea") <= 15


def test_a_signed_out_person_answers_anonymously(client, app):
    """No sign-in needed; the response keeps no application and no account."""
    token = invite(app, "appointment")
    response = client.post(
        "/feedback/appointment", data={"satisfaction": "5", "trust": "4", "free_text": " Quick ", "invitation": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/feedback/thank-you")
    assert "Thank you for your feedback" in client.get("/feedback/thank-you").get_data(as_text=True)
    [saved] = responses(app)
    assert (saved.touchpoint, saved.scores, saved.free_text, saved.application_id) == (
        "appointment",
        {"satisfaction": 5, "trust": 4},
        "Quick",
        None,
    )
    assert saved.language == "en"


def test_every_question_is_optional_one_answer_is_enough(client, app):
    """A single score, or only a comment, is a response."""
    first, second = invite(app, "decision"), invite(app, "decision")
    assert client.post("/feedback/decision", data={"equity": "3", "invitation": first}).status_code == 302
    assert client.post("/feedback/decision", data={"free_text": "Only words", "invitation": second}).status_code == 302
    assert [r.scores for r in responses(app)] == [{"equity": 3}, {}]


def test_an_empty_submission_asks_for_one_answer_or_skipping(client, app):
    """Nothing answered: say so, and store nothing."""
    response = client.post("/feedback/submission", data={"free_text": "   ", "invitation": invite(app, "submission")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Answer at least one question or skip the survey" in page
    assert 'href="#satisfaction"' in page  # the error summary leads to the first question
    assert "Skip the survey" in page
    assert responses(app) == []


def test_a_score_out_of_range_gets_a_field_message_and_keeps_what_was_typed(client, app):
    """A score of 7 is named on its question; the other answers and the comment stay filled in."""
    response = client.post(
        "/feedback/appointment",
        data={
            "satisfaction": "7",
            "trust": "4",
            "free_text": "Kept <b>as typed</b>",
            "invitation": invite(app, "appointment"),
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="satisfaction-error"' in page
    assert "Choose one of the five answers, from strongly disagree to strongly agree" in page
    assert re.search(r'<input checked[^>]*id="trust-3"[^>]*value="4"', page)  # "Agree", kept
    assert "Kept &lt;b&gt;as typed&lt;/b&gt;" in page
    assert responses(app) == []


def test_free_text_over_2000_characters_is_refused_and_kept(client, app):
    """The comment is limited to 2,000 characters; what was written is shown again to shorten."""
    response = client.post(
        "/feedback/submission",
        data={"satisfaction": "4", "free_text": "x" * 2001, "invitation": invite(app, "submission")},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Keep your feedback to 2,000 characters or fewer (you wrote 2,001)" in page
    assert "x" * 2001 in page
    assert responses(app) == []


def test_an_unknown_touchpoint_is_not_found(client):
    """Only submission, appointment and decision have a survey."""
    assert client.get("/feedback/checkout").status_code == 404
    assert client.post("/feedback/checkout", data={"satisfaction": "5"}).status_code == 404


def test_the_owner_coming_from_their_application_may_link_their_answers(client, app):
    """The survey names the program and offers a link; choosing it keeps the application, nothing else."""
    reference = owned_application(app)
    sign_in(client, "owner@example.com")
    token = invite(app, "decision", reference)
    page = client.get(f"/feedback/decision?invitation={token}&application={reference}").get_data(as_text=True)
    assert "I am satisfied with the service I received from TSA PreCheck." in page
    assert f"Link your answers to application {reference}?" in page
    response = client.post(
        "/feedback/decision",
        data={"satisfaction": "2", "identify": "yes", "application": reference, "invitation": token},
    )
    assert response.status_code == 302
    [saved] = responses(app)
    with app.app_context():
        from trusted_traveler.casework.models import Application

        assert saved.application_id == db.session.scalar(
            select(Application.id).where(Application.reference == reference)
        )


def test_the_owner_who_chooses_anonymity_is_not_linked(client, app):
    """Anonymous is the default, and it keeps no application."""
    reference = owned_application(app)
    sign_in(client, "owner@example.com")
    client.post(
        "/feedback/decision",
        data={"satisfaction": "4", "application": reference, "invitation": invite(app, "decision", reference)},
    )
    client.post(
        "/feedback/decision",
        data={"satisfaction": "4", "identify": "no", "application": reference, "invitation": invite(app, "decision")},
    )
    assert [r.application_id for r in responses(app)] == [None, None]


def without_the_way_back(page: str) -> str:
    """The page without its language switch's link, which brings the reader back to the address they typed, query
    string and all: that names nothing they did not give."""
    return re.sub(r'<a [^>]*href="/language/[^"]*"[^>]*>', "", page)


def test_someone_elses_application_reference_is_dropped(client, app):
    """Another person's reference is never trusted: not named on the page, not linked when posted."""
    reference = owned_application(app)
    with app.app_context():
        create_account("stranger@example.com")
        db.session.commit()
    sign_in(client, "stranger@example.com")
    token = invite(app, "decision")  # the stranger's own invitation, with the owner's reference
    page = client.get(f"/feedback/decision?invitation={token}&application={reference}").get_data(as_text=True)
    page = without_the_way_back(page)
    assert reference not in page and "TSA PreCheck." not in page and SATISFACTION in page
    client.post(
        "/feedback/decision",
        data={"satisfaction": "4", "identify": "yes", "application": reference, "invitation": token},
    )
    assert [r.application_id for r in responses(app)] == [None]


def test_a_signed_out_application_reference_is_dropped(client, app):
    """Signed out, nobody can show they own an application: the reference is ignored."""
    reference = owned_application(app)
    token = invite(app, "decision", reference)
    page = client.get(f"/feedback/decision?invitation={token}&application={reference}").get_data(as_text=True)
    assert reference not in without_the_way_back(page)
    client.post(
        "/feedback/decision", data={"trust": "5", "identify": "yes", "application": reference, "invitation": token}
    )
    assert [r.application_id for r in responses(app)] == [None]


@pytest.mark.parametrize("bad", [0, 6, 7, "7", "abc", 4.5, True, "-1"])
def test_record_response_refuses_a_score_that_is_not_1_to_5(app_ctx, bad):
    """Each score is a whole number from 1 to 5, or absent."""
    with pytest.raises(feedback.SurveyInvalid) as raised:
        feedback.record_response("submission", invitation=None, scores={"satisfaction": bad, "trust": 3})
    assert set(raised.value.errors) == {"satisfaction"}


def test_record_response_refuses_unknown_touchpoints_and_items_not_offered(app_ctx):
    """The touchpoint is one of three; the employee item is not asked after an online submission."""
    with pytest.raises(feedback.SurveyInvalid) as raised:
        feedback.record_response("lobby", invitation=None, scores={"satisfaction": 5})
    assert set(raised.value.errors) == {"touchpoint"}
    with pytest.raises(feedback.SurveyInvalid) as raised:
        feedback.record_response("submission", invitation=None, scores={"employees": 5})
    assert set(raised.value.errors) == {"employees"}


def test_record_response_keeps_the_application_only_when_the_person_identifies(app_ctx):
    """anonymous=True (the default) stores no application even when one is given."""
    application = create_application("precheck", submitted=True)
    kept = feedback.record_response(
        "decision",
        invitation=survey_invitation("decision", application),
        scores={"trust": "5"},
        application=application,
        anonymous=False,
    )
    dropped = feedback.record_response(
        "decision", invitation=survey_invitation("decision"), scores={"trust": 5}, application=application
    )
    assert (kept.application_id, dropped.application_id) == (application.id, None)
    assert kept.scores == {"trust": 5}


def test_the_confirmation_page_invites_to_the_survey_after_submission(client, app):
    """After submitting: "How did we do?" with a link to the submission survey for this application."""
    reference = owned_application(app)
    sign_in(client, "owner@example.com")
    page = client.get(f"/submitted?refs={reference}").get_data(as_text=True)
    assert "How did we do?" in page
    assert re.search(rf'href="/feedback/submission\?invitation=[\w-]{{43}}&amp;application={reference}"', page)


def test_the_application_page_invites_after_a_completed_appointment_or_a_decision(client, app):
    """Not while waiting; the appointment survey once the visit is done; the decision survey once decided."""
    reference = owned_application(app)
    sign_in(client, "owner@example.com")
    assert "survey-invite" not in client.get(f"/applications/{reference}").get_data(as_text=True)
    with app.app_context():
        from trusted_traveler.casework.models import Application

        application = db.session.scalar(select(Application).where(Application.reference == reference))
        center = db.session.get(EnrollmentCenter, 8001)
        slot = Slot(center_id=center.id, starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1), capacity=1, booked=1)
        db.session.add(slot)
        db.session.flush()
        db.session.add(Appointment(application_id=application.id, slot_id=slot.id, status="completed"))
        db.session.commit()
        assert feedback.survey_touchpoint_for(application) == "appointment"
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert re.search(rf'href="/feedback/appointment\?invitation=[\w-]{{43}}&amp;application={reference}"', page)
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        application.status = "approved"
        db.session.commit()
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert re.search(rf'href="/feedback/decision\?invitation=[\w-]{{43}}&amp;application={reference}"', page)


def test_the_anonymous_survey_post_is_rate_limited(database_url, app):
    """One address cannot flood the survey: the eleventh post in a minute gets 429, refused or not."""
    limited = create_app(
        "test",
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False},
    )
    client = limited.test_client()
    try:
        codes = [client.post("/feedback/submission", data={"satisfaction": "5"}).status_code for _ in range(11)]
    finally:
        limiter.reset()
        limiter.enabled = False  # the shared extension goes back to the test configuration's setting
    assert codes[:10] == [404] * 10  # no invitation: refused, and counted by the limit all the same
    assert codes[10] == 429
    assert client.get(survey(app, "submission")).status_code == 200  # reading the survey is not limited
