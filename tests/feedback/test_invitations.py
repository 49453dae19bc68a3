"""Each survey answer counts once, from someone the service offered the survey: the link that offers it carries a
single-use invitation, the response keeps nothing that leads back to it, and the figures count only answers given
with one."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading

import pytest
from sqlalchemy import func, inspect, select

from tests.factories import create_account, create_application, create_profile, sign_in, survey_invitation
from trusted_traveler import create_app
from trusted_traveler.casework.models import Application
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.feedback import performance, results
from trusted_traveler.feedback import service as feedback
from trusted_traveler.feedback.models import FeedbackResponse, SurveyOffer

LINK = re.compile(r'href="/feedback/(\w+)\?invitation=([\w-]+)')


def responses(app) -> list[FeedbackResponse]:
    with app.app_context():
        found = db.session.scalars(select(FeedbackResponse).order_by(FeedbackResponse.id)).all()
        db.session.expunge_all()
        return found


def invite(app, touchpoint: str = "decision", **kwargs) -> str:
    with app.app_context():
        token = survey_invitation(touchpoint, **kwargs)
        db.session.commit()
        return token


@pytest.fixture
def decided(app, client) -> str:
    """A decided application whose owner, signed in, reads its page: the reference."""
    with app.app_context():
        application = create_application(
            "precheck", profile=create_profile(create_account("decided@example.com")), submitted=True
        )
        application.status = "approved"
        db.session.commit()
        reference = application.reference
    sign_in(client, "decided@example.com")
    return reference


def test_the_page_that_offers_the_survey_links_to_it_with_an_invitation_that_works_once(client, app, decided):
    """The link on the traveler's page opens the survey; the first answer counts; the same link again is refused,
    says why, and keeps nothing; the page then stops inviting."""
    page = client.get(f"/applications/{decided}").get_data(as_text=True)
    [(touchpoint, token)] = LINK.findall(page)
    assert touchpoint == "decision"
    assert LINK.findall(client.get(f"/applications/{decided}").get_data(as_text=True)) == [(touchpoint, token)]
    assert "Send my answers" in client.get(f"/feedback/decision?invitation={token}").get_data(as_text=True)

    answer = {"satisfaction": "5", "trust": "5", "invitation": token}
    assert client.post("/feedback/decision", data=answer).status_code == 302
    again = client.post("/feedback/decision", data=answer)
    assert again.status_code == 410
    assert "This survey was already answered" in again.get_data(as_text=True)
    assert "nothing more was saved" in again.get_data(as_text=True)
    reopened = client.get(f"/feedback/decision?invitation={token}")
    assert reopened.status_code == 410 and "Send my answers" not in reopened.get_data(as_text=True)
    assert len(responses(app)) == 1
    assert "survey-invite" not in client.get(f"/applications/{decided}").get_data(as_text=True)


def test_without_an_invitation_the_survey_says_it_is_by_invitation_and_keeps_nothing(client, app):
    """The reviewer's six "strongly agree" with no application: each refused in words, none kept or counted."""
    page = client.get("/feedback/decision")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "This survey is by invitation" in text and "on the page that confirmed your submission" in text
    assert "Send my answers" not in text
    for _ in range(6):
        refused = client.post("/feedback/decision", data={"satisfaction": "5", "trust": "5"})
        assert refused.status_code == 404 and "This survey is by invitation" in refused.get_data(as_text=True)
    assert responses(app) == []
    with app.app_context():
        decision = performance.satisfaction_trust(utcnow()).rows[2]
    assert decision[1] == 0  # no responses after a decision


@pytest.mark.parametrize("token", ["made-up", secrets.token_urlsafe(32), "x" * 500, "ñ" * 10])
def test_an_invitation_nobody_was_given_is_refused(client, app, token):
    """A guessed, cut or invented token opens nothing and saves nothing, whatever its length or characters."""
    invite(app)  # a real one exists, and is not this
    for response in (
        client.get("/feedback/decision", query_string={"invitation": token}),
        client.post("/feedback/decision", data={"satisfaction": "5", "invitation": token}),
    ):
        assert response.status_code == 404
        assert "This survey link does not work" in response.get_data(as_text=True)
    assert responses(app) == []


def test_an_expired_invitation_is_refused_and_says_how_long_invitations_last(client, app):
    """Open SURVEY_INVITATION_DAYS (30) after the offer, then closed."""
    token = invite(app, now=utcnow() - dt.timedelta(days=feedback.INVITATION_DAYS, minutes=1))
    response = client.post("/feedback/decision", data={"satisfaction": "5", "invitation": token})
    assert response.status_code == 410
    assert "This survey invitation has expired" in response.get_data(as_text=True)
    assert "open for 30 days" in response.get_data(as_text=True)
    assert responses(app) == []
    fresh = invite(app, now=utcnow() - dt.timedelta(days=feedback.INVITATION_DAYS - 1))
    assert client.post("/feedback/decision", data={"satisfaction": "5", "invitation": fresh}).status_code == 302


def test_an_invitation_for_another_survey_points_to_its_own_and_stays_unused(client, app):
    """An invitation after a submission does not answer the decision survey; the page links to the right one,
    where it still works."""
    token = invite(app, "submission")
    response = client.post("/feedback/decision", data={"satisfaction": "5", "invitation": token})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "This invitation is for another survey" in page and "After submitting an application" in page
    assert f'href="/feedback/submission?invitation={token}"' in page
    assert responses(app) == []
    assert client.post("/feedback/submission", data={"satisfaction": "5", "invitation": token}).status_code == 302
    assert [r.touchpoint for r in responses(app)] == ["submission"]


