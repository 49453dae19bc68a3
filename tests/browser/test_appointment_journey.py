"""A Global Entry interview from booking to Known Traveler Number, in a real browser: the traveler books a time in
the center's local time, the officer checks them in from the day schedule, holds the interview and approves."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from tests.browser.journeys import dev_sign_in, sign_out, take_the_first_time_at_jfk
from tests.factories import create_account, create_application, create_officer, create_profile
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time


def test_book_an_interview_check_in_interview_and_approve(app, page: Page):
    with app.app_context():
        create_officer("desk.officer@example.com")
        profile = create_profile(create_account("flyer@example.com"), given_names="Ines", surname="Okafor")
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=service_today() + dt.timedelta(days=2), days=7)
        db.session.commit()

    dev_sign_in(page, "flyer@example.com")
    page.goto(f"/applications/{reference}")
    page.get_by_test_id("book").click()
    label = take_the_first_time_at_jfk(page)
    expect(page.get_by_test_id("appointment")).to_contain_text(label.split(" ")[0])
    expect(page.get_by_test_id("status")).to_have_text("Interview scheduled")
    sign_out(page)

    with app.app_context():
        slot = db.session.query(Slot).filter(Slot.center_id == 8001, Slot.booked == 1).one()
        slot.starts_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # the interview time has come
        db.session.commit()
        day = local_time(slot.starts_at, slot.center).date()

    dev_sign_in(page, "desk.officer@example.com")
    page.goto(f"/officer/centers/8001/day?date={day.isoformat()}")
    schedule = page.get_by_test_id("schedule")
    expect(schedule).to_contain_text("Ines Okafor")
    schedule.get_by_role("button", name=re.compile("Check in")).click()
    schedule = page.get_by_test_id("schedule")  # the same two confirmations as the case page asks for
    schedule.get_by_text("Identity and travel documents verified").click()
    schedule.get_by_text("Fingerprints and photo taken").click()
    schedule.get_by_role("button", name=re.compile("Interview done")).click()
    expect(page.get_by_test_id("schedule")).to_contain_text("completed")
    page.get_by_role("link", name="Ines Okafor").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Interview completed")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Approved")
    sign_out(page)

    dev_sign_in(page, "flyer@example.com")
    page.goto(f"/applications/{reference}")
    expect(page.get_by_test_id("ktn")).to_have_text(re.compile(r"^(15|98|99)\d{7}$"))
    expect(page.get_by_text("Your Global Entry card calls it PASSID")).to_be_visible()
