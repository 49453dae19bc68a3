"""Helpers for the scheduler API and the availability page: slots made directly, a frozen clock, and center flags
changed for one test (centers are reference data, so they are put back afterwards)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from trusted_traveler.api import scheduler
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.web.availability import views as availability_views

UTC = dt.UTC
# A fixed "now" for tests that use fixed dates: before the 2026-11-01 fall-back and the 2027-03-14 spring-forward.
FROZEN_NOW = dt.datetime(2026, 10, 15, 12, 0, tzinfo=UTC)


def at(tz_name: str, *args) -> dt.datetime:
    """The UTC instant of a wall-clock time in `tz_name`."""
    return dt.datetime(*args, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def add_slot(center_id: int, starts_at: dt.datetime, **fields) -> Slot:
    slot = Slot(center_id=center_id, starts_at=starts_at, **fields)
    db.session.add(slot)
    db.session.flush()
    return slot


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(scheduler, "now", lambda: FROZEN_NOW)
    monkeypatch.setattr(availability_views, "now", lambda: FROZEN_NOW)
    return FROZEN_NOW


@pytest.fixture
def slots(app):
    """Add slots and commit: `slots(center_id, starts_at, capacity=…, booked=…, held=…)`."""

    def make(center_id: int, starts_at: dt.datetime, **fields) -> None:
        with app.app_context():
            add_slot(center_id, starts_at, **fields)
            db.session.commit()

    return make


@pytest.fixture
def center_flags(app):
    """Change a center's flags for one test: `center_flags(5004, operational=False)`; restored afterwards."""
    saved: list[tuple[int, dict]] = []

    def change(center_id: int, **flags) -> None:
        with app.app_context():
            center = db.session.get(EnrollmentCenter, center_id)
            saved.append((center_id, {name: getattr(center, name) for name in flags}))
            for name, value in flags.items():
                setattr(center, name, value)
            db.session.commit()

    yield change
    with app.app_context():
        for center_id, flags in reversed(saved):
            center = db.session.get(EnrollmentCenter, center_id)
            for name, value in flags.items():
                setattr(center, name, value)
        db.session.commit()
