"""The thin slice through all three audiences, in a real browser: a traveler applies for PreCheck and pays, an
officer records the enrollment visit, and the traveler sees Approved with a Known Traveler Number."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.journeys import apply_and_confirm, choose, dev_sign_in, pay, sign_out
from tests.factories import create_account, create_officer, create_profile
from trusted_traveler.extensions import db


def test_traveler_applies_officer_approves_traveler_sees_known_traveler_number(app, page: Page):
    with app.app_context():
        create_officer("olivia@example.com")
        create_profile(create_account("walker@example.com"), given_names="Zoë", surname="O’Neil-Åberg")
        db.session.commit()

    dev_sign_in(page, "walker@example.com")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("walker@example.com")
    apply_and_confirm(page, "TSA PreCheck")
    pay(page, "4111 1111 1111 1111")
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()
    reference = page.get_by_test_id("reference-precheck").inner_text()
    assert re.fullmatch(r"TT2-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    sign_out(page)

    # Officer: find it in the queue, record the enrollment visit; vetting is clear, so it is approved.
    dev_sign_in(page, "olivia@example.com")
    page.get_by_role("link", name="Officer queues").click()
    page.get_by_label("Find a case by reference").fill(reference)
    page.get_by_role("button", name="Find a case").click()
    choose(page, "Identity and travel documents verified")
    choose(page, "Fingerprints and photo taken")
    page.get_by_test_id("record_interview").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Approved")
    sign_out(page)

    # Traveler: the status page shows Approved and the Known Traveler Number.
    dev_sign_in(page, "walker@example.com")
    expect(page.get_by_test_id(f"status-{reference}")).to_have_text("Approved")
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    expect(page.get_by_test_id("ktn")).to_have_text(re.compile(r"^TT\d{7}$"))
