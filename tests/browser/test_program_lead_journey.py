"""Two program leads change a rule and a fee in a real browser: draft, edit through forms, try it, send for
review, and the second lead approves; the change waits for its effective date."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in
from tests.browser.test_accessibility import violations
from tests.factories import create_account, create_application, create_profile
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db


def test_two_leads_change_the_interim_look_back_and_the_fee(app, page: Page):
    with app.app_context():
        create_account("lead.one@example.com", roles=("program_lead",))
        create_account("lead.two@example.com", roles=("program_lead",))
        eight_years_ago = service_today().replace(year=service_today().year - 8, day=1)
        pending = create_application(  # a robbery eight years ago: eligible now, not with a 10-year look-back
            "precheck",
            submitted=True,
            profile=create_profile(
                create_account("pending@example.com"),
                offenses=[{"category": "robbery", "status": "convicted", "date": eight_years_ago}],
            ),
        ).reference
        db.session.commit()
    dev_sign_in(page, "lead.one@example.com")
    page.get_by_role("link", name="Rules and fees").click()
    page.get_by_role("button", name="Start a change to TSA PreCheck").click()
    expect(page.get_by_test_id("version-status")).to_have_text("draft")

    # Edit the interim-offense rule: the look-back becomes 10 years.
    page.get_by_test_id("rule-precheck.interim_offense").get_by_role("link", name=re.compile("Edit")).click()
    expect(page.locator("[data-only-for=fact]")).to_be_hidden()  # an offense clause shows only its own fields
    page.get_by_label("Convicted or charged within this many years (optional)").fill("10")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_test_id("changes")).to_contain_text("within the last 10 years")

    # Its impact: the one pending application it would change, and the list of them to download.
    page.get_by_role("link", name="Preview the impact on pending applications").click()
    expect(page.get_by_test_id("impact-summary")).to_contain_text("1 of 1 pending applications would change outcome")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the changed application (CSV)").click()
    listed = Path(download.value.path()).read_text().splitlines()
    assert listed[1] == f"{pending},submitted,No center chosen yet,eligible,ineligible"
    page.get_by_role("link", name="Back to the draft").click()

    # Propose a new fee with its source.
    page.get_by_label("Setting").select_option("fee_new")
    page.get_by_label("New value").fill("80")
    page.get_by_label("Source").fill("Federal Register 2027-00001")
    page.get_by_role("button", name="Propose this value").click()
    expect(page.get_by_test_id("changes")).to_contain_text("becomes 80.00 (now 78.00)")
    assert violations(page, page.url.removeprefix(page.url.split("/program-lead")[0])) == []

    # Send it for review, effective next month.
    starts = service_today() + dt.timedelta(days=31)
    page.get_by_label("Takes effect on").fill(starts.isoformat())
    page.get_by_label("Why this change").fill("Longer look-back after the annual review")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("version-status")).to_have_text("in review")
    expect(page.get_by_test_id("second-lead")).to_contain_text("A second program lead must approve")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)  # not offered to its author

    # The second lead approves; it is published and waits for its date.
    page.get_by_role("button", name="Sign out").click()
    dev_sign_in(page, "lead.two@example.com")
    page.goto("/program-lead/")
    page.get_by_role("link", name=re.compile("Continue the open change")).first.click()
    expect(page.get_by_test_id("version-status")).to_have_text("in review")  # the version's page, loaded
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_test_id("version-status")).to_have_text("published")
    expect(page.get_by_test_id("history")).to_contain_text("published")
    expect(page.get_by_test_id("history")).to_contain_text("lead.two@example.com")
    page.goto("/program-lead/")
    expect(page.get_by_role("link", name=f"precheck-{starts.isoformat()}")).to_be_visible()
    expect(page.get_by_test_id("in-force").first).to_be_visible()
