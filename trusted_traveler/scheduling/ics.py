"""A calendar file (.ics) for a booked appointment, in the center's own time zone."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from trusted_traveler.scheduling.slots import local_time


def appointment_ics(appointment, *, visit: str) -> bytes:
    slot, center = appointment.slot, appointment.slot.center
    start = local_time(slot.starts_at, center)
    calendar = Calendar()
    calendar.add("prodid", "-//Trusted Traveler 2.0//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@trustedtraveler.example.gov")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=slot.duration_minutes))
    event.add("summary", f"{appointment.application.program.name} {visit}")
    event.add("location", ", ".join(p for p in (center.name, center.address, center.city, center.state) if p))
    event.add("description", f"Application {appointment.application.reference}. {center.notes or ''}".strip())
    calendar.add_component(event)
    return calendar.to_ical()
