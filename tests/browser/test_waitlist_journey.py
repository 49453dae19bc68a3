"""A traveler joins the waitlist in a real browser; when someone cancels, the freed time is held for them and
they take it from their status page."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from tests.browser.journeys import choose, dev_sign_in
from tests.factories import create_account, create_application, create_profile, open_day
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot


def test_join_the_waitlist_and_take_a_freed_time(app, page: Page):
    with app.app_context():
        reference = create_application(
            "precheck", submitted=True, profile=create_profile(create_account("patient@example.com"))
        ).reference
        open_day(db.session.get(EnrollmentCenter, 8001), service_today() + dt.timedelta(days=3))  # JFK: weekdays
        db.session.commit()
    dev_sign_in(page, "patient@example.com")
    page.goto(f"/applications/{reference}/appointment?state=NY")
    choose(page, "John F. Kennedy International Enrollment Center")
    page.get_by_label("Last day I could go").fill((service_today() + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_test_id("waitlist")).to_contain_text("You are on the waitlist")

    with app.app_context():  # another traveler books the first time and then cancels it
        other = create_application("precheck", submitted=True)
        slot = db.session.query(Slot).filter(Slot.center_id == 8001).order_by(Slot.starts_at).first()
        now = dt.datetime.now(dt.UTC)
        appointment = scheduling.book(other, slot, by=other.profile.account, now=now)
        scheduling.cancel(appointment, by=other.profile.account, now=now)
        db.session.commit()

    page.reload()
    expect(page.get_by_test_id("waitlist")).to_contain_text("An earlier time is held for you")
    page.get_by_role("button", name="Take this time").click()
    expect(page.get_by_test_id("appointment")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Enrollment visit scheduled")
