"""A member of the public asks which program suits them, in a real browser, and the page passes axe-core."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_which_program_is_right_for_me(page: Page):
    page.goto("/")
    page.get_by_role("link", name="Answer a few questions to find out").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()  # the new page, not the moment between two
    assert_accessible(page)
    page.get_by_label("What is your date of birth?").fill("1990-02-03")
    page.get_by_label("Which country are you a citizen of?").select_option("US")
    for question, answer in (
        ("Do you hold a U.S. Permanent Resident Card (green card)?", "No"),
        ("Do you travel to other countries?", "No"),
        ("Have you ever been convicted of a crime, or are you charged with one now, in any country?", "No"),
        ("Have you ever broken customs, immigration or agriculture laws in any country?", "No"),
        ("Are you under investigation by any police or law enforcement agency, in any country?", "No"),
        ("Have you ever been refused entry to the U.S., or given a waiver of inadmissibility or parole?", "No"),
    ):
        page.get_by_role("group", name=question).get_by_text(answer, exact=True).click()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_test_id("answer")).to_contain_text("We suggest: TSA PreCheck.")
    expect(page.get_by_test_id("answer-global_entry")).to_contain_text("you can apply")
    assert_accessible(page)


def test_the_arrests_list_shows_only_after_yes_and_the_date_hint_reads_as_the_page_does(page: Page):
    page.goto("/which-program")
    arrests = page.locator("#offenses")
    question = page.get_by_role("group", name="Have you ever been convicted of a crime")
    expect(arrests).to_be_hidden()  # nothing answered yet
    question.get_by_text("Yes", exact=True).click()
    expect(arrests).to_be_visible()
    expect(page.get_by_role("button", name="Add one — Convictions and pending charges")).to_be_visible()
    question.get_by_text("No", exact=True).click()
    expect(arrests).to_be_hidden()
    # the example is written in the page's language's order, as its message gives it and the server reads it
    expect(page.locator("#date_of_birth-hint")).to_have_text("For example, 04/12/2024")
    assert_accessible(page)
