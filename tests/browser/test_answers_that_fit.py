"""In a real browser: the mailing address is shown only after "No" to "the same as your home address?" (and hidden
again after "Yes"), and the checkout's declaration is a tick box that can be ticked and unticked."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.journeys import choose, dev_sign_in
from tests.factories import create_account, create_profile
from trusted_traveler.extensions import db

DECLARATION = "I confirm that the information I have given is true and complete."


def test_the_mailing_address_shows_only_after_no_and_hides_again_after_yes(app, page: Page):
    with app.app_context():
        create_profile(create_account("mail.fit@example.com"))
        db.session.commit()
    dev_sign_in(page, "mail.fit@example.com")
    page.goto("/profile/contact")
    mailing = page.locator("#mailing-address")
    question = page.get_by_role("group", name="Is your mailing address the same as your home address?")
    question.get_by_text("Yes", exact=True).click()  # the demo profile's answer, chosen again
    expect(mailing).to_be_hidden()
    expect(page.get_by_label("Mailing address line 1")).to_be_hidden()
    question.get_by_text("No", exact=True).click()
    expect(mailing).to_be_visible()
    page.get_by_label("Mailing address line 1").fill("PO Box 12")
    page.get_by_label("City", exact=True).fill("Reno")
    page.locator("#mailing_country").select_option("IE")
    question.get_by_text("Yes", exact=True).click()
    expect(mailing).to_be_hidden()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text(re.compile("Contact details"))
    page.goto("/profile/summary")  # what was typed and then hidden is not kept
    expect(page.get_by_text("The same as your home address")).to_be_visible()
    expect(page.get_by_text("PO Box 12")).to_have_count(0)


def test_the_declaration_is_a_tick_box_that_can_be_unticked(app, page: Page):
    with app.app_context():
        create_profile(create_account("tick.fit@example.com"))
        db.session.commit()
    dev_sign_in(page, "tick.fit@example.com")
    page.goto("/apply")
    choose(page, "TSA PreCheck")
    page.get_by_role("button", name="Continue").click()
    declaration = page.get_by_role("checkbox", name=DECLARATION)
    expect(declaration).not_to_be_checked()
    choose(page, DECLARATION)
    expect(declaration).to_be_checked()
    choose(page, DECLARATION)  # a second click unticks it, as a radio button never could
    expect(declaration).not_to_be_checked()
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()
    expect(page.get_by_role("alert")).to_contain_text("Confirm the declaration to continue.")
    choose(page, DECLARATION)
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()
    expect(page.get_by_label("Card number")).to_be_visible()
