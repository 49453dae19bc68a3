"""The thin slice through all three audiences, in a real browser: a traveler applies for PreCheck and pays, an
officer records the enrollment visit, and the traveler sees Approved with a Known Traveler Number."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import create_officer
from trusted_traveler.extensions import db


def dev_sign_in(page: Page, email: str) -> None:
    page.goto("/auth/dev")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Sign in", exact=True).click()


def choose(page: Page, label_start: str) -> None:
    """Pick a USWDS radio tile by the start of its label (the input itself is visually hidden)."""
    page.locator("label.usa-radio__label", has_text=re.compile(rf"^\s*{re.escape(label_start)}")).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()


def test_traveler_applies_officer_approves_traveler_sees_known_traveler_number(app, page: Page):
    with app.app_context():
        create_officer("olivia@example.com")
        db.session.commit()

    # Traveler: sign in, tell us who you are (first with a mistake), choose PreCheck, confirm, pay.
    dev_sign_in(page, "walker@example.com")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("walker@example.com")
    page.get_by_role("link", name="Fill in my profile").click()
    page.get_by_label("Given names (as on your passport)").fill("Zoë")
    page.get_by_label("Date of birth").fill("1990-05-17")
    page.get_by_label("Country of citizenship").select_option("US")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your surname.")
    expect(page.get_by_label("Given names (as on your passport)")).to_have_value("Zoë")  # nothing lost
    page.get_by_label("Surname (as on your passport)").fill("O’Neil-Åberg")
    page.get_by_role("button", name="Save and continue").click()

    choose(page, "TSA PreCheck")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_test_id("fee")).to_have_text("$78.00")
    choose(page, "I confirm that the information I have given is true and complete.")
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()

    page.get_by_label("Name on card").fill("Zoe ONeil")
    page.get_by_label("Card number").fill("4111 1111 1111 1111")
    page.get_by_label("Expiry date (MM/YY)").fill("12/39")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"TT2-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    sign_out(page)

    # Officer: find it in the queue, record the enrollment visit; vetting is clear, so it is approved.
    dev_sign_in(page, "olivia@example.com")
    page.get_by_role("link", name="Officer queues").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name=re.compile("Record enrollment visit")).click()
    expect(page.get_by_test_id("case-status")).to_have_text("Approved")
    sign_out(page)

    # Traveler: the status page shows Approved and the Known Traveler Number.
    dev_sign_in(page, "walker@example.com")
    expect(page.get_by_test_id(f"status-{reference}")).to_have_text("Approved")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    expect(page.get_by_test_id("ktn")).to_have_text(re.compile(r"^TT\d{7}$"))
