"""A traveler who never sent an application reads their data, then deletes their account, in a real browser: the
readable copy offers its print button, the confirmation says what goes, one more press deletes it all and signs
them out; every page passes axe. A traveler who sent one is told why their account stays."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.journeys import dev_sign_in
from tests.factories import create_account, create_application, create_profile
from trusted_traveler.auth.models import Account
from trusted_traveler.extensions import db

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
EMAIL = "rosa.leaving@example.com"


def _no_violations(page: Page) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    found = [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]
    assert found == [], f"{page.url}\n" + "\n".join(found)


def test_a_traveler_reads_their_data_then_deletes_their_account(app, page: Page):
    with app.app_context():
        profile = create_profile(create_account(EMAIL), surname="Rosales", given_names="Rosa")
        reference = create_application("global_entry", profile=profile).reference  # a draft
        db.session.commit()

    dev_sign_in(page, EMAIL)
    page.get_by_test_id("your-data").click()
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    _no_violations(page)

    page.get_by_role("link", name="See my data").click()
    expect(page.get_by_role("heading", name="Everything we hold about you")).to_be_visible()
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()  # shown by the script
    expect(page.get_by_role("heading", name=f"Global Entry application {reference}")).to_be_visible()
    expect(page.get_by_role("cell", name="Rosales").first).to_be_visible()
    _no_violations(page)
    page.emulate_media(media="print")  # the print stylesheet: the page's content only
    expect(page.locator(".usa-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this page")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to your data").click()

    page.get_by_test_id("delete-account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    what_goes = page.get_by_test_id("what-goes")
    expect(what_goes).to_contain_text(EMAIL)
    expect(what_goes).to_contain_text(reference)
    _no_violations(page)

    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)  # signed out
    _no_violations(page)
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.email == EMAIL)) is None

    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))


def test_a_traveler_who_sent_an_application_is_told_why_the_account_stays(app, page: Page):
    with app.app_context():
        profile = create_profile(create_account("sent.one@example.com"))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        db.session.commit()
    dev_sign_in(page, "sent.one@example.com")
    page.goto("/privacy")
    kept = page.get_by_test_id("account-kept")
    expect(kept).to_contain_text(f"You sent us an application ({reference}).")
    expect(kept).to_contain_text("records-retention rules")
    expect(page.get_by_role("link", name="Delete my account")).to_have_count(0)
