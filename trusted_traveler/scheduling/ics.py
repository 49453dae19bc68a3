"""A calendar file (.ics) for a booked appointment, in the center's own time zone and the reader's language."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from icalendar import Calendar, Event

from trusted_traveler.scheduling.slots import local_time


def appointment_ics(appointment, *, visit: str) -> bytes:
    """The appointment as one event, to import into a calendar.

    - Its times carry the center's TZID, and the file defines that zone (VTIMEZONE, RFC 5545 3.2.19) for the year
      either side of the visit: a calendar that does not know the IANA name would otherwise guess the hour.
    - The UID stays the same when the appointment moves, and SEQUENCE counts the moves: re-importing a moved
      appointment updates the event already there instead of adding a second one at the old time.
    - SUMMARY and DESCRIPTION are whole sentences from the catalog, in the language of the request (the reader's),
      so each language puts the words in its own order."""
    slot, center, application = appointment.slot, appointment.slot.center, appointment.application
    start = local_time(slot.starts_at, center)
    calendar = Calendar()
    calendar.add("prodid", "-//Trusted Traveler 2.0//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@trustedtraveler.example.gov")
    event.add("sequence", appointment.reschedule_count)
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=slot.duration_minutes))
    event.add("summary", _("Your %(program)s %(visit)s", program=application.program.name, visit=visit))
    event.add("location", ", ".join(p for p in (center.name, center.address, center.city, center.state) if p))
    about = _("Application %(reference)s.", reference=application.reference)
    event.add("description", f"{about} {center.notes or ''}".strip())
    calendar.add_component(event)
    year = dt.timedelta(days=366)
    calendar.add_missing_timezones(first_date=start.date() - year, last_date=start.date() + year)
    return calendar.to_ical()
