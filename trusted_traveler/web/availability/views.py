"""GET /appointments/availability: the soonest open appointment at each operational enrollment center, in the
center's own time, with optional program and state filters. The same rule as /schedulerapi decides what is open:
a slot that starts after now with at least one free seat (capacity - booked - held)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pycountry
from babel.dates import format_date, format_time
from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from trusted_traveler.auth.policy import public
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db, limiter
from trusted_traveler.i18n import zone_name
from trusted_traveler.programs.service import list_programs
from trusted_traveler.scheduling.lookups import bookable_after
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.web.availability import bp
from trusted_traveler.web.availability.forms import AvailabilityFilterForm


def now() -> dt.datetime:
    """The current instant (a seam for tests)."""
    return utcnow()


def soonest_openings(*, service_id: int | None, state: str | None) -> list[tuple[EnrollmentCenter, dt.datetime, int]]:
    """(center, soonest open slot start in UTC or None, free seats then) for every operational center matching the
    filters, in one query: the soonest start per center, joined back to its slot for the free seats."""
    free = Slot.capacity - Slot.booked - Slot.held
    centers = [EnrollmentCenter.operational.is_(True)]
    if service_id is not None:
        centers.append(EnrollmentCenter.services.any(id=service_id))
    if state:
        centers.append(EnrollmentCenter.state == state)
    soonest = (
        select(Slot.center_id, func.min(Slot.starts_at).label("starts_at"))
        .join(EnrollmentCenter, EnrollmentCenter.id == Slot.center_id)
        .where(*centers, bookable_after(now()), free >= 1)
        .group_by(Slot.center_id)
        .subquery()
    )
    rows = db.session.execute(
        select(EnrollmentCenter, Slot.starts_at, free)
        .outerjoin(soonest, soonest.c.center_id == EnrollmentCenter.id)
        .outerjoin(Slot, and_(Slot.center_id == soonest.c.center_id, Slot.starts_at == soonest.c.starts_at))
        .where(*centers)
    ).all()
    return sorted(rows, key=_as_read)


def _as_read(row) -> tuple:
    """The order a person reading the table expects: by the soonest date and time as each center's clock shows it
    (the time printed in the row), so the column reads in order; the same clock time at two centers, the one that
    comes first in fact; then the centers with nothing open, by name. (By the instant alone, 9:00 AM Pacific came
    after 11:00 AM Eastern, and the column read out of order.) The caption says so."""
    center, starts_at, _seats = row
    if starts_at is None:
        return (True, dt.datetime.min, dt.datetime.min.replace(tzinfo=dt.UTC), center.name)
    local = starts_at.astimezone(ZoneInfo(center.tz_name)).replace(tzinfo=None)
    return (False, local, starts_at, center.name)


def display_row(center: EnrollmentCenter, starts_at: dt.datetime | None, seats: int | None, locale: str) -> dict:
    zone = ZoneInfo(center.tz_name)
    row = {
        "center": center,
        "zone_name": zone_name(zone, locale, at=now()),
        "opening": None,
    }
    if starts_at is not None:
        local = starts_at.astimezone(zone)
        row["opening"] = {
            "iso": local.isoformat(timespec="minutes"),
            "date": format_date(local, "full", locale=locale),
            "time": format_time(local, "short", tzinfo=zone, locale=locale),
            "abbreviation": _abbreviation(local),
            "seats": seats,
        }
    return row


def _abbreviation(local: dt.datetime) -> str:
    """The zone's abbreviation at that time (EST, MDT, HST), so every time says its zone; where the time zone
    database has none (it writes an offset such as "-03"), the offset from UTC ("UTC-03:00")."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or dt.timedelta(0)
    sign, minutes = ("-" if offset < dt.timedelta(0) else "+"), abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def region_name(country_code: str, state: str) -> str:
    """A center's state or province by its name ("New York", "Alberta"), its code when ISO 3166-2 has none."""
    found = pycountry.subdivisions.get(code=f"{country_code}-{state}")
    return found.name if found is not None else state


@bp.get("/availability")
@public
@limiter.limit("60/minute")
def soonest():
    programs = list_programs()
    states = db.session.execute(
        select(EnrollmentCenter.country_code, EnrollmentCenter.state)
        .where(EnrollmentCenter.operational.is_(True))
        .distinct()
    ).all()
    form = AvailabilityFilterForm(formdata=request.args)
    form.program.choices = [("", _("All programs"))] + [(p.code, p.name) for p in programs]
    named = sorted(((state, region_name(country, state)) for country, state in states), key=lambda c: c[1])
    form.state.choices = [("", _("All states and provinces"))] + named
    if not form.validate():
        return render_template("availability/soonest.html", form=form, rows=None, program=None), 400
    program = next((p for p in programs if p.code == form.program.data), None)
    locale = str(get_locale() or "en")
    rows = [
        display_row(center, starts_at, seats, locale)
        for center, starts_at, seats in soonest_openings(
            service_id=program.scheduler_service_id if program else None, state=form.state.data or None
        )
    ]
    state_name = dict(form.state.choices).get(form.state.data) if form.state.data else None
    return render_template("availability/soonest.html", form=form, rows=rows, program=program, state_name=state_name)
