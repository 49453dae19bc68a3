"""The performance dashboard's charts are readable on a phone: at 320 and 375 pixels wide each chart is its narrow
drawing, every word of it at least 12 pixels high and inside the chart, each center's name whole; at a desktop's
width the wide drawing, as before. Only one drawing of each chart is ever in the accessibility tree."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.factories import create_profile
from tests.test_performance_dashboard import application, record_response
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.extensions import db
from trusted_traveler.feedback import performance
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import generate_slots

KEYS = ("applications-per-week", "processing-time", "soonest-appointment", "satisfaction-trust")
# Each drawing's text as shown: its height in pixels, and whether it stays inside the chart's box.
TEXTS = """svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    const size = parseFloat(getComputedStyle(t).fontSize) * box.width / svg.viewBox.baseVal.width;
    return {text: t.textContent, size, inside: r.left >= box.left - 1 && r.right <= box.right + 1};
  });
}"""


@pytest.fixture
def figures(app):
    performance.cache.clear()
    with app.app_context():
        now, profile = utcnow(), create_profile()
        for i in range(40):
            program = "precheck" if i % 3 else "global_entry"
            submitted = now - dt.timedelta(days=3 * i + 1)
            application(profile, program, submitted_at=submitted, decided_at=submitted + dt.timedelta(days=i % 9))
        for score in (5, 5, 4, 3, 1):
            record_response("submission", scores={"satisfaction": score, "trust": score})
        for center_id in (8001, 8003, 5140):
            center = db.session.get(EnrollmentCenter, center_id)
            if center is not None:
                generate_slots(center, start=service_today() + dt.timedelta(days=4), days=7)
        db.session.commit()
    yield
    performance.cache.clear()


@pytest.mark.parametrize("width", [320, 375])
def test_on_a_phone_each_chart_is_drawn_for_it_with_text_large_enough_to_read(figures, page: Page, width: int):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/dashboard/performance")
    for key in KEYS:
        narrow, wide = page.get_by_test_id(f"chart-{key}-narrow"), page.get_by_test_id(f"chart-{key}")
        expect(narrow).to_be_visible()
        expect(wide).to_be_hidden()
        texts = narrow.evaluate(TEXTS)
        assert texts, key
        small = [t for t in texts if t["size"] < 12]
        assert not small, f"{key}: text under 12 px at {width} px wide: {small[:3]}"
        outside = [t["text"] for t in texts if not t["inside"]]
        assert not outside, f"{key}: text cut off at the side: {outside[:3]}"
        assert not any(t["text"].endswith("…") for t in texts), f"{key}: a name cut short"
    # one image per chart for a screen reader: the hidden drawing is out of the accessibility tree
    for title in ("Applications received per week", "Days to the soonest open appointment, by enrollment center"):
        expect(page.get_by_role("img", name=title)).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"performance-charts-{width}px.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_at_a_desktops_width_the_wide_charts_are_shown_as_before(figures, page: Page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/dashboard/performance")
    for key in KEYS:
        expect(page.get_by_test_id(f"chart-{key}")).to_be_visible()
        expect(page.get_by_test_id(f"chart-{key}-narrow")).to_be_hidden()
        texts = page.get_by_test_id(f"chart-{key}").evaluate(TEXTS)
        assert all(t["size"] >= 12 for t in texts), key
