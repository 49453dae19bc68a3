"""In a real browser: the survey after submitting, answered with the keyboard only; the results for a program
lead; the public dashboard at phone and desktop widths. axe finds nothing on any of these pages."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.conftest import ARTIFACTS
from tests.browser.journeys import apply_and_confirm, dev_sign_in, pay
from tests.browser.test_accessibility import AXE_OPTIONS, violations
from tests.factories import create_account, create_profile, survey_invitation
from tests.test_performance_dashboard import application
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.extensions import db
from trusted_traveler.feedback import performance
from trusted_traveler.feedback.models import FeedbackResponse
from trusted_traveler.feedback.service import record_response
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import generate_slots


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    performance.cache.clear()
    yield
    performance.cache.clear()


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_traveler_answers_the_survey_with_the_keyboard_after_submitting(app, page: Page):
    """Submit, follow the invitation, choose scores with the arrow keys, type a comment, send with Enter; the same
    invitation link then says it was answered."""
    with app.app_context():
        create_profile(create_account("survey.traveler@example.com"))
        db.session.commit()
    dev_sign_in(page, "survey.traveler@example.com")
    apply_and_confirm(page, "TSA PreCheck")
    pay(page, "4111 1111 1111 1111")
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()
    invite = page.get_by_role("link", name="Take the 2-minute survey")
    invite.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    expect(page.get_by_text("I am satisfied with the service I received from TSA PreCheck.")).to_be_visible()
    survey_link = page.url
    assert "invitation=" in survey_link

    tab_to(page, "input[name=satisfaction]")
    page.keyboard.press("Space")  # the first answer, "Strongly disagree"...
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # ...moved to "Strongly agree"
    tab_to(page, "input[name=trust]")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # "Agree"
    tab_to(page, "textarea")
    page.keyboard.type("Quick and clear.")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()

    with app.app_context():
        [saved] = db.session.scalars(select(FeedbackResponse)).all()
        assert (saved.touchpoint, saved.scores, saved.free_text) == (
            "submission",
            {"satisfaction": 5, "trust": 4},
            "Quick and clear.",
        )
        assert saved.application_id is None  # anonymous unless the traveler chose to link it
    page.goto(survey_link)  # the same invitation again: it was counted once, and says so
    expect(page.get_by_role("heading", name="This survey was already answered")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedbackResponse)) == 1


def test_survey_results_and_dashboard_pages_have_no_accessibility_violations(app, page: Page):
    """axe (WCAG 2.1 AA) on the survey, with and without errors, the thank-you page, the results and the dashboard."""
    with app.app_context():
        create_account("survey.lead@example.com", roles=("program_lead",))
        for score in (5, 4, 4, 2, 1):
            record_response(
                "decision",
                invitation=survey_invitation("decision"),
                scores={"satisfaction": score, "trust": score},
                free_text=f"Comment {score}",
            )
        invitations = {touchpoint: survey_invitation(touchpoint) for touchpoint in ("submission", "appointment")}
        decision = survey_invitation("decision")
        db.session.commit()
    found = []
    for path in (
        f"/feedback/submission?invitation={invitations['submission']}",
        f"/feedback/appointment?invitation={invitations['appointment']}",
        "/feedback/decision",  # no invitation: the page says why
        "/feedback/thank-you",
        "/dashboard/performance",
    ):
        found += violations(page, path)
    page.goto(f"/feedback/decision?invitation={decision}")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Answer at least one question or skip the survey").first).to_be_visible()
    errors = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    found += [f"survey with errors: {v['id']}: {v['help']}" for v in errors]
    dev_sign_in(page, "survey.lead@example.com")
    found += violations(page, "/program-lead/feedback")
    expect(page.get_by_test_id("comments")).to_contain_text("Comment 5")
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("width", [320, 1280])
def test_the_dashboard_fits_the_screen_from_phone_to_desktop(app, page: Page, width: int):
    """Charts scale to the width and wide tables scroll inside their box: the page never scrolls sideways."""
    with app.app_context():
        now, profile = utcnow(), create_profile()
        for i in range(40):
            program = "precheck" if i % 3 else "global_entry"
            submitted = now - dt.timedelta(days=3 * i + 1)
            application(profile, program, submitted_at=submitted, decided_at=submitted + dt.timedelta(days=i % 9))
        for score in (5, 5, 4, 3, 1):
            record_response(
                "submission", invitation=survey_invitation("submission"), scores={"satisfaction": score, "trust": score}
            )
        for center_id in (8001, 5140):
            center = db.session.get(EnrollmentCenter, center_id)
            if center is not None:
                generate_slots(center, start=service_today() + dt.timedelta(days=4), days=7)
        db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/dashboard/performance")
    expect(page.get_by_role("heading", name="How Trusted Traveler is performing")).to_be_visible()
    expect(
        page.get_by_role("img", name="Satisfaction and trust (OMB Circular A-11 section 280 survey)")
    ).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"performance-dashboard-{width}px.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
