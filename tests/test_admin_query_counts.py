"""The administrators' lists run a bounded number of queries, whatever the number of rows (no N+1; issue 8): a
center's conflicts after a closure, the staff and their roles, the centers with their programs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import create_account, create_application, sign_in
from tests.support.queries import count_queries, reads
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time

JFK = 8001


def _admin(app, client) -> None:
    with app.app_context():
        create_account("centers.admin@example.com", roles=("admin", "supervisor"))
        db.session.commit()
    sign_in(client, "centers.admin@example.com")


def _book_at_jfk(app, counts: dict[dt.date, int]) -> None:
    """So many PreCheck visits at JFK on each day (the center's own days), at its free slots."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        generate_slots(jfk, start=min(counts), days=(max(counts) - min(counts)).days + 1)
        now = dt.datetime.now(dt.UTC)
        slots = db.session.scalars(
            select(Slot).where(Slot.center_id == JFK, Slot.booked < Slot.capacity).order_by(Slot.starts_at)
        ).all()
        for day, count in counts.items():
            for slot in [s for s in slots if local_time(s.starts_at, jfk).date() == day][:count]:
                application = create_application("precheck", submitted=True)
                scheduling.book(application, slot, by=application.profile.account, now=now)
        db.session.commit()


def _close(client, day: dt.date) -> None:
    closed = client.post(
        f"/admin/centers/{JFK}/closures",
        data={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Power work"},
    )
    assert closed.status_code == 302


def test_a_centers_conflicts_list_runs_the_same_queries_for_3_or_30_appointments(app, client, today):
    first, second = today + dt.timedelta(days=8), today + dt.timedelta(days=9)
    while second.weekday() >= 5 or first.weekday() >= 5:  # JFK's weekdays
        first, second = first + dt.timedelta(days=1), second + dt.timedelta(days=1)
    _book_at_jfk(app, {first: 3, second: 27})
    _admin(app, client)
    _close(client, first)
    client.get(f"/admin/centers/{JFK}/conflicts")
    with count_queries(app) as few:
        html = client.get(f"/admin/centers/{JFK}/conflicts").get_data(as_text=True)
    assert html.count('href="/officer/cases/') == 3
    _close(client, second)
    with count_queries(app) as many:
        html = client.get(f"/admin/centers/{JFK}/conflicts").get_data(as_text=True)
    assert html.count('href="/officer/cases/') == 30
    assert len(reads(many)) == len(reads(few)), many
    assert len(many) <= len(reads(many)) + 30  # the view's audit record for each traveler named


def test_the_staff_list_runs_the_same_queries_for_3_or_30_staff(app, client):
    _admin(app, client)
    with app.app_context():
        for n in range(2):
            create_account(f"officer{n}@example.com", roles=("officer",))
        db.session.commit()
    client.get("/admin/roles")
    with count_queries(app) as few:
        assert "officer1@example.com" in client.get("/admin/roles").get_data(as_text=True)
    with app.app_context():
        for n in range(2, 29):
            create_account(f"officer{n}@example.com", roles=("officer", "supervisor"))
        db.session.commit()
    with count_queries(app) as many:
        assert "officer28@example.com" in client.get("/admin/roles").get_data(as_text=True)
    assert len(many) == len(few), many


def test_the_centers_list_reads_every_centers_programs_at_once(app, client):
    _admin(app, client)
    client.get("/admin/centers")
    with count_queries(app) as seen:
        html = client.get("/admin/centers").get_data(as_text=True)
    assert "John F. Kennedy" in html
    assert len(seen) <= 6, seen  # 49 centers: one query for them, one for their programs
