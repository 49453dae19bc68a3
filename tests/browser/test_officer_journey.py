"""The enrollment officer's journeys in a real browser: claim a case from the queue, review the hit, ask the
traveler for information, the traveler answers with a document (and finds it on their status page, to download
again), conditional approval, the interview and the approval with a Known Traveler Number; and a denial with its
letter, then the traveler's reconsideration."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.journeys import choose, dev_sign_in, sign_out
from tests.browser.test_accessibility import violations
from tests.factories import create_hit_case
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _case_with_a_hit(app, email: str) -> str:
    with app.app_context():
        reference = create_hit_case("officer.journey@example.com", email)
        db.session.commit()
        return reference


def _open_panel(page: Page, title: str) -> None:
    button = page.get_by_role("button", name=title)
    if button.get_attribute("aria-expanded") != "true":
        button.click()


def test_officer_claims_reviews_asks_for_information_and_approves_after_the_interview(app, page: Page, tmp_path):
    reference = _case_with_a_hit(app, "hit.journey@example.com")
    dev_sign_in(page, "officer.journey@example.com")
    page.goto("/officer/")
    queue = page.get_by_test_id("queue")
    expect(queue).to_contain_text(reference)
    assert violations(page, "/officer/?queue=unassigned") == []
    queue.locator("label").filter(has_text=reference).click()
    page.get_by_test_id("assign-to-me").click()
    expect(page.get_by_text(f"Assigned to officer.journey@example.com: {reference}")).to_be_visible()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_test_id("vetting")).to_contain_text("Sandbox record: 2019 conviction")
    assert violations(page, f"/officer/cases/{reference}") == []

    _open_panel(page, "Ask the applicant for information")
    page.get_by_label("What do you need from the applicant?").fill("Send the court record of the 2019 case.")
    page.get_by_label("Answer due by").fill((service_today() + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Action needed")
    sign_out(page)

    dev_sign_in(page, "hit.journey@example.com")
    page.goto(f"/applications/{reference}")
    expect(page.get_by_test_id("info-request")).to_contain_text("Send the court record of the 2019 case.")
    assert violations(page, f"/applications/{reference}") == []
    record = tmp_path / "court-record.pdf"
    record.write_bytes(PDF)
    page.get_by_label("Your answer").fill("The case was about someone else; the record is attached.")
    page.locator("#answer-files").set_input_files(str(record))
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("We sent your answer to the officer")).to_be_visible()
    # The status page keeps what they sent: the answer, under the question, with the file to download again.
    sent = page.get_by_test_id("sent")
    expect(sent).to_contain_text("Send the court record of the 2019 case.")
    expect(sent).to_contain_text("The case was about someone else; the record is attached.")
    with page.expect_download() as downloading:
        sent.get_by_role("link", name="Download court-record.pdf (1 KB)").click()
    assert downloading.value.suggested_filename == "court-record.pdf"
    assert Path(downloading.value.path()).read_bytes() == PDF
    assert violations(page, f"/applications/{reference}") == []
    sign_out(page)

    dev_sign_in(page, "officer.journey@example.com")
    page.goto(f"/officer/cases/{reference}")
    expect(page.get_by_test_id("answer")).to_contain_text("someone else")
    expect(page.get_by_test_id("documents")).to_contain_text("court-record.pdf")
    _open_panel(page, "Conditionally approve (hits reviewed, not disqualifying)")
    page.get_by_test_id("conditionally_approve").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Conditionally Approved")

    # The interview (Enrollment on Arrival here): both checks are needed.
    choose(page, "Identity and travel documents verified")
    page.get_by_test_id("record_interview").click()
    expect(page.locator("#biometrics_captured-error")).to_contain_text("the fingerprints were taken")  # beside it
    expect(page.get_by_label("Identity and travel documents verified")).to_be_checked()  # kept
    choose(page, "Fingerprints and photo taken")
    page.get_by_test_id("record_interview").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Interview completed")
    _open_panel(page, "Approve and issue the Known Traveler Number")
    page.get_by_test_id("approve").click()
    expect(page.get_by_text(re.compile(r"Known Traveler Number \d{9} issued"))).to_be_visible()
    expect(page.get_by_test_id("case-status")).to_have_text("Approved")
    expect(page.get_by_test_id("history")).to_contain_text("officer.journey@example.com")


def test_denial_with_a_letter_then_the_traveler_asks_for_reconsideration(app, page: Page, tmp_path):
    reference = _case_with_a_hit(app, "denied.journey@example.com")
    dev_sign_in(page, "officer.journey@example.com")
    page.goto(f"/officer/cases/{reference}")
    _open_panel(page, "Deny")
    page.get_by_role("button", name="Deny", exact=True).last.click()
    expect(page.get_by_text("Choose at least one reason.").first).to_be_visible()
    choose(page, "Criminal history (arrest, conviction, pending charge or warrant)")
    page.get_by_label("Explanation for the applicant (appears in the letter; optional)").fill(
        "The 2019 robbery conviction."
    )
    page.get_by_role("button", name="Deny", exact=True).last.click()
    expect(page.get_by_test_id("case-status")).to_have_text("Denied")
    sign_out(page)

    dev_sign_in(page, "denied.journey@example.com")
    page.goto(f"/applications/{reference}")
    page.get_by_test_id("letters").get_by_role("link", name=re.compile("Decision letter")).click()
    expect(page.get_by_test_id("letter")).to_contain_text("The 2019 robbery conviction.")
    expect(page.get_by_test_id("letter")).to_contain_text("Ask us to reconsider")
    assert violations(page, page.url.removeprefix(page.url.split("/applications")[0])) == []
    page.get_by_role("link", name="Back to your application").click()
    evidence = tmp_path / "dismissal.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.get_by_label("Why should we look at this again?").fill("The conviction was vacated in 2022.")
    page.locator("#reconsider-files").set_input_files(str(evidence))
    page.get_by_role("button", name="Ask us to reconsider").click()
    expect(page.get_by_test_id("status")).to_have_text("Reconsideration requested")
    request = page.get_by_test_id("sent").get_by_test_id("sent-reconsideration")
    expect(request).to_contain_text("The conviction was vacated in 2022.")
    expect(request.get_by_role("link", name="Download dismissal.png (1 KB)")).to_be_visible()
    sign_out(page)

    dev_sign_in(page, "officer.journey@example.com")
    page.goto(f"/officer/cases/{reference}")
    expect(page.get_by_test_id("documents")).to_contain_text("dismissal.png")
    _open_panel(page, "Open the reconsideration for review")
    page.get_by_test_id("reopen").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Pending Review")


def test_officer_gives_more_time_then_withdraws_the_request_and_notes_the_interview(app, page: Page):
    """The request for information changed while it waits: more time (the traveler's page says the new date), then
    withdrawn with a reason (their page no longer asks; the case is back with the officer, the reason in its history
    only); then the interview on arrival, with notes the case history keeps and the traveler never sees."""
    reference = _case_with_a_hit(app, "more.time.journey@example.com")
    dev_sign_in(page, "officer.journey@example.com")
    page.goto(f"/officer/cases/{reference}")
    _open_panel(page, "Ask the applicant for information")
    page.get_by_label("What do you need from the applicant?").fill("Send the court record of the 2019 case.")
    page.get_by_label("Answer due by").fill((service_today() + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Action needed")
    expect(page.get_by_test_id("waiting")).to_contain_text("to answer")
    assert violations(page, f"/officer/cases/{reference}") == []

    # an earlier date is refused beside the field, kept
    _open_panel(page, "Give the applicant more time to answer")
    earlier = (service_today() + dt.timedelta(days=5)).isoformat()
    page.get_by_label("New due date").fill(earlier)
    page.get_by_role("button", name="Extend the due date").click()
    expect(page.locator("#due_on-error")).to_contain_text("must be later than the one the applicant has now")
    expect(page.get_by_label("New due date")).to_have_value(earlier)
    later = service_today() + dt.timedelta(days=40)
    page.get_by_label("New due date").fill(later.isoformat())
    page.get_by_role("button", name="Extend the due date").click()
    expect(page.get_by_text(f"The applicant now has until {later:%B %-d, %Y} to answer.")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text("Due date extended")
    sign_out(page)

    dev_sign_in(page, "more.time.journey@example.com")
    page.goto(f"/applications/{reference}")
    expect(page.get_by_test_id("info-request")).to_contain_text(f"Answer by {later:%B %-d, %Y}.")
    sign_out(page)

    dev_sign_in(page, "officer.journey@example.com")
    page.goto(f"/officer/cases/{reference}")
    _open_panel(page, "Withdraw the request for information")
    page.get_by_label("Why are you withdrawing it?").fill("The state court sent the record to us directly.")
    page.get_by_role("button", name="Withdraw the request", exact=True).click()
    expect(page.get_by_test_id("case-status")).to_have_text("Pending Review")
    expect(page.get_by_test_id("withdrawn")).to_contain_text("The state court sent the record to us directly.")
    sign_out(page)

    dev_sign_in(page, "more.time.journey@example.com")
    page.goto(f"/applications/{reference}")
    expect(page.get_by_test_id("info-request")).to_have_count(0)
    page.goto("/notifications")
    expect(page.get_by_text(f"Request for information on {reference} withdrawn")).to_be_visible()
    expect(page.get_by_text("The state court sent the record")).to_have_count(0)
    sign_out(page)

    dev_sign_in(page, "officer.journey@example.com")
    page.goto(f"/officer/cases/{reference}")
    _open_panel(page, "Conditionally approve (hits reviewed, not disqualifying)")
    page.get_by_test_id("conditionally_approve").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Conditionally Approved")
    choose(page, "Identity and travel documents verified")
    choose(page, "Fingerprints and photo taken")
    page.get_by_label("Interview notes (optional)").fill("Seen on arrival; the 2019 record matches his account.")
    page.get_by_test_id("record_interview").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Interview completed")
    expect(page.get_by_test_id("history")).to_contain_text("Seen on arrival; the 2019 record matches his account.")
    sign_out(page)

    dev_sign_in(page, "more.time.journey@example.com")
    page.goto(f"/applications/{reference}")
    expect(page.get_by_test_id("status")).to_have_text("Interview completed")
    expect(page.get_by_text("Seen on arrival")).to_have_count(0)
