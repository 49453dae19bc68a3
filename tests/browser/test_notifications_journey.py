"""A member's notifications in a real browser: the expiry reminder from the daily job shows in the header count and
on the notifications page (which passes axe), "mark all as read" clears the count, and the reminder leads to
renewal."""

from __future__ import annotations

import datetime as dt
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from seeds.personas import load_personas
from trusted_traveler.auth.models import Account
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.memberships.lifecycle import run_daily
from trusted_traveler.memberships.models import Membership
from trusted_traveler.profiles.models import ApplicantProfile

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
CARLA = "carla.traveler@example.com"


def test_a_member_reads_the_expiry_reminder_marks_all_read_and_goes_to_renew(app, page: Page):
    """Carla (a demo Global Entry member) is 20 days from expiry; the daily job reminds her. She sees the unread count
    in the header, reads the reminder, marks everything read and follows the reminder to renew."""
    with app.app_context():
        load_personas()
        membership = db.session.scalar(
            select(Membership).join(ApplicantProfile).join(Account).where(Account.email == CARLA)
        )
        membership.valid_until = service_today() + dt.timedelta(days=20)
        assert run_daily(service_today()).reminded == 1
        db.session.commit()
        expires = f"{membership.valid_until:%B} {membership.valid_until.day}, {membership.valid_until.year}"

    page.goto("/auth/dev")
    page.locator(f'[data-persona="{CARLA}"]').click()
    badge = page.get_by_test_id("unread-count")
    expect(badge).to_be_visible()
    unread = int(badge.inner_text().split()[0])
    assert unread >= 1

    page.get_by_test_id("nav-notifications").click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    newest = page.get_by_test_id("notification").first
    expect(newest).to_have_attribute("data-unread", "true")
    expect(newest).to_contain_text(f"Your Global Entry membership expires on {expires}")
    expect(newest).to_contain_text("You can renew now.")
    expect(page.get_by_test_id("unread-summary")).to_contain_text(f"You have {unread} unread")

    results = Axe().run(page, options=AXE_OPTIONS)
    found = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]
    assert found == [], "\n".join(found)

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_test_id("unread-summary")).to_have_text("You have no unread notifications.")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    expect(page.locator('[data-unread="true"]')).to_have_count(0)

    newest.get_by_role("link", name=re.compile("membership expires on")).click()
    expect(page).to_have_url(re.compile(r"/apply$"))
