"""An administrator in a real browser: edits a center's details and saves them as the page sends them (its services
ticked as they were), and cannot remove their own administrator role."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in
from tests.factories import create_account
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter


def test_an_administrator_changes_a_centers_phone_and_its_services_stay_as_they_were(app, page: Page):
    with app.app_context():
        create_account("centers.admin@example.com", roles=("admin",))
        offered = sorted(s.name for s in db.session.get(EnrollmentCenter, 8001).services)
        db.session.commit()
    dev_sign_in(page, "centers.admin@example.com")
    page.goto("/admin/centers/8001")
    services = page.get_by_role("group", name="Services")
    for name in offered:
        expect(services.get_by_label(name)).to_be_checked()
    page.get_by_label("Phone (optional)").fill("202-555-0188")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status").or_(page.locator(".usa-alert--success"))).to_contain_text("Center details saved.")
    with app.app_context():
        center = db.session.get(EnrollmentCenter, 8001)
        assert center.phone_number == "202-555-0188"
        assert sorted(s.name for s in center.services) == offered


def test_an_administrator_is_told_they_cannot_remove_their_own_role(app, page: Page):
    with app.app_context():
        create_account("only.admin@example.com", roles=("admin",))
        db.session.commit()
    dev_sign_in(page, "only.admin@example.com")
    page.goto("/admin/roles")
    row = page.get_by_role("row").filter(has_text="only.admin@example.com")
    row.get_by_role("button", name="Remove").first.click()
    expect(page.get_by_text("You cannot remove your own administrator role")).to_be_visible()
    page.goto("/admin/roles")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
