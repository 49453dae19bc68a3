"""`flask seed`: reference data, real enrollment centers and demo personas. Safe to run again."""

from __future__ import annotations

import datetime as dt

from seeds.centers import load_centers
from seeds.personas import load_personas
from seeds.reference import load_reference
from seeds.rules import load_rules
from trusted_traveler.scheduling.slots import generate_all


def load_all(*, demo: bool = True) -> dict[str, int]:
    summary = dict(load_reference())
    summary["rules"] = load_rules()
    summary["centers"] = load_centers()
    if demo:
        summary["slots"] = generate_all(start=dt.date.today(), days=28)  # four weeks of openings to book
        summary["personas"] = load_personas()
    return summary
