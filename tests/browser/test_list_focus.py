"""Focus after a list's buttons, in a real Chromium, with and without JavaScript: "Add another" brings the page back
with focus in the new row's first field, scrolled into view, and what was typed kept; "Remove" lands on the row now
in the removed one's place, and removing the only row on "Add one"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in

FOCUSED = """() => {
  const el = document.activeElement, box = el.getBoundingClientRect();
  const row = el.closest('fieldset[data-row]');
  return {
    id: el.id,
    label: el.labels && el.labels.length ? el.labels[0].textContent.trim() : el.textContent.trim(),
    row: row ? row.querySelector('legend').textContent.trim() : null,
    inView: box.top >= 0 && box.bottom <= window.innerHeight,
  };
}"""


@pytest.fixture(params=["script", "no script"])
def any_page(request, chromium, live_url):
    context = chromium.new_context(
        base_url=live_url, viewport={"width": 1280, "height": 700}, java_script_enabled=request.param == "script"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_add_another_focuses_the_new_rows_first_field(any_page: Page):
    page = any_page
    dev_sign_in(page, "focus.rows@example.com")
    page.goto("/profile/addresses")
    first = page.get_by_role("group", name="Address 1", exact=True)
    first.get_by_label("Street address", exact=True).fill("1 Elm St")
    first.get_by_label("City or town", exact=True).fill("Austin")

    page.get_by_role("button", name="Add another — Addresses").click()

    new_row = page.get_by_role("group", name="Address 2", exact=True)
    expect(new_row.get_by_label("From (MM/YYYY)", exact=True)).to_be_focused()  # autofocus is applied after load
    focused = page.evaluate(FOCUSED)
    assert focused["id"] == "addresses-1-from_month"
    assert focused["row"] == "Address 2" and focused["label"] == "From (MM/YYYY)"
    assert focused["inView"], "the new row's field is focused but not scrolled into view"
    expect(first.get_by_label("City or town", exact=True)).to_have_value("Austin")  # nothing typed is lost
    # typing goes straight into the new row
    page.keyboard.type("05/2021")
    expect(page.get_by_role("group", name="Address 2", exact=True).get_by_label("From (MM/YYYY)")).to_have_value(
        "05/2021"
    )


def test_remove_lands_on_the_row_in_its_place_then_on_add_one(any_page: Page):
    page = any_page
    dev_sign_in(page, "focus.remove@example.com")
    page.goto("/profile/addresses")
    page.get_by_role("group", name="Address 1", exact=True).get_by_label("City or town", exact=True).fill("Austin")
    page.get_by_role("button", name="Add another — Addresses").click()
    page.get_by_role("group", name="Address 2", exact=True).get_by_label("City or town", exact=True).fill("Boston")

    page.get_by_role("button", name="Remove Address 1", exact=True).click()

    expect(page.get_by_text("Address 1 removed.")).to_be_visible()
    expect(page.get_by_role("group", name="Address 1", exact=True).get_by_label("From (MM/YYYY)")).to_be_focused()
    focused = page.evaluate(FOCUSED)
    assert focused["row"] == "Address 1" and focused["label"] == "From (MM/YYYY)"  # Boston's row, now the first
    expect(page.get_by_role("group", name="Address 1", exact=True).get_by_label("City or town")).to_have_value("Boston")

    page.get_by_role("button", name="Remove Address 1", exact=True).click()

    expect(page.get_by_role("button", name=re.compile(r"^Add one"))).to_be_focused()
    focused = page.evaluate(FOCUSED)
    assert re.fullmatch(r"Add one\s*— Addresses", focused["label"]) and focused["inView"]
