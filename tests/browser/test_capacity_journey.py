"""A program lead in a real browser changes a center's weekly hours from a day to come: the form says which day it
starts at and why, a mistake in the hours is named by its day and field with what was typed kept, the preview counts
the booked appointment the change would leave without a seat (at the center's local time) and the seats a week
lost, and "Save these hours" saves it as a scheduled period of the hours history."""

from __future__ import annotations

import datetime as dt

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.journeys import dev_sign_in
from tests.browser.test_accessibility import AXE_OPTIONS
from tests.factories import create_account, create_application
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.centers import long_day
from trusted_traveler.scheduling.lookups import describe_time
from trusted_traveler.scheduling.models import CapacityTemplate, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time


def first_monday_at_eight(jfk: EnrollmentCenter, *, now: dt.datetime, today: dt.date) -> Slot:
    """JFK's first 8:00 slot on a Monday at least a week ahead (in the center's own time)."""
    slots = db.session.scalars(
        select(Slot).where(Slot.center_id == jfk.id, Slot.starts_at > now).order_by(Slot.starts_at)
    ).all()
    return next(
        s
        for s in slots
        if local_time(s.starts_at, jfk).weekday() == 0
        and local_time(s.starts_at, jfk).hour == 8
        and local_time(s.starts_at, jfk).date() >= today + dt.timedelta(days=7)
    )


def test_a_program_lead_changes_hours_from_a_future_day_previews_the_effect_and_saves(app, page: Page, today, now):
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=today, days=21)
        slot = first_monday_at_eight(jfk, now=now, today=today)  # the change takes effect that day
        effective, when = local_time(slot.starts_at, jfk).date(), describe_time(slot)
        application = create_application("precheck", submitted=True)
        scheduling.book(application, slot, by=application.profile.account, now=now)
        create_account("hours.lead@example.com", roles=("program_lead",))
        db.session.commit()

    dev_sign_in(page, "hours.lead@example.com")
    page.goto("/admin/centers/8001")
    date = page.get_by_label("New hours take effect from")
    expect(page.locator("#effective_from-hint")).to_contain_text("the first day not yet open for booking")
    date.fill(effective.isoformat())
    page.get_by_label("Opens (HH:MM), Monday").fill("10:00")
    # a mistake is named by its day and field, in the summary and beside the field, and what was typed stays
    page.get_by_label("Closes (HH:MM), Tuesday").fill("07:00")
    page.get_by_role("button", name="Preview the change").click()
    message = "Tuesday, closing time: Make it later than the opening time, 08:00."
    expect(page.locator("[data-error-summary]")).to_contain_text(message)
    tuesday_closes = page.get_by_label("Closes (HH:MM), Tuesday")
    expect(tuesday_closes).to_have_accessible_description(message)
    expect(tuesday_closes).to_have_value("07:00")
    expect(page.get_by_label("Opens (HH:MM), Monday")).to_have_value("10:00")
    expect(date).to_have_value(effective.isoformat())
    tuesday_closes.fill("16:00")
    page.get_by_role("button", name="Preview the change").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the new weekly hours")
    expect(page.get_by_test_id("effective-from")).to_contain_text(long_day(effective))
    expect(page.get_by_test_id("affected")).to_contain_text("1 booked appointment from")
    expect(page.get_by_test_id("affected-times")).to_contain_text(when)
    expect(page.get_by_test_id("seats-change")).to_contain_text(
        "16 fewer seats a week"
    )  # 8 slots of 2 seats on Mondays
    results = Axe().run(page, options=AXE_OPTIONS)  # the preview is a page of its own: WCAG 2.1 AA as the others
    assert [v["id"] for v in results.response["violations"]] == []
    with app.app_context():
        assert not db.session.scalars(select(CapacityTemplate).where(CapacityTemplate.valid_from == effective)).all()

    page.get_by_role("button", name="Save these hours").click()
    saved = page.get_by_text("Saved. 1 booked appointment no longer fits")
    expect(saved).to_be_visible()
    expect(saved).to_contain_text(f"The new hours take effect from {long_day(effective)}.")
    scheduled = page.get_by_test_id(f"period-{effective.isoformat()}")
    expect(scheduled).to_contain_text("Scheduled")
    expect(scheduled).to_contain_text("Monday 10:00–16:00")
    with app.app_context():
        monday = db.session.scalars(
            select(CapacityTemplate)
            .where(CapacityTemplate.center_id == 8001, CapacityTemplate.weekday == 0)
            .order_by(CapacityTemplate.valid_from)
        ).all()
        assert [(t.opens_at, t.valid_from, t.valid_until) for t in monday][1:] == [(dt.time(10), effective, None)]
        assert monday[0].valid_until == effective - dt.timedelta(days=1)


def test_save_details_after_a_mistake_in_the_hours_keeps_the_center_operational(app, page: Page, today):
    """Denver takes appointments and Enrollment on Arrival. A mistake in the hours shows the whole page again: its
    details show the boxes as saved, so "Save details" pressed untouched keeps the center online. A number of minutes
    that is not one ("two", typed once the browser's number field is forced to text) is shown as typed, invalid."""
    with app.app_context():
        create_account("hours.admin@example.com", roles=("admin",))
        db.session.commit()

    dev_sign_in(page, "hours.admin@example.com")
    page.goto("/admin/centers/8011")
    operational = page.get_by_label("Operational (taking appointments)")
    arrival = page.get_by_label("Enrollment on Arrival airport")
    expect(operational).to_be_checked()
    expect(arrival).to_be_checked()
    minutes = page.get_by_label("Minutes per slot, Monday")
    minutes.evaluate("field => { field.type = 'text'; }")
    minutes.fill("two")
    page.get_by_label("Closes (HH:MM), Tuesday").fill("07:00")
    page.get_by_role("button", name="Preview the change").click()

    message = "Monday, minutes per slot: Enter a whole number of minutes from 5 to 240."
    expect(page.locator("[data-error-summary]")).to_contain_text(message)
    expect(minutes).to_have_value("two")
    expect(minutes).to_have_attribute("aria-invalid", "true")
    expect(minutes).to_have_accessible_description(message)
    expect(page.get_by_label("Closes (HH:MM), Tuesday")).to_have_attribute("aria-invalid", "true")
    expect(operational).to_be_checked()
    expect(arrival).to_be_checked()

    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Center details saved.")).to_be_visible()
    expect(operational).to_be_checked()
    expect(arrival).to_be_checked()
    with app.app_context():
        denver = db.session.get(EnrollmentCenter, 8011)
        assert (denver.operational, denver.enrollment_on_arrival) == (True, True)