def test_answers_sent_back_for_correction_leave_the_invitation_unused(client, app):
    """An empty or invalid response is refused before the invitation is touched: correcting it is then accepted."""
    token = invite(app)
    assert client.post("/feedback/decision", data={"invitation": token}).status_code == 400
    assert client.post("/feedback/decision", data={"satisfaction": "9", "invitation": token}).status_code == 400
    page = client.post("/feedback/decision", data={"satisfaction": "9", "invitation": token}).get_data(as_text=True)
    assert f'name="invitation" type="hidden" value="{token}"' in page  # the form keeps its invitation
    assert client.post("/feedback/decision", data={"satisfaction": "4", "invitation": token}).status_code == 302
    assert [r.scores for r in responses(app)] == [{"satisfaction": 4}]


def test_nothing_links_a_response_to_its_invitation_and_the_database_holds_no_usable_token(app_ctx):
    """The response has no offer, account or invitation column; the offer keeps the token's SHA-256 and a flag with
    no time; the token appears nowhere in the database."""
    application = create_application("precheck", submitted=True)
    token = feedback.record_offer([application], "decision")[application.id]
    response = feedback.record_response("decision", invitation=token, scores={"trust": 4})
    db.session.commit()
    columns = {c.key for c in inspect(FeedbackResponse).columns}
    assert columns == {"id", "touchpoint", "scores", "free_text", "language", "application_id", "invited", "created_at"}
    assert (response.application_id, response.invited) == (None, True)
    offer = db.session.scalar(select(SurveyOffer).where(SurveyOffer.application_id == application.id))
    assert offer.invitation_hash == hashlib.sha256(token.encode()).hexdigest() and offer.answered is True
    stored = [getattr(offer, c.key) for c in inspect(SurveyOffer).columns]
    stored += [getattr(response, c.key) for c in inspect(FeedbackResponse).columns]
    assert not any(token in str(value) for value in stored)
    assert len(token) == 43  # 256 bits, URL-safe


def test_two_posts_of_one_invitation_at_the_same_moment_count_once(app, database_url):
    """Eight requests in eight threads, each with its own connection, send one invitation at once: one response is
    kept and the invitation is answered; the others are told it was answered (on PostgreSQL in CI; on SQLite the
    writers queue, and the answer must be the same)."""
    token = invite(app)
    racers_app = create_app(
        "test",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_size": 10,
                **({"connect_args": {"timeout": 60}} if database_url.startswith("sqlite") else {}),
            },
        },
    )
    barrier = threading.Barrier(8)
    outcomes = []

    def race():
        with racers_app.app_context():
            barrier.wait(timeout=60)
            try:
                feedback.record_response("decision", invitation=token, scores={"satisfaction": 5})
                db.session.commit()
                outcomes.append("kept")
            except feedback.InvitationRefused as refused:
                db.session.rollback()
                outcomes.append(refused.reason)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with racers_app.app_context():
        db.engine.dispose()
    assert sorted(outcomes) == ["answered"] * 7 + ["kept"]
    assert len(responses(app)) == 1


def test_an_offer_made_before_invitations_gets_one_when_its_page_is_shown(client, app, decided):
    """Offers recorded before migration 0024 have no invitation: the traveler's page issues one, which works."""
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == decided))
        db.session.add(SurveyOffer(application_id=application.id, touchpoint="decision"))
        db.session.commit()
    [(_touchpoint, token)] = LINK.findall(client.get(f"/applications/{decided}").get_data(as_text=True))
    assert client.post("/feedback/decision", data={"trust": "4", "invitation": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyOffer)) == 1  # still one offer


def test_a_new_secret_key_moves_the_open_invitation_with_it(client, app, decided):
    """The token is derived from SECRET_KEY: after the key changes the page shows a link that works with it."""
    [(_t, before)] = LINK.findall(client.get(f"/applications/{decided}").get_data(as_text=True))
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-rotated-test-key"  # pragma: allowlist secret
    try:
        sign_in(client, "decided@example.com")  # the session was signed with the old key
        [(_t, after)] = LINK.findall(client.get(f"/applications/{decided}").get_data(as_text=True))
        assert after != before
        assert client.post("/feedback/decision", data={"trust": "4", "invitation": before}).status_code == 404
        assert client.post("/feedback/decision", data={"trust": "4", "invitation": after}).status_code == 302
    finally:
        app.config["SECRET_KEY"] = secret


def test_answers_from_before_invitations_are_kept_but_not_counted(client, app):
    """Responses with no invitation (from before migration 0024) stay in the table and out of every figure; the
    program leads' page says how many."""
    with app.app_context():
        for _ in range(6):
            db.session.add(FeedbackResponse(touchpoint="decision", scores={"satisfaction": 5}, free_text="Stuffed"))
        feedback.record_response("decision", invitation=survey_invitation("decision"), scores={"satisfaction": 2})
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
        [group] = results.summarize(by_language=False)
        assert (group.touchpoint, group.responses, group.drivers["satisfaction"].counts) == (
            "decision",
            1,
            (0, 1, 0, 0, 0),
        )
        assert results.recent_comments() == []
        assert performance.satisfaction_trust(utcnow()).rows[2][1] == 1
        assert db.session.scalar(select(func.count()).select_from(FeedbackResponse)) == 7
    sign_in(client, "lead@example.com")
    page = client.get("/program-lead/feedback").get_data(as_text=True)
    assert "6 earlier answers, sent before invitations were needed, are kept but not counted" in page
    assert "Stuffed" not in page
