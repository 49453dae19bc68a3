"""Real enrollment centers (seeds/data/*.json, from ../shared/domain/CENTERS.md and public sources). Idempotent:
centers are upserted by id; capacity templates are added only to centers that have none.

Each center's latitude and longitude (the "nearest first" order of the traveler's ZIP code search) is its street
address's location, placed by hand from public maps to about 0.01 degree (under a mile); an airport center's is its
terminal's. tests/test_seeds_and_crypto.py holds every U.S. one within 25 miles of its own ZIP code's location."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import CapacityTemplate, EnrollmentCenter, SchedulerService

DATA = Path(__file__).parent / "data"
FIELDS = (
    "name",
    "short_name",
    "location_type",
    "location_code",
    "address",
    "address_additional",
    "city",
    "state",
    "postal_code",
    "country_code",
    "tz_name",
    "notes",
    "enrollment_on_arrival",
    "latitude",
    "longitude",
)
PRECHECK_SERVICE_ID = 101
SEEDED_HOURS_FROM = dt.date(2026, 1, 1)


def center_records() -> list[dict]:
    records = json.loads((DATA / "centers.json").read_text())
    tsa = DATA / "tsa_sites.json"
    if tsa.exists():
        for site in json.loads(tsa.read_text()):
            records.append(
                {
                    **site,
                    "location_type": "TSA",
                    "location_code": None,
                    "services": [PRECHECK_SERVICE_ID],
                    "enrollment_on_arrival": False,
                }
            )
    return records


def _default_capacity(center: EnrollmentCenter) -> list[CapacityTemplate]:
    """Weekdays 8:00 to 16:00 local time, 15-minute slots; airports and PreCheck sites seat two at a time."""
    seats = 2 if center.location_type in ("AIR", "TSA") else 1
    return [
        CapacityTemplate(
            weekday=day,
            opens_at=dt.time(8, 0),
            closes_at=dt.time(16, 0),
            slot_minutes=15,
            seats=seats,
            valid_from=SEEDED_HOURS_FROM,
        )
        for day in range(5)
    ]


def load_centers() -> int:
    services = {s.id: s for s in db.session.query(SchedulerService)}
    count = 0
    for record in center_records():
        center = db.session.get(EnrollmentCenter, record["id"])
        if center is None:
            center = EnrollmentCenter(id=record["id"])
            db.session.add(center)
            count += 1
        for field in FIELDS:
            setattr(center, field, record.get(field))
        center.services = [services[sid] for sid in record["services"]]
        if not center.capacity:
            center.capacity = _default_capacity(center)
    db.session.flush()
    return count
