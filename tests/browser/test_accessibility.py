"""axe-core (WCAG 2.1 AA rules) over the pages of every journey built so far: zero violations."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.journeys import dev_sign_in
from tests.factories import create_account, create_application, create_officer, create_profile
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import generate_slots

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page: Page, path: str) -> list[str]:
    page.goto(path)
    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{path}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.fixture
def people(app):
    with app.app_context():
        create_officer("a11y.officer@example.com")
        create_account("a11y.admin@example.com", roles=("admin",))
        create_account("a11y.lead@example.com", roles=("program_lead",))
        traveler = create_profile(create_account("a11y.traveler@example.com"))
        application = create_application("precheck", profile=traveler, submitted=True)
        create_application("global_entry", profile=traveler)
        generate_slots(db.session.get(EnrollmentCenter, 8001), start=service_today() + dt.timedelta(days=2), days=5)
        db.session.commit()
        return application.reference


def test_public_and_sign_in_pages(page: Page):
    found = []
    for path in (
        "/",
        "/which-program",
        "/appointments/availability",
        "/auth/sign-in",
        "/auth/dev",
        "/auth/signed-out",
        "/no-such-page",
    ):
        found += violations(page, path)
    assert found == [], "\n".join(found)


def test_traveler_pages(page: Page, people):
    dev_sign_in(page, "a11y.traveler@example.com")
    found = []
    for path in (
        "/dashboard",
        "/profile/names",
        "/profile/birth",
        "/profile/documents",
        "/profile/addresses",
        "/profile/employment",
        "/profile/background",
        "/profile/summary",
        "/apply",
        "/checkout",
        f"/applications/{people}",
        "/privacy",
        "/privacy/my-data",
        "/privacy/delete-account",  # why it cannot be deleted: an application was sent
    ):
        found += violations(page, path)
    assert found == [], "\n".join(found)


def test_staff_pages(page: Page, people):
    dev_sign_in(page, "a11y.officer@example.com")
    found = violations(page, "/officer/") + violations(page, f"/officer/cases/{people}")
    found += violations(page, "/officer/centers") + violations(page, "/officer/centers/8001/day")
    dev_sign_in(page, "a11y.admin@example.com")
    found += (
        violations(page, "/admin/roles") + violations(page, "/admin/centers") + violations(page, "/admin/centers/8001")
    )
    dev_sign_in(page, "a11y.lead@example.com")
    found += violations(page, "/program-lead/") + violations(page, "/program-lead/versions/global_entry-2026-11-01")
    assert found == [], "\n".join(found)
