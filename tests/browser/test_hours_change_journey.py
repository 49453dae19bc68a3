"""In a real browser: a program lead changes a center's hours so that a traveler's booked enrollment visit no longer
fits; the traveler's dashboard and status page warn them, as the notice did, in place of "Go to your enrollment
visit"; they follow the warning to choose a new time, and the status page then reads as an ordinary booking."""

from __future__ import annotations

import datetime as dt
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.journeys import dev_sign_in, sign_out, take_the_first_time_at_jfk
from tests.browser.test_accessibility import AXE_OPTIONS
from tests.browser.test_capacity_journey import first_monday_at_eight
from tests.factories import create_account, create_application, create_profile
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import centers
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.lookups import describe_time
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time


def test_a_traveler_whose_visit_no_longer_fits_new_hours_is_warned_and_chooses_a_new_time(app, page: Page, today, now):
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        # from two days on: the time the traveler moves to is past the center's 24-hour cut-off, booked in one step
        generate_slots(jfk, start=today + dt.timedelta(days=2), days=21)
        # the lead's change opens Mondays at 10:00 from then
        slot = first_monday_at_eight(jfk, now=now, today=today)
        effective, when = local_time(slot.starts_at, jfk).date(), describe_time(slot)
        profile = create_profile(create_account("early.bird@example.com"))
        application = create_application("precheck", profile=profile, submitted=True)
        scheduling.book(application, slot, by=profile.account, now=now)
        reference = application.reference
        create_account("hours.lead@example.com", roles=("program_lead",))
        db.session.commit()

    dev_sign_in(page, "hours.lead@example.com")
    page.goto("/admin/centers/8001")
    page.get_by_label("New hours take effect from").fill(effective.isoformat())
    page.get_by_label("Opens (HH:MM), Monday").fill("10:00")
    page.get_by_role("button", name="Preview the change").click()
    page.get_by_role("button", name="Save these hours").click()
    expect(page.get_by_text("Saved. 1 booked appointment no longer fits")).to_be_visible()
    sign_out(page)

    dev_sign_in(page, "early.bird@example.com")
    page.goto("/dashboard")
    on_dashboard = page.get_by_test_id(f"affected-{reference}")
    expect(on_dashboard).to_contain_text("changed its hours: your enrollment visit is affected")

    page.goto(f"/applications/{reference}")
    warning = page.get_by_test_id("appointment-affected")
    expect(warning).to_contain_text("changed its hours: your enrollment visit is affected")
    expect(warning).to_contain_text(f"Your appointment on {when} may not go ahead.")
    expect(warning).to_contain_text("Choose another time, or the center will contact you.")
    expect(page.get_by_test_id("next-step")).to_have_text(
        "Choose another time for your appointment. The time you booked may not go ahead."
    )
    results = Axe().run(page, options=AXE_OPTIONS)  # the warning keeps the page WCAG 2.1 AA
    assert [v["id"] for v in results.response["violations"]] == []

    warning.get_by_role("link", name="Choose a new time").click()
    label = take_the_first_time_at_jfk(page)

    expect(page.get_by_test_id("appointment")).to_contain_text(label.split(" ")[0])
    expect(page.get_by_test_id("appointment-affected")).to_have_count(0)
    expect(page.get_by_test_id("next-step")).to_have_text("Go to your enrollment visit. Bring your documents.")


def test_a_traveler_who_cannot_move_their_visit_online_is_told_whom_to_contact_not_to_choose_a_time(
    app, page: Page, today, now
):
    """Its day come so close that online changes have closed: the warning says so once, with whom to contact, and
    offers no way to another time that would be refused."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=today + dt.timedelta(days=2), days=21)
        slot = next(
            s
            for s in db.session.scalars(
                select(Slot).where(Slot.center_id == 8001, Slot.starts_at > now).order_by(Slot.starts_at)
            )
            if local_time(s.starts_at, jfk).hour == 8 and local_time(s.starts_at, jfk).date() >= today + dt.timedelta(7)
        )
        effective = local_time(slot.starts_at, jfk).date()
        profile = create_profile(create_account("visit.soon@example.com"))
        application = create_application("precheck", profile=profile, submitted=True)
        appointment = scheduling.book(application, slot, by=profile.account, now=now)
        rows = [
            {
                "weekday": t.weekday,
                "opens_at": dt.time(10),
                "closes_at": t.closes_at,
                "slot_minutes": t.slot_minutes,
                "seats": t.seats,
            }
            for t in centers.hours_on(jfk, effective)
        ]
        assert len(centers.set_weekly_hours(jfk, rows, effective_from=effective, by=None, now=now).conflicts) == 1
        appointment.slot.starts_at = now + dt.timedelta(hours=5)  # and now it is 5 hours away: inside the cut-off
        reference = application.reference
        db.session.commit()
    contact = "To change it, contact John F. Kennedy International Enrollment Center at Terminal 4, Jamaica, NY 11430."

    dev_sign_in(page, "visit.soon@example.com")
    page.goto("/dashboard")
    on_dashboard = page.get_by_test_id(f"affected-{reference}")
    expect(on_dashboard).to_contain_text("Online changes close 24 hours before the appointment. " + contact)
    expect(on_dashboard.get_by_role("link")).to_have_count(0)

    page.goto(f"/applications/{reference}")
    expect(page.get_by_test_id("next-step")).to_have_text(
        "Contact John F. Kennedy International Enrollment Center at Terminal 4, Jamaica, NY 11430 to change your "
        "appointment. The time you booked may not go ahead."
    )
    expect(page.get_by_test_id("appointment-affected")).to_contain_text(contact)
    expect(page.get_by_text(contact)).to_have_count(1)  # said once on the page
    expect(page.get_by_role("link", name=re.compile("Choose|Move it"))).to_have_count(0)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert [v["id"] for v in results.response["violations"]] == []
