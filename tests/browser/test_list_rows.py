"""Lists of rows in a real Chromium: Enter in a field of the second row saves both rows and goes on, as "Save and
continue" does (it used to press the first row's "Remove", the form's first submit button, and lose that row); rows
are groups named with their number; and the pages in error pass axe-core."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.journeys import dev_sign_in
from tests.browser.test_accessibility import AXE_OPTIONS
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import ApplicantProfile


def _fill_address(page: Page, row: int, *, start: str, end: str, street: str, city: str) -> None:
    group = page.get_by_role("group", name=f"Address {row + 1}", exact=True)
    group.get_by_label("From (MM/YYYY)", exact=True).fill(start)
    group.get_by_label("To (MM/YYYY), or leave empty if you live there now", exact=True).fill(end)
    group.get_by_label("Street address", exact=True).fill(street)
    group.get_by_label("City or town", exact=True).fill(city)
    group.get_by_label("ZIP or postal code", exact=True).fill("02134")
    group.get_by_label("Country", exact=True).select_option("US")


def _axe(page: Page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def test_enter_in_the_second_rows_city_saves_both_rows_and_goes_on(app, page: Page):
    today = service_today()
    dev_sign_in(page, "enter.rows@example.com")
    page.goto("/profile/addresses")
    expect(page.get_by_role("heading", level=1, name=re.compile("Where you have lived"))).to_be_visible()
    _fill_address(page, 0, start=f"01/{today.year - 7}", end=f"04/{today.year - 2}", street="1 Elm St", city="Austin")
    page.get_by_role("button", name="Add another — Addresses").click()
    _fill_address(page, 1, start=f"05/{today.year - 2}", end="", street="9 Oak Ave", city="Denver")

    city = page.get_by_role("group", name="Address 2", exact=True).get_by_label("City or town", exact=True)
    city.focus()
    city.press("Enter")  # implicit submission: the form's default button

    # What "Save and continue" does: saved, and on to the next page (no months missing, so no warning): the contact
    # details, whose mailing address question names the home address just given.
    expect(page.get_by_role("heading", level=1, name=re.compile("Contact details"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/profile/contact$"))
    with app.app_context():
        profile = db.session.scalars(
            select(ApplicantProfile).where(ApplicantProfile.account.has(email="enter.rows@example.com"))
        ).one()
        assert sorted((a.line1, a.city) for a in profile.addresses) == [("1 Elm St", "Austin"), ("9 Oak Ave", "Denver")]

    # Back on the page: both rows are there, in their named groups, in the order they were typed.
    page.goto("/profile/addresses")
    expect(page.get_by_role("group", name="Address 1", exact=True).get_by_label("City or town")).to_have_value("Austin")
    expect(page.get_by_role("group", name="Address 2", exact=True).get_by_label("City or town")).to_have_value("Denver")


def test_the_hidden_default_button_is_neither_seen_nor_tabbed_to(page: Page):
    dev_sign_in(page, "hidden.default@example.com")
    page.goto("/profile/addresses")
    # one "Save and continue" for a screen reader, and it is the visible one
    expect(page.get_by_role("button", name="Save and continue", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Save and continue", exact=True)).to_be_visible()
    default = page.locator("[data-default-submit]")
    expect(default).to_have_count(1)
    assert default.evaluate("el => el.form.querySelector('button') === el")  # the form's first button
    assert default.evaluate("el => el.tabIndex") == -1
    assert default.evaluate("el => getComputedStyle(el).display") != "none"
    assert default.bounding_box() is None or default.bounding_box()["x"] < 0 or default.bounding_box()["width"] <= 1
    # each row's "Remove" is named for its row
    expect(page.get_by_role("button", name="Remove Address 1", exact=True)).to_have_count(1)


def test_list_and_radio_errors_pass_axe(page: Page):
    dev_sign_in(page, "axe.rows@example.com")
    found = []
    page.goto("/profile/addresses")
    page.get_by_role("button", name="Add another — Addresses").click()
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Address 2, Street address: Enter the street address.")
    page.get_by_role("link", name="Address 2, Street address: Enter the street address.").click()
    expect(page).to_have_url(re.compile("#addresses-1-line1$"))
    found += _axe(page)
    page.goto("/profile/birth")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the sex shown on your passport.")
    expect(page.get_by_role("radio", name="Female", exact=True)).to_have_attribute("aria-invalid", "true")
    found += _axe(page)
    page.goto("/profile/background")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Answer the question about convictions and charges.")
    found += _axe(page)
    assert found == [], "\n".join(found)
