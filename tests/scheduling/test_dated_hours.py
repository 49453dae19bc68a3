"""A center's weekly hours are dated data, as rules and fees are: a program lead says from which day new hours and
seats take effect, sees what the change would do to booked appointments and to the seats a week before anything is
saved, and then saves it. The hours before that day are kept as the center's history, the slots before it stay as
they are, a change not started yet can be withdrawn, and a preview made stale by another change saves nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import change_hours, create_account, create_application, hours_version, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.centers import long_day
from trusted_traveler.scheduling.lookups import describe_time
from trusted_traveler.scheduling.models import CapacityTemplate, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time

JFK = 8001
LEAD = "capacity.lead@example.com"


def _hours(open_="08:00", close="16:00", seats="2", minutes="15") -> dict:
    """The weekly-hours form: Monday to Friday open, the weekend closed."""
    data = {}
    for d in range(7):
        weekday = d < 5
        data.update(
            {
                f"days-{d}-weekday": str(d),
                f"days-{d}-opens_at": open_ if weekday else "",
                f"days-{d}-closes_at": close if weekday else "",
                f"days-{d}-slot_minutes": minutes,
                f"days-{d}-seats": seats,
            }
        )
    return data


def _templates(app) -> list[tuple]:
    with app.app_context():
        return [
            (t.id, t.weekday, t.opens_at, t.closes_at, t.seats, t.valid_from, t.valid_until)
            for t in db.session.scalars(
                select(CapacityTemplate)
                .where(CapacityTemplate.center_id == JFK)
                .order_by(CapacityTemplate.valid_from, CapacityTemplate.weekday, CapacityTemplate.id)
            )
        ]


def _slots(app, since: dt.date | None = None, until: dt.date | None = None) -> list[tuple]:
    """JFK's slots as (start, minutes, seats, booked), in time order, of the local days from `since` to `until`."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        rows = db.session.scalars(select(Slot).where(Slot.center_id == JFK).order_by(Slot.starts_at)).all()
        return [
            (s.starts_at, s.duration_minutes, s.capacity, s.booked)
            for s in rows
            if (since is None or local_time(s.starts_at, jfk).date() >= since)
            and (until is None or local_time(s.starts_at, jfk).date() <= until)
        ]


