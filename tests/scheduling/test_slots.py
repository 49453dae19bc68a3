"""Opening hours become slots in each center's own time; stored in UTC; holidays and closures stay shut."""

import datetime as dt

import pytest
from sqlalchemy import event, insert, select

from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import Closure, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time, local_to_utc, planned_slots

pytestmark = pytest.mark.usefixtures("app_ctx")
UTC = dt.UTC


def _slots(center_id, day):
    start = dt.datetime.combine(day, dt.time(0), tzinfo=UTC) - dt.timedelta(hours=12)
    return db.session.scalars(
        select(Slot)
        .where(Slot.center_id == center_id, Slot.starts_at >= start, Slot.starts_at < start + dt.timedelta(hours=48))
        .order_by(Slot.starts_at)
    ).all()


def test_a_chicago_center_opens_at_eight_local_on_both_sides_of_the_fall_back():
    hidalgo = db.session.get(EnrollmentCenter, 5001)  # America/Chicago; clocks go back on 2026-11-01
    generate_slots(hidalgo, start=dt.date(2026, 10, 30), days=4)
    friday = [
        s
        for s in _slots(5001, dt.date(2026, 10, 30))
        if local_time(s.starts_at, hidalgo).date() == dt.date(2026, 10, 30)
    ]
    monday = [
        s for s in _slots(5001, dt.date(2026, 11, 2)) if local_time(s.starts_at, hidalgo).date() == dt.date(2026, 11, 2)
    ]
    assert friday[0].starts_at == dt.datetime(2026, 10, 30, 13, 0, tzinfo=UTC)  # 8:00 CDT
    assert monday[0].starts_at == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 8:00 CST
    assert len(friday) == len(monday) == 32  # 8:00 to 16:00 in 15-minute slots
    assert {local_time(s.starts_at, hidalgo).hour for s in friday + monday} == set(range(8, 16))


def test_arizona_keeps_the_same_offset_all_year():
    nogales = db.session.get(EnrollmentCenter, 5007)  # America/Phoenix
    generate_slots(nogales, start=dt.date(2026, 3, 6), days=4)  # clocks go forward elsewhere on 2026-03-08
    firsts = {}
    for slot in db.session.scalars(select(Slot).where(Slot.center_id == 5007).order_by(Slot.starts_at)):
        firsts.setdefault(local_time(slot.starts_at, nogales).date(), slot.starts_at)
    assert {at.hour for at in firsts.values()} == {15}  # 8:00 MST is always 15:00 UTC


def test_a_federal_holiday_and_a_closure_have_no_slots_and_generation_is_idempotent():
    center = db.session.get(EnrollmentCenter, 5001)
    center.closures.append(Closure(starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 2), reason="Repairs"))
    created = generate_slots(center, start=dt.date(2026, 11, 23), days=14)  # includes Thanksgiving, 26 November
    days = {
        local_time(s.starts_at, center).date() for s in db.session.scalars(select(Slot).where(Slot.center_id == 5001))
    }
    assert dt.date(2026, 11, 26) not in days  # Thanksgiving
    assert not days & {dt.date(2026, 12, 1), dt.date(2026, 12, 2)}
    assert dt.date(2026, 11, 27) in days and dt.date(2026, 12, 3) in days
    assert generate_slots(center, start=dt.date(2026, 11, 23), days=14) == 0 < created


def test_a_slot_another_worker_opens_meanwhile_is_left_to_it_and_the_rest_are_opened_without_an_error():
    """Two workers starting at once (or a worker beside `flask generate-slots`, or a center's re-plan) both find a
    day's slots missing: each slot is created once, and the one that writes second opens the others, not a failure
    that stops its worker."""
    center = db.session.get(EnrollmentCenter, 5001)
    day = dt.date(2026, 11, 23)
    planned = planned_slots(center, day, 1)
    first_at, minutes, seats = planned[0]
    opened_first = []

    def the_other_worker_commits_first(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO slots") and not opened_first:
            opened_first.append(True)
            with db.engine.begin() as other:  # another connection: after this one looked, before it writes
                other.execute(
                    insert(Slot).values(center_id=5001, starts_at=first_at, duration_minutes=minutes, capacity=seats)
                )

    event.listen(db.engine, "before_cursor_execute", the_other_worker_commits_first)
    try:
        created = generate_slots(center, start=day, days=1)
    finally:
        event.remove(db.engine, "before_cursor_execute", the_other_worker_commits_first)
    db.session.commit()
    assert opened_first and created == len(planned) - 1
    assert [s.starts_at for s in _slots(5001, day)] == [at for at, _, _ in planned]


def test_a_canadian_center_follows_its_provinces_holidays():
    fort_erie = db.session.get(EnrollmentCenter, 5022)  # Ontario: Family Day, 16 February 2026
    generate_slots(fort_erie, start=dt.date(2026, 2, 16), days=1)
    assert db.session.scalars(select(Slot).where(Slot.center_id == 5022)).all() == []


def test_a_local_time_that_does_not_exist_is_skipped():
    from zoneinfo import ZoneInfo

    assert local_to_utc(dt.date(2026, 3, 8), dt.time(2, 30), ZoneInfo("America/Chicago")) is None
    assert local_to_utc(dt.date(2026, 3, 8), dt.time(8, 0), ZoneInfo("America/Chicago")) == dt.datetime(
        2026, 3, 8, 13, 0, tzinfo=UTC
    )


def test_the_worker_opens_slots_ahead_and_delivers(app):
    """One pass of `flask worker --once`: slots for the coming weeks exist afterwards (and a second pass adds none)."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--once", "--slot-weeks", "1"])
    assert result.exit_code == 0, result.output
    assert "opened" in result.output
    again = runner.invoke(args=["worker", "--once", "--slot-weeks", "1"])
    assert "opened" not in again.output


def test_the_generator_opens_the_booking_window_unless_told_otherwise(app, today, monkeypatch):
    """`flask generate-slots` with no --weeks opens BOOKING_WINDOW_WEEKS weeks from the service's today, no more."""
    monkeypatch.setitem(app.config, "BOOKING_WINDOW_WEEKS", 1)
    result = app.test_cli_runner().invoke(args=["generate-slots"])
    assert result.exit_code == 0, result.output
    jfk = db.session.get(EnrollmentCenter, 8001)
    days = {local_time(s.starts_at, jfk).date() for s in db.session.scalars(select(Slot).where(Slot.center_id == 8001))}
    assert days and max(days) <= today + dt.timedelta(days=6)
