"""Long answers in a real Chromium: nothing typed or pasted is cut short (no maxlength), the page counts characters
as the server does (an emoji is one), says how many are left or too many, and the server's refusal keeps the text."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in
from tests.browser.test_list_rows import _axe


def _status(page: Page, field_id: str):
    """The count app.js writes after a field (its visible status; a live region repeats it for screen readers)."""
    return page.locator(f"#{field_id} ~ .usa-character-count__status, #{field_id}-count ~ .usa-character-count__status")


def test_a_long_paste_is_kept_whole_counted_as_the_server_counts_and_refused_with_its_length(page: Page):
    dev_sign_in(page, "count.long@example.com")
    page.goto("/profile/background")
    details = page.get_by_label("Tell us more about any 'yes' answer")
    expect(page.locator("#background_details-count")).to_have_text("You can enter up to 4,000 characters.")
    status = _status(page, "background_details")
    expect(status).to_have_text("4,000 characters left")

    details.fill("😀" * 3998)  # 7,996 UTF-16 units: a maxlength of 4,000 would have kept 2,000 of them
    expect(status).to_have_text("2 characters left")
    assert details.evaluate("el => Array.from(el.value).length") == 3998

    details.fill("x" * 4010)
    expect(status).to_have_text("10 characters too many")
    expect(status).to_have_class(re.compile("usa-character-count__status--invalid"))
    assert details.evaluate("el => el.value.length") == 4010  # not cut

    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.locator("#background_details-error")).to_have_text(
        "Shorten this to 4,000 characters or fewer: it has 4,010."
    )
    assert page.get_by_label("Tell us more about any 'yes' answer").input_value() == "x" * 4010
    expect(_status(page, "background_details")).to_have_text("10 characters too many")
    assert _axe(page) == []


def test_a_field_of_one_line_says_its_count_only_once_it_is_over(page: Page):
    dev_sign_in(page, "count.line@example.com")
    page.goto("/profile/birth")
    city = page.get_by_label("City or town of birth")
    status = _status(page, "birth_city")
    city.fill("Llanfair" * 12 + "abcd")  # 100 characters
    expect(status).to_be_hidden()
    city.fill("Llanfair" * 12 + "abcde")
    expect(status).to_be_visible()
    expect(status).to_have_text("Shorten this to 100 characters or fewer: it has 101.")  # as the server says
    assert len(city.input_value()) == 101
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.locator("#birth_city-error")).to_have_text("Shorten this to 100 characters or fewer: it has 101.")
    assert len(page.get_by_label("City or town of birth").input_value()) == 101
    expect(_status(page, "birth_city")).to_be_hidden()  # the server's message is beside it: not said twice


def test_the_count_speaks_spanish_with_spanish_numbers(page: Page):
    dev_sign_in(page, "count.es@example.com")
    page.goto("/language/es")
    page.goto("/profile/background")
    expect(_status(page, "background_details")).to_have_text("Quedan 4.000 caracteres")
    page.locator("#background_details").fill("x" * 4001)
    expect(_status(page, "background_details")).to_have_text("Sobra 1 carácter")