@pytest.fixture
def three_weeks(app, today, now):
    """JFK's slots opened for three weeks, a lead to change its hours, and two open days: `before` (in the first
    week) and `effective` (the first open day at least ten days ahead, the day the new hours take effect from). A
    traveler is booked at 8:00 on each of them, and a second one at 8:00 on `effective` (two seats a slot)."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        generate_slots(jfk, start=today, days=21)
        slots = db.session.scalars(
            select(Slot).where(Slot.center_id == JFK, Slot.starts_at > now).order_by(Slot.starts_at)
        ).all()
        first_of_day: dict[dt.date, Slot] = {}
        for slot in slots:
            first_of_day.setdefault(local_time(slot.starts_at, jfk).date(), slot)
        days = sorted(day for day, slot in first_of_day.items() if local_time(slot.starts_at, jfk).hour == 8)
        before = next(day for day in days if day > today)
        effective = next(day for day in days if day >= today + dt.timedelta(days=10))
        accounts = []
        for slot in (first_of_day[before], first_of_day[effective], first_of_day[effective]):
            application = create_application("precheck", submitted=True)
            scheduling.book(application, slot, by=application.profile.account, now=now)
            accounts.append(application.profile.account.id)
        times = {"before": describe_time(first_of_day[before]), "effective": describe_time(first_of_day[effective])}
        create_account(LEAD, roles=("program_lead",))
        db.session.commit()
    return {"before": before, "effective": effective, "times": times, "accounts_from_effective": accounts[1:]}


def test_the_form_offers_the_first_day_not_yet_open_for_booking_and_says_why(app, client, three_weeks):
    sign_in(client, LEAD)
    html = client.get(f"/admin/centers/{JFK}").get_data(as_text=True)
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        furthest = max(local_time(s.starts_at, jfk).date() for s in db.session.scalars(select(Slot)))
    first = furthest + dt.timedelta(days=1)
    assert re.search(rf'<input [^>]*id="effective_from" name="effective_from" [^>]*type="date" value="{first}"', html)
    assert f"Travelers can book up to {long_day(furthest)}." in html
    assert f"The form starts at {long_day(first)}, the first day not yet open for booking" in html
    assert 'value="08:00"' in html and "Preview the change" in html


def test_the_preview_counts_what_the_change_would_do_from_its_date_and_saves_nothing(app, client, three_weeks):
    """Two travelers booked at 8:00 on the effective day would no longer fit a 9:00 opening; the one booked at 8:00
    before that day is not counted (the old hours still hold then). Seats: 5 days of 32 slots of 2 now, 5 days of 12
    slots of 3 with 9:00 to 12:00 and three seats."""
    effective = three_weeks["effective"]
    templates, slots = _templates(app), _slots(app)
    sign_in(client, LEAD)
    response = client.post(
        f"/admin/centers/{JFK}/hours/preview",
        data={**_hours(open_="09:00", close="12:00", seats="3"), "effective_from": effective.isoformat()},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"The new hours take effect from <strong>{long_day(effective)}</strong>" in html
    assert f"2 booked appointments from {long_day(effective)} on would no longer fit" in html
    assert f'<th scope="row">{three_weeks["times"]["effective"]}</th><td>2</td>' in html
    assert three_weeks["times"]["before"] not in html
    assert "EST" in three_weeks["times"]["effective"] or "EDT" in three_weeks["times"]["effective"]  # local time
    assert "140 fewer seats a week" in html and "(320 now, 180 with the new hours)" in html
    assert "Save these hours" in html and re.search(r'name="hours_version" value="[0-9a-f]{16}"', html)
    # nothing saved, nobody told, nothing audited
    assert _templates(app) == templates and _slots(app) == slots
    with app.app_context():
        assert (
            db.session.scalars(select(Notification.kind).where(Notification.kind == "appointment_affected")).all() == []
        )
        assert (
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "enrollment_center")).all()
            == []
        )


def test_saving_keeps_the_old_hours_until_the_day_before_and_the_slots_before_it_as_they_were(
    app, client, three_weeks, today
):
    effective = three_weeks["effective"]
    seeded = _templates(app)
    slots_before = _slots(app, until=effective - dt.timedelta(days=1))
    sign_in(client, LEAD)
    html = change_hours(
        client, JFK, _hours(open_="09:00", close="12:00", seats="3"), effective, follow_redirects=True
    ).get_data(as_text=True)
    assert "Saved. 2 booked appointments no longer fit" in html
    assert (
        f"The new hours take effect from {long_day(effective)}. Until then the center keeps its present hours" in html
    )

    # the old rows are kept, ended the day before; the new ones start on the day
    rows = _templates(app)
    old = [row for row in rows if row[0] in {s[0] for s in seeded}]
    assert [row[:6] for row in old] == [row[:6] for row in seeded]
    assert {row[6] for row in old} == {effective - dt.timedelta(days=1)}
    new = [row for row in rows if row[0] not in {s[0] for s in seeded}]
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in new] == [
        (d, dt.time(9), dt.time(12), 3, effective, None) for d in range(5)
    ]

    # before the day nothing changed; from it the free slots follow the new hours and the booked seats stay
    assert _slots(app, until=effective - dt.timedelta(days=1)) == slots_before
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        later = [
            s
            for s in db.session.scalars(select(Slot).order_by(Slot.starts_at))
            if local_time(s.starts_at, jfk).date() >= effective
        ]
        free = [s for s in later if not s.booked]
        assert free and all(9 <= local_time(s.starts_at, jfk).hour < 12 and s.capacity == 3 for s in free)
        kept = [s for s in later if s.booked]
        assert [(local_time(s.starts_at, jfk).date(), local_time(s.starts_at, jfk).hour, s.booked) for s in kept] == [
            (effective, 8, 2)
        ]
        # only the travelers from the effective day on are told
        told = db.session.scalars(
            select(Notification.account_id)
            .where(Notification.kind == "appointment_affected")
            .order_by(Notification.account_id)
        ).all()
        assert told == sorted(three_weeks["accounts_from_effective"])
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "center.hours_changed")).one()
        assert event.object_id == str(JFK) and event.details["effective_from"] == effective.isoformat()
        assert event.details["seats_per_week_before"] == 320 and event.details["seats_per_week_after"] == 180

    # the center's page shows its hours history
    page = client.get(f"/admin/centers/{JFK}").get_data(as_text=True)
    history = page.split('data-testid="hours-history"')[1].split("</table>")[0]
    assert f"From {long_day(seeded[0][5])}<br>to {long_day(effective - dt.timedelta(days=1))}" in history
    assert "Monday 08:00–16:00, 15-minute slots, 2 seats a slot" in history and "In effect now" in history
    assert (
        f"From {long_day(effective)}</th>" in history
        and "Monday 09:00–12:00, 15-minute slots, 3 seats a slot" in history
    )
    assert "Scheduled" in history and "Withdraw" in history


@pytest.mark.parametrize("weeks", [4, 8])
def test_saving_new_hours_keeps_the_booking_window_at_its_weeks(app, client, today, monkeypatch, weeks):
    """The booking window is BOOKING_WINDOW_WEEKS weeks whether or not the hours change: a first save from the day
    the form offers (the first day not yet open for booking) made the seeded demo's four weeks of slots eight, as
    the re-plan opened a fixed 56 days on top. Saving, and withdrawing the change, keep the last bookable day."""
    monkeypatch.setitem(app.config, "BOOKING_WINDOW_WEEKS", weeks)
    window_end = today + dt.timedelta(days=7 * weeks - 1)
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        generate_slots(jfk, start=today, days=7 * weeks)  # as `flask seed` and the worker open the window
        create_account(LEAD, roles=("program_lead",))
        db.session.commit()
    last = max(slot[0] for slot in _slots(app))
    with app.app_context():
        last_day = local_time(last, db.session.get(EnrollmentCenter, JFK)).date()
    assert window_end - dt.timedelta(days=7) < last_day <= window_end
    sign_in(client, LEAD)
    page = client.get(f"/admin/centers/{JFK}").get_data(as_text=True)
    offered = dt.date.fromisoformat(re.search(r'name="effective_from" [^>]*value="([0-9-]+)"', page).group(1))
    assert offered == last_day + dt.timedelta(days=1)

    assert change_hours(client, JFK, _hours(open_="09:00", seats="3"), offered).status_code == 302
    assert max(slot[0] for slot in _slots(app)) == last, f"saving new hours keeps the booking window at {weeks} weeks"

    sooner = today + dt.timedelta(days=10)  # a change inside the window re-plans only up to its end
    assert change_hours(client, JFK, _hours(close="15:00"), sooner).status_code == 302
    assert max(slot[0] for slot in _slots(app)) <= last
    assert _slots(app, since=window_end + dt.timedelta(days=1)) == []

    withdrawn = client.post(f"/admin/centers/{JFK}/hours/withdraw", data={"starts_on": sooner.isoformat()})
    assert withdrawn.status_code == 302
    assert max(slot[0] for slot in _slots(app)) == last


def test_a_change_not_started_yet_can_be_withdrawn_and_the_old_hours_go_on(app, client, three_weeks):
    effective = three_weeks["effective"]
    seeded, slots = _templates(app), _slots(app)
    last = max(slot[0] for slot in slots)
    sign_in(client, LEAD)
    assert change_hours(client, JFK, _hours(open_="09:00", close="12:00", seats="3"), effective).status_code == 302
    html = client.post(
        f"/admin/centers/{JFK}/hours/withdraw", data={"starts_on": effective.isoformat()}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"The change of hours from {long_day(effective)} was withdrawn: the hours before it go on." in html
    assert _templates(app) == seeded  # the seeded hours run on, open-ended again
    # the slots from that day are the old hours' again (and the saved change opened the weeks after too)
    assert [slot for slot in _slots(app) if slot[0] <= last] == slots
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.details["effective_from"].as_string())
            .where(AuditEvent.object_type == "enrollment_center", AuditEvent.action.like("center.hours_%"))
            .order_by(AuditEvent.id)
        ).all()
        assert [tuple(e) for e in events] == [
            ("center.hours_changed", effective.isoformat()),
            ("center.hours_withdrawn", effective.isoformat()),
        ]
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.kind.like("appointment_%")).order_by(Notification.id)
        ).all()
        assert kinds.count("appointment_affected") == 2 and kinds.count("appointment_goes_ahead") == 2


def test_hours_in_effect_cannot_be_withdrawn(app, client, three_weeks, today):
    sign_in(client, LEAD)
    assert change_hours(client, JFK, _hours(seats="3"), today).status_code == 302
    response = client.post(f"/admin/centers/{JFK}/hours/withdraw", data={"starts_on": today.isoformat()})
    assert response.status_code == 409
    assert "That change of hours has already started or is no longer scheduled" in response.get_data(as_text=True)
    assert {row[4] for row in _templates(app) if row[6] is None} == {3}


def test_a_stale_preview_saves_nothing_and_says_so(app, client, three_weeks):
    """The lead previews 9:00 to 12:00; meanwhile someone else saves other hours; "Save these hours" on the old
    preview saves nothing, says so, and shows the preview counted from the hours as they are now."""
    effective = three_weeks["effective"]
    sign_in(client, LEAD)
    form = {**_hours(open_="09:00", close="12:00", seats="3"), "effective_from": effective.isoformat()}
    preview = client.post(f"/admin/centers/{JFK}/hours/preview", data=form).get_data(as_text=True)
    other = app.test_client()
    sign_in(other, LEAD)
    assert change_hours(other, JFK, _hours(seats="1"), effective).status_code == 302
    meanwhile = _templates(app)

    response = client.post(f"/admin/centers/{JFK}/hours", data={**form, "hours_version": hours_version(preview)})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The weekly hours of this center changed after your preview, so nothing was saved." in html
    assert "These hours replace the change scheduled from" in html
    assert _templates(app) == meanwhile
    assert hours_version(html) != hours_version(preview)
    saved = client.post(f"/admin/centers/{JFK}/hours", data={**form, "hours_version": hours_version(html)})
    assert saved.status_code == 302
    assert {row[4] for row in _templates(app) if row[5] == effective} == {3}


def test_a_save_that_skipped_the_preview_shows_it_first(app, client, three_weeks):
    effective = three_weeks["effective"]
    templates = _templates(app)
    sign_in(client, LEAD)
    response = client.post(
        f"/admin/centers/{JFK}/hours", data={**_hours(seats="3"), "effective_from": effective.isoformat()}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was saved yet." in html and "Save these hours" in html
    assert _templates(app) == templates


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"effective_from": "past"}, "effective_from", "New hours cannot start in the past. Choose today ("),
        ({"effective_from": "366"}, "effective_from", "Choose a day within a year: "),
        ({"effective_from": ""}, "effective_from", "Enter the day the new hours take effect from."),
        ({"effective_from": "31/12/2026"}, "effective_from", "Enter the day as a date, like 2026-09-01."),
        # a day's message names the day and the field, beside the field and in the error summary alike
        (
            {"days-1-opens_at": "17:00", "days-1-closes_at": "09:00"},
            "days-1-closes_at",
            "Tuesday, closing time: Make it later than the opening time, 17:00.",
        ),
        (
            {"days-2-seats": "-2"},
            "days-2-seats",
            "Wednesday, seats per slot: Enter a whole number of seats from 1 to 100.",
        ),
        (
            {"days-2-seats": "two"},
            "days-2-seats",
            "Wednesday, seats per slot: Enter a whole number of seats from 1 to 100.",
        ),
        (
            {"days-3-slot_minutes": "-15"},
            "days-3-slot_minutes",
            "Thursday, minutes per slot: Enter a whole number of minutes from 5 to 240.",
        ),
        (
            {"days-3-slot_minutes": "7.5"},
            "days-3-slot_minutes",
            "Thursday, minutes per slot: Enter a whole number of minutes from 5 to 240.",
        ),
        ({"days-4-opens_at": "8am"}, "days-4-opens_at", "Friday, opening time: Enter a time as HH:MM, like 08:00."),
        ({"days-4-closes_at": "4pm"}, "days-4-closes_at", "Friday, closing time: Enter a time as HH:MM, like 16:00."),
        (
            {"days-5-opens_at": "10:00"},
            "days-5-closes_at",
            "Saturday, closing time: Enter the closing time too, or leave both times empty to close the day.",
        ),
        (
            {"days-0-opens_at": ""},
            "days-0-opens_at",
            "Monday, opening time: Enter the opening time too, or leave both times empty to close the day.",
        ),
    ],
)
def test_bad_input_is_explained_beside_its_field_and_what_was_typed_is_kept(
    app, client, three_weeks, today, changes, field, message
):
    values = {"past": (today - dt.timedelta(days=1)).isoformat(), "366": (today + dt.timedelta(days=366)).isoformat()}
    data = {**_hours(open_="09:30"), "effective_from": three_weeks["effective"].isoformat()}
    data.update({name: values.get(value, value) for name, value in changes.items()})
    templates = _templates(app)
    sign_in(client, LEAD)
    for url in (f"/admin/centers/{JFK}/hours/preview", f"/admin/centers/{JFK}/hours"):
        response = client.post(url, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, url
        beside = re.search(rf'<span class="usa-error-message" id="{field}-error">([^<]*)</span>', html)
        assert beside and message in beside.group(1), (url, beside)
        assert f'<a class="usa-link" href="#{field}">{message}' in html, (url, "the error summary says it as beside")
        assert "row" not in html.split("There is a problem")[1].split("</ul>")[0], "a day is named, not a row"
        for name, value in data.items():
            if name != "csrf_token" and value and "weekday" not in name:
                assert f'name="{name}"' in html and f'value="{value}"' in html, (url, name)
    assert _templates(app) == templates


def test_only_those_who_manage_centers_change_or_withdraw_hours(app, client, three_weeks):
    with app.app_context():
        create_account("officer.hours@example.com", roles=("officer",))
        create_account("super.hours@example.com", roles=("supervisor",))
        db.session.commit()
    form = {**_hours(), "effective_from": three_weeks["effective"].isoformat()}
    for email in ("officer.hours@example.com", "super.hours@example.com"):
        sign_in(client, email)
        for url in ("hours/preview", "hours", "hours/withdraw"):
            assert client.post(f"/admin/centers/{JFK}/{url}", data=form).status_code == 403, (email, url)
    sign_in(client, LEAD)
    assert client.post(f"/admin/centers/{JFK}/hours/preview", data=form).status_code == 200


def test_a_new_change_before_a_scheduled_one_replaces_it_and_the_preview_says_so(app, client, three_weeks):
    effective = three_weeks["effective"]
    sooner = three_weeks["before"]
    sign_in(client, LEAD)
    assert change_hours(client, JFK, _hours(seats="3"), effective).status_code == 302
    form = {**_hours(seats="1"), "effective_from": sooner.isoformat()}
    preview = client.post(f"/admin/centers/{JFK}/hours/preview", data=form).get_data(as_text=True)
    assert (
        f"These hours replace the change scheduled from {long_day(effective)}, which will not take effect." in preview
    )
    assert (
        client.post(f"/admin/centers/{JFK}/hours", data={**form, "hours_version": hours_version(preview)}).status_code
        == 302
    )
    rows = _templates(app)
    assert {(row[5], row[6], row[4]) for row in rows} == {
        (rows[0][5], sooner - dt.timedelta(days=1), 2),
        (sooner, None, 1),
    }
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "center.hours_changed").order_by(AuditEvent.id.desc())
        ).first()
        assert event.details["replaced"] == [effective.isoformat()]
