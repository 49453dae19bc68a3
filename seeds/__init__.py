"""`flask seed`: reference data, real enrollment centers and demo personas. Safe to run again."""

from __future__ import annotations

from seeds.centers import load_centers
from seeds.personas import load_personas
from seeds.reference import load_reference
from seeds.rules import load_rules
from trusted_traveler.db import service_today
from trusted_traveler.scheduling.slots import booking_window_weeks, generate_all


def load_all(*, demo: bool = True) -> dict[str, int]:
    summary = dict(load_reference())
    summary["rules"] = load_rules()
    summary["centers"] = load_centers()
    if demo:
        # the booking window's weeks of openings to book, as the worker keeps them open
        summary["slots"] = generate_all(start=service_today(), days=7 * booking_window_weeks())
        summary["personas"] = load_personas()
    return summary
