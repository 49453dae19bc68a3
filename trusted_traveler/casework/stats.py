"""Typical time spent in each status, read from the status events of recent applications (never promised, only
shown as a range). Uses a window function (LAG), available on SQLite 3.25+ and PostgreSQL.

Reading a year of status events costs seconds at national scale, so the worker computes the figures once an hour
into `typical_times` (`refresh_typical_times`) and pages read those rows, kept five minutes per process. Before the
first refresh (a new database) a page computes them itself, as it did before the table existed."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import and_, delete, func, or_, select

from trusted_traveler import replica
from trusted_traveler.caching import TTLCache
from trusted_traveler.casework.models import Application, StatusEvent, TypicalTimeFigure
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program

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


CACHE_SECONDS = 300  # the rows change once an hour
COMPUTED_CACHE_SECONDS = 3600  # before the first refresh, a figure a page computed itself
_cache = TTLCache()


def typical_times(program_id: int, *, now: dt.datetime | None = None) -> dict[str, TypicalTime]:
    """For each status, how long recent applications of the program stayed in it before moving on. Without `now`,
    the figures the worker stored (`refresh_typical_times`); with `now`, computed from the status events."""
    if now is not None:
        return _typical_times(program_id, now)
    stored = _cache.get(program_id, CACHE_SECONDS, lambda: _stored(program_id))
    if stored is not None:
        return stored
    return _cache.get(("computed", program_id), COMPUTED_CACHE_SECONDS, lambda: _typical_times(program_id, utcnow()))


def _stored(program_id: int) -> dict[str, TypicalTime] | None:
    """The stored figures, or None when none have been computed for the program yet."""
    rows = db.session.scalars(select(TypicalTimeFigure).where(TypicalTimeFigure.program_id == program_id)).all()
    if not rows:
        return None
    return {r.status: TypicalTime(r.median_days, r.p75_days, r.sample) for r in rows}


def refresh_typical_times(now: dt.datetime, *, unless_fresher_than: dt.timedelta | None = None) -> int:
    """Compute every program's figures from the status events and store them (replacing the last ones); the
    workers run it hourly. Returns the number of figures stored. (A program with too few finished steps for any
    figure stores none, and its pages compute them: cheap, with so few events.)

    Several workers at once take turns (the programs' rows are locked until the commit: two replacing the same
    rows at once would collide), and with `unless_fresher_than` a worker whose turn comes after another's fresh
    figures stores nothing (returns 0) rather than reading the year's events again."""
    # FOR NO KEY UPDATE: it still makes workers take turns, but does not hold up the foreign-key checks of
    # applications and memberships being written meanwhile (FOR UPDATE would, for the whole refresh)
    program_ids = db.session.scalars(select(Program.id).order_by(Program.id).with_for_update(key_share=True)).all()
    if unless_fresher_than is not None:
        last = db.session.scalar(select(func.max(TypicalTimeFigure.computed_at)))
        if last is not None and now - last < unless_fresher_than:
            return 0
    stored = 0
    for program_id in program_ids:
        figures = _typical_times(program_id, now)
        db.session.execute(delete(TypicalTimeFigure).where(TypicalTimeFigure.program_id == program_id))
        db.session.add_all(
            TypicalTimeFigure(
                program_id=program_id,
                status=status,
                median_days=f.median_days,
                p75_days=f.p75_days,
                sample=f.sample,
                computed_at=now,
            )
            for status, f in figures.items()
        )
        stored += len(figures)
    db.session.flush()
    _cache.clear()
    return stored


def _typical_times(program_id: int, now: dt.datetime) -> dict[str, TypicalTime]:
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
        # Only applications that moved within the year: the others have no step in it. (An application's last
        # move is when it entered its status, so this keeps every event that can count, and the earlier events
        # LAG needs to know when those steps began.) The year's work stays flat as years of history pile up.
        .where(Application.program_id == program_id, Application.status_entered_at >= now - LOOKBACK)
        # A step that left the status as it was (transitions.record_step: a due date moved) is no move: the stay
        # it falls in is one stay, not two shorter ones. Filtered before LAG, so the next move reaches back past it.
        .where(or_(StatusEvent.from_status.is_(None), StatusEvent.from_status != StatusEvent.to_status))
        .subquery()
    )
    recent = and_(moves.c.status.is_not(None), moves.c.entered_at.is_not(None), moves.c.left_at >= now - LOOKBACK)
    if db.engine.dialect.name == "postgresql":
        # The median and 75th percentile in the database: a year of status events never leaves it.
        days = func.extract("epoch", moves.c.left_at - moves.c.entered_at) / 86400.0
        rows = replica.read(
            select(
                moves.c.status,
                func.percentile_cont(0.5).within_group(days),
                func.percentile_cont(0.75).within_group(days),
                func.count(),
            )
            .where(recent)
            .group_by(moves.c.status)
            .having(func.count() >= MIN_SAMPLE)
        ).all()
        return {status: TypicalTime(float(median), float(p75), count) for status, median, p75, count in rows}
    rows = replica.read(select(moves.c.status, moves.c.entered_at, moves.c.left_at).where(recent)).all()
    durations: dict[str, list[float]] = {}
    for status, entered_at, left_at in rows:
        durations.setdefault(status, []).append((left_at - entered_at).total_seconds() / 86400)
    result = {}
    for status, values in durations.items():
        if len(values) >= MIN_SAMPLE:
            quartiles = statistics.quantiles(values, n=4, method="inclusive")
            result[status] = TypicalTime(statistics.median(values), quartiles[2], len(values))
    return result
