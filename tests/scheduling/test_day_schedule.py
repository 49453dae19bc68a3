"""The officer's day at a center (/officer/centers/<id>/day): the day's appointments in local time, with a bounded
number of queries however full the day, each traveler it names recorded in the audit log, and a day it cannot show
(mistyped, or years away) answered with today and a message, not an error page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import create_account, create_application, sign_in
from tests.support.queries import count_queries, reads
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time

JFK = 8001


def _book(app, now: dt.datetime, count: int, *, offset: int = 0) -> dt.date:
    """`count` PreCheck visits booked at JFK on one day, ten days after `now`; returns that day in the center's time
    zone."""
    day_start = (now + dt.timedelta(days=10)).replace(hour=14, minute=0, second=0)  # 9 or 10 a.m. in New York
    with app.app_context():
        center = db.session.get(EnrollmentCenter, JFK)
        for n in range(offset, offset + count):
            slot = Slot(center_id=JFK, starts_at=day_start + dt.timedelta(minutes=10 * n), capacity=1)
            db.session.add(slot)
            db.session.flush()
            application = create_application("precheck", submitted=True)
            scheduling.book(application, slot, by=application.profile.account, now=now)
        db.session.commit()
        return local_time(day_start, center).date()


def _officer(app, client) -> None:
    with app.app_context():
        create_account("dana.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "dana.officer@example.com")


def test_the_day_lists_its_appointments_in_local_time_with_the_same_queries_for_2_or_12(app, client, now):
    day = _book(app, now, 2)
    _officer(app, client)
    path = f"/officer/centers/{JFK}/day?date={day.isoformat()}"
    client.get(path)
    with count_queries(app) as few:
        html = client.get(path).get_data(as_text=True)
    assert "2 appointments" in html and ("EST" in html or "EDT" in html)
    _book(app, now, 10, offset=2)
    with count_queries(app) as many:
        html = client.get(path).get_data(as_text=True)
    assert "12 appointments" in html
    assert len(reads(many)) == len(reads(few)) <= 12, many
    assert len(many) == len(reads(many)) + 1  # the view's audit records, one INSERT for the 12 appointments shown


def test_viewing_the_day_is_recorded_for_each_traveler_it_names(app, client, now):
    """As opening a case records `profile.viewed`, so "who looked at this application" finds the day's page too."""
    day = _book(app, now, 2)
    _officer(app, client)
    assert client.get(f"/officer/centers/{JFK}/day?date={day.isoformat()}").status_code == 200
    with app.app_context():
        officer = db.session.scalar(select(Account.id).where(Account.email == "dana.officer@example.com"))
        references = db.session.scalars(select(Application.reference)).all()
        seen = db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.details).where(
                AuditEvent.action == "day_schedule.viewed"
            )
        ).all()
    details = {"center": JFK, "day": day.isoformat()}
    assert sorted(tuple(row)[:3] for row in seen) == sorted((officer, "application", r) for r in references)
    assert all(row.details == details for row in seen)


def test_a_day_the_schedule_cannot_show_is_answered_with_today_and_why(app, client):
    _officer(app, client)
    for asked in ("9999-12-31", "0001-01-01", "next tuesday"):
        response = client.get(f"/officer/centers/{JFK}/day?date={asked}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, asked
        assert f"&#39;{asked}&#39; is not a day this schedule can show" in html
        assert "Previous day" in html and "Next day" in html  # today's, with its neighbours
