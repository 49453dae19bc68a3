"""Two program leads change a rule and a fee in a real browser: draft, edit through forms, try it, send for
review, and the second lead approves on a confirmation page; the change waits for its effective date, and the
public check's answer under it can be tried in the console before then."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in
from tests.browser.test_accessibility import AXE_OPTIONS, violations
from tests.factories import create_account, create_application, create_profile
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules import authoring


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

    # Propose a new fee with its source; a value that is no amount is said with the setting's name, all kept.
    page.get_by_label("Setting").select_option("fee_new")
    page.get_by_label("New value").fill("abc")
    page.get_by_label("Source").fill("Federal Register 2027-00001")
    page.get_by_role("button", name="Propose this value").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("Fee new: Enter an amount in dollars, like 78.00.")
    expect(page.locator("#value-error")).to_have_text("Fee new: Enter an amount in dollars, like 78.00.")
    expect(page.get_by_label("Source")).to_have_value("Federal Register 2027-00001")
    expect(page.get_by_label("Setting")).to_have_value("fee_new")
    page.get_by_label("New value").fill("80")
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
    expect(page.get_by_role("link", name="Approve and publish")).to_have_count(0)  # not offered to its author

    # The second lead approves; it is published and waits for its date.
    page.get_by_role("button", name="Sign out").click()
    dev_sign_in(page, "lead.two@example.com")
    page.goto("/program-lead/")
    page.get_by_role("link", name=re.compile("Continue the open change")).first.click()
    expect(page.get_by_test_id("version-status")).to_have_text("in review")  # the version's page, loaded
    page.get_by_role("link", name="Approve and publish").click()
    expect(page.get_by_role("heading", name="Publish this change to the TSA PreCheck rules?")).to_be_visible()
    expect(page.get_by_test_id("publish-impact")).to_contain_text("1 of 1 pending TSA PreCheck applications")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("version-status")).to_have_text("published")
    expect(page.get_by_test_id("history")).to_contain_text("published")
    expect(page.get_by_test_id("history")).to_contain_text("lead.two@example.com")
    page.goto("/program-lead/")
    expect(page.get_by_role("link", name=f"precheck-{starts.isoformat()}")).to_be_visible()
    expect(page.get_by_test_id("in-force").first).to_be_visible()


def test_the_second_lead_reads_the_confirmation_goes_back_then_publishes_by_keyboard_and_tries_it(app, page: Page):
    """Keyboard only from the review page on: "Approve and publish" opens the confirmation; "Go back" publishes
    nothing; "Publish" does. The version, future-dated, is then tried as the public check will answer under it."""
    today = service_today()
    starts = today + dt.timedelta(days=20)
    with app.app_context():
        author = create_account("lead.one@example.com", roles=("program_lead",))
        create_account("lead.two@example.com", roles=("program_lead",))
        draft = authoring.start_draft(get_program("precheck"), by=author, today=today)
        authoring.propose_parameter(draft, "fee_new", "82", by=author, reference="Federal Register 2027-00002")
        authoring.submit_for_review(
            draft, by=author, effective_from=starts, effective_until=None, note="New fee", today=today
        )
        label = draft.label
        db.session.commit()
    dev_sign_in(page, "lead.two@example.com")
    page.goto(f"/program-lead/versions/{label}")

    page.get_by_role("link", name="Approve and publish").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish this change to the TSA PreCheck rules?")
    expect(page.get_by_test_id("publish-summary")).to_contain_text(f"as precheck-{starts.isoformat()}")
    expect(page.get_by_test_id("publish-effective")).to_contain_text(f"{starts:%B %-d, %Y}")
    expect(page.get_by_test_id("publish-changes")).to_contain_text("becomes 82.00 (now 78.00)")
    expect(page.get_by_test_id("publish-impact")).to_contain_text("0 of 0 pending TSA PreCheck applications")
    found = violations(page, page.url.removeprefix(page.url.split("/program-lead")[0]))
    assert found == [], "\n".join(found)

    page.get_by_role("link", name="Go back").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("version-status")).to_have_text("in review")  # nothing published

    page.get_by_role("link", name="Approve and publish").focus()
    page.keyboard.press("Enter")
    publish = page.get_by_role("button", name="Publish", exact=True)
    publish.focus()
    expect(publish).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("version-status")).to_have_text("published")
    expect(page.get_by_role("status").first).to_contain_text(f"Published as precheck-{starts.isoformat()}")

    # Before its date, the public check cannot be asked about it; the console can.
    page.get_by_role("link", name="Try the public check's answers under this version").click()
    expect(page.get_by_label("Rules to answer by")).to_have_value(f"precheck-{starts.isoformat()}")
    page.get_by_label("What is your date of birth?").fill("1990-02-03")
    page.get_by_label("Which country are you a citizen of?").select_option("US")
    for question in (
        "Do you hold a U.S. Permanent Resident Card (green card)?",
        "Do you travel to other countries?",
        "Have you ever been convicted of a crime, or are you charged with one now, in any country?",
        "Have you ever broken customs, immigration or agriculture laws in any country?",
        "Are you under investigation by any police or law enforcement agency, in any country?",
        "Have you ever been refused entry to the U.S., or given a waiver of inadmissibility or parole?",
    ):
        page.get_by_role("group", name=question).get_by_text("No", exact=True).click()
    page.get_by_role("button", name="Try", exact=True).click()
    answer = page.get_by_test_id("trial-public")
    expect(answer.get_by_test_id("answer-precheck")).to_contain_text("you can apply · fee $82.00")
    expect(answer.get_by_test_id("rules-since")).to_have_text(f"Rules in effect since {starts:%B %-d, %Y}.")
    expect(answer.get_by_role("link", name="Sign in and apply")).to_have_count(0)
    results = Axe().run(page, options=AXE_OPTIONS)  # the page with its answer, as it stands
    assert results.violations_count == 0, results.generate_report()


def test_two_changes_to_the_age_of_majority_each_warn_of_the_other_up_to_the_confirmation(app, page: Page):
    """A TSA PreCheck change and a Global Entry change both propose the shared age of majority: the PreCheck draft's
    page warns of the other and its value; at publication the second lead reads which value holds, and publishes."""
    today = service_today()
    early, late = today + dt.timedelta(days=20), today + dt.timedelta(days=40)
    with app.app_context():
        author = create_account("lead.one@example.com", roles=("program_lead",))
        create_account("lead.two@example.com", roles=("program_lead",))
        drafts = {}
        for code, value in (("precheck", "21"), ("global_entry", "19")):
            draft = authoring.start_draft(get_program(code), by=author, today=today)
            authoring.propose_parameter(draft, "age_of_majority", value, by=author, reference="Notice 2027-1")
            drafts[code] = draft
        db.session.flush()
        authoring.submit_for_review(
            drafts["global_entry"], by=author, effective_from=late, effective_until=None, note="19", today=today
        )
        precheck, ge = drafts["precheck"].label, drafts["global_entry"].label
        db.session.commit()
    dev_sign_in(page, "lead.one@example.com")
    page.goto(f"/program-lead/versions/{precheck}")
    warning = page.get_by_test_id("shared-clash")
    expect(warning).to_contain_text("Another version changes the same shared setting")
    expect(warning).to_contain_text(f"Global Entry's {ge} (in review, to take effect on {late:%B %-d, %Y}) proposes 19")
    expect(warning).to_contain_text("Publishing is not blocked")
    page.get_by_label("Takes effect on").fill(early.isoformat())
    page.get_by_label("Why this change").fill("Age of majority 21")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("version-status")).to_have_text("in review")

    page.get_by_role("button", name="Sign out").click()
    dev_sign_in(page, "lead.two@example.com")
    page.goto(f"/program-lead/versions/{precheck}")
    page.get_by_role("link", name="Approve and publish").click()
    expect(page.get_by_test_id("shared-clash")).to_contain_text(
        f"this one's 21 holds only until {late - dt.timedelta(days=1):%B %-d, %Y}: {ge}'s 19 overrides it for both "
        f"programs from {late:%B %-d, %Y}."
    )
    found = violations(page, page.url.removeprefix(page.url.split("/program-lead")[0]))
    assert found == [], "\n".join(found)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("version-status")).to_have_text("published")
