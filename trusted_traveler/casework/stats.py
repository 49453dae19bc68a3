"""Typical time spent in each status, read from the status events of recent applications (never promised, only
shown as a range). Uses a window function (LAG), available on SQLite 3.25+ and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, select

from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db

MIN_SAMPLE = 5  # fewer finished steps than this: no figure, rather than a misleading one
LOOKBACK = dt.timedelta(days=365)


@dataclass(frozen=True)
class TypicalTime:
    median_days: float
    p75_days: float
    sample: int

    def describe(self) -> str:
        low, high = round(self.median_days), round(self.p75_days)
        if high <= 1:
            return gettext("usually about a day")
        if low == high:
            return gettext("usually about %(days)s days", days=low)
        return gettext("usually %(low)s to %(high)s days", low=low, high=high)


def typical_times(program_id: int, *, now: dt.datetime | None = None) -> dict[str, TypicalTime]:
    """For each status, how long recent applications of the program stayed in it before moving on."""
    now = now or utcnow()
    # type_ given explicitly: SQLite does not carry the column's type through LAG()
    entered = func.lag(StatusEvent.created_at, type_=StatusEvent.created_at.type).over(
        partition_by=StatusEvent.application_id, order_by=StatusEvent.id
    )
    moves = (
        select(
            StatusEvent.from_status.label("status"),
            StatusEvent.created_at.label("left_at"),
            entered.label("entered_at"),
        )
        .join(Application, Application.id == StatusEvent.application_id)
        .where(Application.program_id == program_id)
        .subquery()
    )
    rows = db.session.execute(
        select(moves.c.status, moves.c.entered_at, moves.c.left_at).where(
            moves.c.status.is_not(None), moves.c.left_at >= now - LOOKBACK
        )
    ).all()
    durations: dict[str, list[float]] = {}
    for status, entered_at, left_at in rows:
        if entered_at is None:
            continue
        durations.setdefault(status, []).append((left_at - entered_at).total_seconds() / 86400)
    result = {}
    for status, values in durations.items():
        if len(values) >= MIN_SAMPLE:
            quartiles = statistics.quantiles(values, n=4, method="inclusive")
            result[status] = TypicalTime(statistics.median(values), quartiles[2], len(values))
    return result
