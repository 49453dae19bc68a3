"""The traveler's journey in a real browser: the whole profile by keyboard alone (with the gap detector and a
resume after signing out), both programs at once with a declined card then an approved one, and a renewal that
asks nothing already known."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from tests.browser.journeys import apply_and_confirm, choose, dev_sign_in, pay, sign_out
from tests.factories import create_account, create_application, create_officer, create_profile
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for


def tab_to(page: Page, locator, *, limit: int = 120) -> None:
    """Move focus with the Tab key alone until it reaches `locator` (fails if the page traps or skips it)."""
    target = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def key_type(page: Page, label: str, text: str, *, nth: int = 0) -> None:
    tab_to(page, page.get_by_label(label, exact=True).nth(nth))
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def key_select(page: Page, label: str, option_text: str, *, nth: int = 0) -> None:
    field = page.get_by_label(label, exact=True).nth(nth)
    tab_to(page, field)
    page.keyboard.type(option_text)  # type-to-select on a focused <select>
    expect(field).to_have_value(re.compile(".+"))


def key_radio(page: Page, name: str, option: str) -> None:
    group = page.get_by_role("group", name=name)
    radio = group.get_by_role("radio", name=option, exact=True)
    tab_to(page, group.get_by_role("radio").first)
    for _ in range(6):
        if radio.is_checked():
            return
        page.keyboard.press(
            "Space"
            if not group.get_by_role("radio").first.is_checked() and radio == group.get_by_role("radio").first
            else "ArrowDown"
        )
    expect(radio).to_be_checked()


def key_submit(page: Page, name: str) -> None:
    tab_to(page, page.get_by_role("button", name=name, exact=True))
    page.keyboard.press("Enter")


def test_whole_profile_by_keyboard_with_the_gap_detector_and_a_resume(app, page: Page):
    today = service_today()
    dev_sign_in(page, "keys@example.com")
    page.goto("/profile")
    expect(page.get_by_role("heading", level=1, name=re.compile("Your name"))).to_be_visible()

    key_type(page, "Given names (as on your passport)", "Amélie")
    key_type(page, "Surname (as on your passport)", "N’Diaye")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", level=1, name=re.compile("Birth and description"))).to_be_visible()
    key_type(page, "Date of birth", "04121986")  # Chromium's date field takes digits in order mm dd yyyy
    key_type(page, "City or town of birth", "Dakar")
    key_select(page, "Country of birth", "Senegal")
    key_radio(page, "Sex (as on your passport)", "Female")
    key_type(page, "Height: feet", "5")
    key_type(page, "Height: inches", "7")
    key_select(page, "Eye color", "Brown")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", level=1, name=re.compile("Citizenship"))).to_be_visible()
    key_select(page, "Country", "United States")
    key_radio(page, "Do you hold a U.S. Permanent Resident Card (green card)?", "No")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", level=1, name=re.compile("Identity documents"))).to_be_visible()
    key_submit(page, "Save and continue")  # nothing entered: a specific message, focus on the summary
    expect(page.get_by_role("alert")).to_contain_text("Add at least one document")
    key_submit(page, "Add one — Passports")
    key_select(page, "Issuing country", "United States")
    key_type(page, "Passport number", "A12345678")
    key_type(page, "Expiry date", f"0101{today.year + 6}")
    key_submit(page, "Save and continue")

    # Leave in the middle and come back: the profile resumes at the next unfinished page.
    sign_out(page)
    dev_sign_in(page, "keys@example.com")
    page.goto("/dashboard")
    tab_to(page, page.get_by_role("link", name="Continue my profile"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=re.compile("Where you have lived"))).to_be_visible()
    expect(page.get_by_test_id("last-saved")).to_contain_text("Last saved")

    # Two addresses with three months missing between them: the detector names the months.
    moved_out, moved_in = dt.date(today.year - 2, 1, 1), dt.date(today.year - 2, 5, 1)
    key_type(page, "From (MM/YYYY)", f"01/{today.year - 7}")
    key_type(page, "To (MM/YYYY), or leave empty if you live there now", moved_out.strftime("%m/%Y"))
    key_type(page, "Street address", "12 Rue Blanche")
    key_type(page, "City or town", "Boston")
    key_type(page, "ZIP or postal code", "02116")
    key_select(page, "Country", "United States")
    key_submit(page, "Add another — Addresses")
    key_type(page, "From (MM/YYYY)", moved_in.strftime("%m/%Y"), nth=1)
    key_type(page, "Street address", "4 Elm St", nth=1)
    key_type(page, "City or town", "Quincy", nth=1)
    key_type(page, "ZIP or postal code", "02169", nth=1)
    key_select(page, "Country", "United States", nth=1)
    key_submit(page, "Save and continue")
    expect(page.get_by_test_id("gaps")).to_contain_text(f"February {today.year - 2} to April {today.year - 2}")
    key_type(page, "To (MM/YYYY), or leave empty if you live there now", "04/" + str(today.year - 2))
    key_submit(page, "Save and continue")

    # The contact details come after the home address, which the mailing address question names.
    expect(page.get_by_role("heading", level=1, name=re.compile("Contact details"))).to_be_visible()
    expect(page.locator("#mailing_same_as_residential-hint")).to_contain_text("4 Elm St")
    key_type(page, "Phone number", "202 555 0147")
    key_radio(page, "Is your mailing address the same as your home address?", "Yes")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", level=1, name=re.compile("Work and study"))).to_be_visible()
    key_type(page, "From (MM/YYYY)", f"06/{today.year - 10}")
    key_select(page, "What were you doing?", "Retired")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", level=1, name=re.compile("Travel abroad"))).to_be_visible()
    key_radio(page, "Have you been to any country other than the United States in the last 5 years?", "No")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", level=1, name=re.compile("Background questions"))).to_be_visible()
    for question in (
        "Have you ever been convicted of a crime, or are you charged with one now, in any country?",
        "Have you ever broken customs, immigration or agriculture laws in any country?",
        "Are you under investigation by any police or law enforcement agency, in any country?",
        "Have you ever been refused entry to the U.S., or given a waiver of inadmissibility or parole?",
    ):
        key_radio(page, question, "No")
    key_submit(page, "Save and continue")

    expect(page.get_by_role("heading", name="Check your profile")).to_be_visible()
    expect(page.get_by_text("Your profile is complete.")).to_be_visible()


def test_both_programs_at_once_declined_card_then_approved(app, page: Page):
    with app.app_context():
        create_profile(create_account("both@example.com"))
        db.session.commit()
    dev_sign_in(page, "both@example.com")
    apply_and_confirm(page, "TSA PreCheck", "Global Entry")
    pay(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert").first).to_contain_text("Your card was declined")
    expect(page.get_by_test_id("total")).to_have_text("$198.00")  # the drafts are intact
    choose(page, "I confirm that the information I have given is true and complete.")
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()
    pay(page, "4111 1111 1111 1111")
    expect(page.get_by_role("heading", name="Applications submitted")).to_be_visible()
    expect(page.get_by_test_id("reference-precheck")).to_be_visible()
    expect(page.get_by_test_id("reference-global_entry")).to_be_visible()
    page.get_by_role("link", name="Go to my applications").click()
    expect(page.locator(".usa-tag", has_text="Conditionally Approved")).to_be_visible()
    expect(page.locator(".usa-tag", has_text="Visit an enrollment center")).to_be_visible()


def test_a_renewal_is_pre_filled_and_asks_only_to_confirm(app, page: Page):
    with app.app_context():
        profile = create_profile(create_account("renew@example.com"), given_names="Rosa", surname="Parks-Lee")
        application = create_application("precheck", profile=profile, submitted=True)
        officer = create_officer()
        casework.record_biometrics(application, by=officer)
        assert application.status == Status.APPROVED
        (member,) = memberships_for(profile.id)
        member.valid_until = service_today() + dt.timedelta(days=90)  # inside the 180-day renewal window
        db.session.commit()
    dev_sign_in(page, "renew@example.com")
    page.goto("/apply")
    expect(page.get_by_test_id("option-precheck")).to_contain_text("renewal")
    apply_and_confirm(page, "TSA PreCheck")
    expect(page).to_have_url(re.compile("/sandbox/pay/"))
    page.go_back()
    expect(page.get_by_text("Rosa Parks-Lee")).to_be_visible()  # nothing re-typed: the profile is reused
    expect(page.get_by_test_id("fee-precheck")).to_have_text("$58.75")  # the renewal fee in force


def test_a_renewal_shows_the_answers_it_reuses_in_full_and_asks_if_they_are_still_right(app, page: Page):
    """The renewal's Check your answers: where the answers come from, each address in full with a Change link that
    comes back, and no payment until the traveler confirms the answers are still right (the error keeps the rest)."""
    sent = dt.datetime(2022, 3, 3, 15, 0, tzinfo=dt.UTC)
    with app.app_context():
        profile = create_profile(create_account("still.right@example.com"), given_names="Rosa", surname="Lee")
        application = create_application("precheck", profile=profile, submitted=True)
        casework.record_biometrics(application, by=create_officer())
        (member,) = memberships_for(profile.id)
        member.valid_until = service_today() + dt.timedelta(days=90)
        application.submitted_at = sent  # sent years ago, with the answers as they were then
        progress = dict(profile.intake_progress)  # ... but the countries visited, which a renewal asks again
        progress["saved_on"] = {
            s: (service_today() if s == "travel" else sent.date()).isoformat() for s in progress["saved"]
        }
        profile.intake_progress = progress
        db.session.commit()
        (address,) = profile.addresses
        moved_in, reference = address.from_month, application.reference
    dev_sign_in(page, "still.right@example.com")
    page.goto("/apply")
    choose(page, "TSA PreCheck")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_test_id("answers-reused")).to_contain_text(
        f"These answers are from your TSA PreCheck application of March 3, 2022 ({reference})."
    )
    addresses = page.get_by_test_id("answers-addresses")
    expect(addresses).to_contain_text(f"{moved_in.strftime('%B %Y')} to now")
    expect(addresses).to_contain_text("1 Main St")
    expect(page.get_by_test_id("updated-travel")).to_be_visible()
    expect(page.get_by_test_id("updated-addresses")).to_have_count(0)

    addresses.get_by_role("link", name="Change addresses in the last 5 years").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Where you have lived"))).to_be_visible()
    page.get_by_label("Street address").fill("1 Main Street")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page).to_have_url(re.compile("/checkout$"))
    expect(addresses).to_contain_text("1 Main Street")
    expect(page.get_by_test_id("updated-addresses")).to_be_visible()

    choose(page, "I confirm that the information I have given is true and complete.")
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    message = "Confirm that these answers are still right, or change the ones that are not."
    expect(page.get_by_test_id("still-right")).to_contain_text(message)
    expect(
        page.get_by_role("checkbox", name="I confirm that the information I have given is true and complete.")
    ).to_be_checked()
    summary.get_by_role("link", name=message).click()
    expect(page.get_by_role("checkbox", name="These answers are still right")).to_be_focused()
    page.keyboard.press("Space")
    page.get_by_role("button", name=re.compile("Confirm and pay")).click()
    expect(page).to_have_url(re.compile("/sandbox/pay/"))
