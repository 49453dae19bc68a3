"""Choosing a time: every day with openings in the next 60 days can be reached from the page, a day is the center's
own local day (on SQLite and PostgreSQL alike), and the times shown are the chosen day's only."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time
from trusted_traveler.scheduling.waitlist import choice_problems, days_ahead

JFK, ORD = 8001, 8008  # airports seating two at a time: New York and Chicago
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def traveler(app, client):
    with app.app_context():
        profile = create_profile(create_account("times@example.com"))
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        db.session.commit()
    sign_in(client, "times@example.com")
    return reference


def _open_days(app, center_id) -> dict[dt.date, set[int]]:
    """What the page should offer, worked out slot by slot: each local day with a free seat, and its free slots."""
    with app.app_context():
        center = db.session.get(EnrollmentCenter, center_id)
        since = dt.datetime.now(dt.UTC) + dt.timedelta(hours=center.min_notice_hours)
        free = db.session.scalars(
            select(Slot).where(
                Slot.center_id == center_id,
                Slot.starts_at >= since,
                Slot.starts_at < since + dt.timedelta(days=days_ahead()),
                Slot.booked + Slot.held < Slot.capacity,
            )
        )
        days: dict[dt.date, set[int]] = {}
        for slot in free:
            days.setdefault(local_time(slot.starts_at, center).date(), set()).add(slot.id)
        return days


def _page(client, reference, center_id, day: dt.date | str | None = None) -> str:
    query = f"?day={day.isoformat() if isinstance(day, dt.date) else day}" if day else ""
    response = client.get(f"/applications/{reference}/appointment/{center_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _links(html: str, testid: str) -> list[dt.date]:
    if f'data-testid="{testid}"' not in html:
        return []
    nav = html.split(f'data-testid="{testid}"')[1].split("</nav>")[0]
    return [dt.date.fromisoformat(day) for day in re.findall(r"day=(\d{4}-\d{2}-\d{2})", nav)]


def _times(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'name="slot_id" value="(\d+)"', html)}


def test_every_day_with_openings_in_the_next_60_days_can_be_reached(app, client, traveler):
    """At a busy airport center the first 500 free times end after about two weeks; the days after must still be
    offered, month by month."""
    with app.app_context():
        generate_slots(db.session.get(EnrollmentCenter, JFK), start=service_today(), days=days_ahead() + 2)
        db.session.commit()
    expected = _open_days(app, JFK)
    assert max(expected) - min(expected) > dt.timedelta(days=50)  # the schedule really is two months long

    first = _page(client, traveler, JFK)
    reached = set(_links(first, "days"))
    for month_start in _links(first, "months"):
        reached |= set(_links(_page(client, traveler, JFK, month_start), "days"))
    assert reached == set(expected)


def test_a_day_45_days_out_shows_that_days_times_and_only_those(app, client, traveler):
    with app.app_context():
        generate_slots(db.session.get(EnrollmentCenter, JFK), start=service_today(), days=days_ahead())
        db.session.commit()
    expected = _open_days(app, JFK)
    later = min(day for day in expected if day >= service_today() + dt.timedelta(days=45))
    html = _page(client, traveler, JFK, later)
    assert later.strftime("%A, %B %-d, %Y") in html
    assert _times(html) == expected[later]
    days = html.split('data-testid="days"')[1].split("</nav>")[0]
    assert 'aria-current="date"' in days.split(f"day={later.isoformat()}")[1].split("</a>")[0]  # the chosen day


def test_a_longer_booking_window_is_shown_and_waited_for_to_its_end(app, client, traveler, monkeypatch):
    """BOOKING_WINDOW_WEEKS of 12 opens times 84 days ahead: the times page reaches a day 80 days out, and a traveler
    may wait for a time up to the window's end (60 days, the default's reach, would stop short of both)."""
    monkeypatch.setitem(app.config, "BOOKING_WINDOW_WEEKS", 12)
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        generate_slots(jfk, start=service_today(), days=84)
        db.session.commit()
        today = service_today()
        assert days_ahead() == 84
        assert choice_problems([jfk], earliest=today, latest=today + dt.timedelta(days=84), today=today) == {}
        too_far = choice_problems([jfk], earliest=today, latest=today + dt.timedelta(days=85), today=today)
        assert list(too_far) == ["latest"] and "We open times up to 84 days ahead." in too_far["latest"]
    expected = _open_days(app, JFK)
    far = min(day for day in expected if day >= service_today() + dt.timedelta(days=80))
    assert _times(_page(client, traveler, JFK, far)) == expected[far]


def test_a_day_is_the_centers_local_day(app, client, traveler):
    """23:30 in Chicago is already the next day in UTC: it is listed, and booked, on the Chicago day."""
    day = service_today() + dt.timedelta(days=10)
    with app.app_context():
        late = Slot(center_id=ORD, starts_at=dt.datetime.combine(day, dt.time(23, 30), tzinfo=CHICAGO), capacity=2)
        db.session.add(late)
        db.session.commit()
        late_id = late.id
    html = _page(client, traveler, ORD)
    assert _links(html, "days") == [day]
    assert _times(html) == {late_id}
    assert _times(_page(client, traveler, ORD, day + dt.timedelta(days=1))) == {late_id}  # no openings: the nearest


def test_a_day_without_openings_says_so_and_shows_the_next_day_that_has_some(app, client, traveler):
    with app.app_context():
        generate_slots(db.session.get(EnrollmentCenter, JFK), start=service_today() + dt.timedelta(days=3), days=21)
        db.session.commit()
    expected = _open_days(app, JFK)
    sunday = next(day for day in sorted(expected) if day.weekday() == 4) + dt.timedelta(days=2)  # closed weekends
    html = _page(client, traveler, JFK, sunday)
    assert f"There are no open times on {sunday.strftime('%A, %B %-d, %Y')}." in html
    assert _times(html) == expected[min(day for day in expected if day > sunday)]
    # A day past the last opening shows the last day; a date that is not one shows the first, without a note.
    assert _times(_page(client, traveler, JFK, max(expected) + dt.timedelta(days=30))) == expected[max(expected)]
    html = _page(client, traveler, JFK, "someday")
    assert _times(html) == expected[min(expected)] and "There are no open times" not in html


def test_the_times_page_reads_the_same_statements_for_a_week_or_two_months_of_openings(app, client, traveler):
    """Two reads for the slots (the days with openings, then the chosen day's times), however many there are."""
    from tests.support.queries import count_queries

    def slot_reads(center_id: int) -> list[str]:
        with count_queries(app) as seen:
            _page(client, traveler, center_id)
        return [q for q in seen if "FROM slots" in q]

    with app.app_context():
        generate_slots(db.session.get(EnrollmentCenter, ORD), start=service_today(), days=7)
        generate_slots(db.session.get(EnrollmentCenter, JFK), start=service_today(), days=days_ahead())
        db.session.commit()
    assert len(slot_reads(ORD)) == len(slot_reads(JFK)) == 2


def test_open_days_split_at_local_midnight_across_the_fall_back(app_ctx):
    """On 1 November 2026 Chicago goes from UTC-5 to UTC-6: 23:30 that night is 05:30 UTC on the 2nd, 00:15 on
    the 2nd is 06:15 UTC. Each counts on its own local day; a full slot counts on none."""
    center = db.session.get(EnrollmentCenter, ORD)

    def slot(day, at, **seats):
        db.session.add(
            Slot(center_id=ORD, starts_at=dt.datetime.combine(day, at, tzinfo=CHICAGO).astimezone(dt.UTC), **seats)
        )

    slot(dt.date(2026, 10, 31), dt.time(23, 30))
    slot(dt.date(2026, 11, 1), dt.time(23, 30))
    slot(dt.date(2026, 11, 2), dt.time(0, 15))
    slot(dt.date(2026, 11, 3), dt.time(9, 0), capacity=2, booked=1, held=1)  # full
    db.session.flush()
    since = dt.datetime(2026, 10, 31, 12, tzinfo=dt.UTC)
    days = scheduling.open_days(center, since=since, until=since + dt.timedelta(days=7))
    assert days == [dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    on_the_first = scheduling.open_slots_on(center, dt.date(2026, 11, 1), since=since)
    assert [local_time(s.starts_at, center).time() for s in on_the_first] == [dt.time(23, 30)]


def test_the_times_page_names_the_centers_zone_in_the_travelers_language(client, traveler):
    html = _page(client, traveler, ORD)
    assert "times are local (Central Time)" in html and "America/Chicago" not in html
    client.get("/language/es")
    html = _page(client, traveler, ORD)
    assert "(hora central)" in html and "America/Chicago" not in html
