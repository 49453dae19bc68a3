"""A whole application by keyboard alone, after the profile (whose keyboard journey is in
test_traveler_journey.py): choose the program, confirm the declaration, pay on the card page, and read the
confirmation — Tab, Space, arrows and Enter only, no mouse."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in
from tests.browser.test_traveler_journey import key_submit, key_type, tab_to
from tests.factories import create_account, create_profile
from trusted_traveler.extensions import db


def test_apply_confirm_and_pay_by_keyboard_alone(app, page: Page):
    with app.app_context():
        create_profile(create_account("keys.apply@example.com"))
        db.session.commit()
    dev_sign_in(page, "keys.apply@example.com")
    page.goto("/apply")
    checkbox = page.locator("#program-precheck")
    tab_to(page, checkbox)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    key_submit(page, "Continue")

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    declaration = page.get_by_role("checkbox", name="I confirm that the information I have given is true and complete.")
    tab_to(page, declaration)
    page.keyboard.press("Space")
    expect(declaration).to_be_checked()
    tab_to(page, page.get_by_role("button", name=re.compile("Confirm and pay")))
    page.keyboard.press("Enter")

    key_type(page, "Name on card", "Keys Person")
    key_type(page, "Card number", "4111 1111 1111 1111")
    key_type(page, "Expiry date (MM/YY)", "12/39")
    key_type(page, "Security code", "123")
    tab_to(page, page.get_by_role("button", name=re.compile("^Pay")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()


def test_an_error_summary_link_to_a_group_of_answers_puts_focus_on_its_first_answer(app, page: Page):
    dev_sign_in(page, "keys.summary@example.com")
    page.goto("/profile/citizenship")
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")  # nothing answered
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=re.compile("green card|Permanent Resident", re.I))
    tab_to(page, link)
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.name")
    assert focused == "lawful_permanent_resident"  # its first answer, not the page
