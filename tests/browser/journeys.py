"""Steps people take, shared by the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def dev_sign_in(page: Page, email: str) -> None:
    page.goto("/auth/dev")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()


def take_the_first_time_at_jfk(page: Page) -> str:
    """On the booking pages: find New York's centers, open JFK's times and take the first; returns its label."""
    page.get_by_label("State or province").select_option("NY")
    page.get_by_role("button", name="Find centers").click()
    page.get_by_role("link", name=re.compile("See times at John F. Kennedy")).click()
    first_time = page.get_by_test_id("times").get_by_role("button").first
    label = first_time.inner_text()
    first_time.click()
    return label


def choose(page: Page, label_start: str) -> None:
    """Pick a USWDS radio or checkbox tile by the start of its label (the input itself is visually hidden)."""
    page.locator("label", has_text=re.compile(rf"^\s*{re.escape(label_start)}")).first.click()


def pay(page: Page, card: str) -> None:
    page.get_by_label("Name on card").fill("Test Person")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry date (MM/YY)").fill("12/39")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("^Pay")).click()


def apply_and_confirm(page: Page, *programs: str) -> None:
    page.goto("/apply")
    for program in programs:
        choose(page, program)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    if page.get_by_test_id("answers-reused").count():  # a renewal or second program reuses answers sent before
        choose(page, "These answers are still right")
    choose(page, "I confirm that the information I have given is true and complete.")
    page.get_by_role("button", name=re.compile("Confirm and (pay|submit)")).click()
