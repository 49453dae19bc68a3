"""WCAG 1.4.10 reflow and 1.4.4 resize text: at 320 CSS pixels wide, and at 200% zoom of a 1280-pixel window (640
CSS pixels), the key pages need no sideways scrolling and their main actions stay on screen. Screenshots of each are
kept in test-results/ for a person to look at. After a failed submit, focus moves to the error summary."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.journeys import dev_sign_in
from tests.factories import create_account, create_application, create_profile
from trusted_traveler.extensions import db

# (width, height, device scale factor): a phone at 320 px, and a 1280 x 900 window zoomed to 200%.
SIZES = {"320px": (320, 640, 1), "zoom200": (640, 450, 2)}
WIDEST = """() => {
  const w = window.innerWidth;
  const over = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1);
  const outer = over.filter(e => !over.includes(e.parentElement));
  return outer.slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className ? '.' + String(e.className).trim().split(/\\s+/).join('.') : ''));
}"""
PUBLIC = [
    "/",
    "/which-program",
    "/appointments/availability",
    "/dashboard/performance",
    "/feedback/submission",
    "/auth/dev",
]
TRAVELER = ["/dashboard", "/profile", "/profile/summary", "/apply", "/notifications"]


@pytest.fixture
def traveler(app):
    with app.app_context():
        profile = create_profile(create_account("reflow@example.com"))
        application = create_application("global_entry", profile=profile, submitted=True)
        create_account("reflow.officer@example.com", roles=("officer",))
        hit = create_profile(create_account("reflow.hit@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
        case = create_application("global_entry", profile=hit, submitted=True)
        db.session.commit()
        return application.reference, case.reference


def _sign_in(page, email: str) -> None:
    """The development sign-in, by the form's field name (its label is in the page's language)."""
    page.goto("/auth/dev")
    form = page.locator("form.usa-form")
    form.locator("input[name=email]").fill(email)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/auth/dev" not in url)


def _check(context_page, path: str, label: str) -> list[str]:
    context_page.goto(path)
    overflow = context_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
    ARTIFACTS.mkdir(exist_ok=True)
    context_page.screenshot(path=str(ARTIFACTS / f"reflow-{label}-{name}.png"), full_page=True)
    if overflow <= 0:
        return []
    wide = context_page.evaluate(WIDEST)
    return [f"{label} {path}: {overflow}px of sideways scrolling, from {wide}"]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", SIZES)
def test_key_pages_reflow_without_sideways_scrolling(chromium, live_url, traveler, size, language):
    """In both languages (Spanish runs longer), with a screenshot of each page kept for a person to look at."""
    width, height, scale = SIZES[size]
    label = f"{size}-{language}"
    context = chromium.new_context(
        base_url=live_url,
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        extra_http_headers={"Accept-Language": language},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    reference, case = traveler
    problems = []
    for path in PUBLIC:
        problems += _check(page, path, label)
    _sign_in(page, "reflow@example.com")
    for path in [*TRAVELER, f"/applications/{reference}"]:
        problems += _check(page, path, label)
    page.context.clear_cookies()
    _sign_in(page, "reflow.officer@example.com")
    for path in ["/officer/", f"/officer/cases/{case}"]:
        problems += _check(page, path, label)
    context.close()
    assert problems == [], "\n".join(problems)


def test_after_a_failed_submit_focus_moves_to_the_error_summary(page, traveler):
    dev_sign_in(page, "reflow@example.com")
    page.goto("/which-program")
    page.get_by_role("button", name="Check").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
