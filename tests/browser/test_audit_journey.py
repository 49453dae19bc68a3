"""A supervisor, in a real browser, finds who viewed an application in the audit log, corrects a mistyped date,
downloads the result as CSV and sees that download recorded; the page passes axe with zero violations."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in
from tests.browser.test_accessibility import AXE_OPTIONS
from tests.factories import create_account, create_application, create_officer
from trusted_traveler.casework import service as casework
from trusted_traveler.extensions import db


def axe_violations(page: Page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]]


def test_a_supervisor_finds_who_viewed_a_case_and_downloads_it(app, page: Page):
    with app.app_context():
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        officer = create_officer("olive.officer@example.com")
        reference = create_application("precheck", submitted=True).reference
        casework.get_case_for_officer(reference, officer)  # the officer opens the case: "profile.viewed"
        db.session.commit()

    dev_sign_in(page, "sue.supervisor@example.com")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()

    page.get_by_label("Object id").fill(reference)
    page.get_by_label("From").fill("2026-02-30")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("2026-02-30 is not a real date")
    expect(page.get_by_label("From")).to_have_value("2026-02-30")
    expect(page.get_by_label("Object id")).to_have_value(reference)
    assert axe_violations(page) == []

    page.get_by_label("From").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_test_id("audit-events")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("olive.officer@example.com")
    expect(results).to_contain_text("profile.viewed")
    expect(results).to_contain_text(reference)
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download all matching events (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-events-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][:4] == ["event_id", "when_utc", "actor_email", "action"]
    assert [(r[2], r[3], r[5]) for r in rows[1:]] == [("olive.officer@example.com", "profile.viewed", reference)]

    page.goto("/admin/audit?action=audit.*")
    expect(page.get_by_test_id("audit-events")).to_contain_text("audit.exported")
    expect(page.get_by_test_id("audit-events")).to_contain_text("sue.supervisor@example.com")
