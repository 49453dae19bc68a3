"""The figures of the public performance dashboard. Each figure is plain data (no ORM objects): the same columns and
rows make the chart, the accessible table, the CSV and the JSON.

The processing time reads every submission and decision event of the year, seconds at national scale, so the worker
computes the four figures every five minutes into `dashboard_figures` (`refresh_dashboard_figures`, one row each) and
pages read those rows, kept a minute per process. Before the first refresh (a new database, or development without
the worker) a page computes a figure itself and keeps it PERFORMANCE_CACHE_SECONDS.

Small samples are not shown (casework.stats.MIN_SAMPLE): a median of three decisions would mislead.

Titles, column labels, notes and touchpoint names are lazy strings, so one cached figure reads in each reader's
language; the column keys (the CSV header and the JSON keys) stay English, for machines."""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, text

from trusted_traveler import replica
from trusted_traveler.caching import TTLCache
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.states import Status
from trusted_traveler.casework.stats import LOOKBACK, MIN_SAMPLE
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.feedback.models import DashboardFigure, SurveyOffer
from trusted_traveler.feedback.results import summarize
from trusted_traveler.feedback.service import DECIDED, TOUCHPOINT_LABELS, TOUCHPOINTS
from trusted_traveler.i18n import format_day
from trusted_traveler.programs.service import list_programs
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.service import soonest_by_center

WEEKS = 26
DECISIONS = (Status.APPROVED.value, Status.DENIED.value)
CACHE_SECONDS = 300  # a figure a page computed itself (PERFORMANCE_CACHE_SECONDS in the app config overrides it)
STORED_CACHE_SECONDS = 60  # a figure the worker stored: read again after a minute (the worker replaces it every 5)
REFRESH_EVERY = dt.timedelta(minutes=5)
STALE_AFTER = 3 * REFRESH_EVERY  # stored figures older than this: the worker is behind; pages compute them again

log = logging.getLogger(__name__)

# Columns whose values are dates: ISO 8601 in the rows (the CSV, the JSON and the charts read them), written in the
# reader's language in the page's tables.
DATE_COLUMNS = frozenset({"week_starting", "soonest_date"})


@dataclass(frozen=True)
class Column:
    key: str  # CSV header and JSON key (English, for machines)
    label: str  # table header (lazy: in the reader's language)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str  # lazy, like the note and the labels
    note: str  # how it is computed
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]  # values: str, int, float (rounded) or None (not shown: too few)
    enough: bool  # False: "Not enough data yet"
    computed_at: str  # ISO 8601, UTC

    def as_dict(self) -> dict:
        data = asdict(self)
        data["title"], data["note"] = str(self.title), str(self.note)
        data["columns"] = [c.key for c in self.columns]
        data["labels"] = [str(c.label) for c in self.columns]
        data["rows"] = [[str(v) if hasattr(v, "__html__") else v for v in r] for r in self.rows]
        data["min_sample"] = MIN_SAMPLE
        return data

    @property
    def table_rows(self) -> tuple[tuple, ...]:
        """The rows as the page's table shows them: dates in the reader's language (the ISO date in English, so the
        table reads as the downloads do), everything else as it is."""
        dates = [i for i, c in enumerate(self.columns) if c.key in DATE_COLUMNS]
        if not dates:
            return self.rows
        return tuple(
            tuple(
                format_day(dt.date.fromisoformat(v), "%Y-%m-%d") if i in dates and isinstance(v, str) else v
                for i, v in enumerate(row)
            )
            for row in self.rows
        )

    @property
    def computed_at_text(self) -> str:
        """When the figure was computed (UTC), in the reader's language: "May 4, 2026 at 14:05". The page writes the
        "UTC" after it (with its name for a screen reader), so the format's is left off."""
        at = dt.datetime.fromisoformat(self.computed_at)
        return format_day(at, "%B %-d, %Y at %H:%M UTC").removesuffix(" UTC")


def _days(seconds: float) -> float:
    return seconds / 86400


# --- (a) applications received per week ------------------------------------------------------------------------


def week_starts(now: dt.datetime, weeks: int = WEEKS) -> list[dt.datetime]:
    """The Mondays (00:00 UTC) starting the last `weeks` weeks, oldest first; the last is the current week."""
    monday = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(), dt.UTC) - dt.timedelta(
        days=now.astimezone(dt.UTC).weekday()
    )
    return [monday - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]


def applications_per_week(now: dt.datetime) -> Figure:
    starts = week_starts(now)
    week = dt.timedelta(weeks=1)
    # One conditional count per week in a single grouped query: portable, and it reads only the 26-week range.
    counts = [
        func.count(case((and_(Application.submitted_at >= s, Application.submitted_at < s + week), 1))) for s in starts
    ]
    found = {
        row[0]: row[1:]
        for row in replica.read(
            select(Application.program_id, *counts)
            .where(Application.submitted_at >= starts[0])
            .group_by(Application.program_id)
        ).all()
    }
    programs = list_programs()
    rows = tuple(
        (start.date().isoformat(), *(int(found.get(p.id, [0] * len(starts))[i]) for p in programs))
        for i, start in enumerate(starts)
    )
    return _dress("applications-per-week", ("week_starting", *(p.code for p in programs)), rows, now)


def _program_columns(keys: tuple[str, ...]) -> tuple[Column, ...]:
    """The week column, then one column per program code, labelled with the program's name (KeyError: a code no
    program has)."""
    names = {p.code: p.name for p in list_programs()}
    return (Column("week_starting", _l("Week starting")), *(Column(code, names[code]) for code in keys[1:]))


# --- (b) processing time ------------------------------------------------------------------------------------------


def _first_submission_and_decision():
    """Per application, its first "submitted" event and its first decision ("approved" or "denied") event."""
    at = StatusEvent.created_at
    return (
        select(
            StatusEvent.application_id.label("application_id"),
            func.min(case((StatusEvent.to_status == Status.SUBMITTED.value, at)), type_=at.type).label("submitted"),
            func.min(case((StatusEvent.to_status.in_(DECISIONS), at)), type_=at.type).label("decided"),
        )
        .where(StatusEvent.to_status.in_((Status.SUBMITTED.value, *DECISIONS)))
        .group_by(StatusEvent.application_id)
        .subquery()
    )


def processing_times(now: dt.datetime) -> dict[int, tuple[int, float | None, float | None]]:
    """program id -> (decisions, median days, 75th percentile days) for decisions in the last 365 days; the median
    and percentile are None below MIN_SAMPLE. Linear interpolation between ranks (PostgreSQL's percentile_cont, or
    Python's statistics.quantiles(method="inclusive"), as casework.stats uses): the two give the same answer."""
    pairs = _first_submission_and_decision()
    where = (pairs.c.submitted.is_not(None), pairs.c.decided >= now - LOOKBACK, pairs.c.decided >= pairs.c.submitted)
    joined = Application.__table__.join(pairs, pairs.c.application_id == Application.id)
    result: dict[int, tuple[int, float | None, float | None]] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        days = func.extract("epoch", pairs.c.decided - pairs.c.submitted) / 86400
        stmt = (
            select(
                Application.program_id,
                func.count(),
                func.percentile_cont(0.5).within_group(days),
                func.percentile_cont(0.75).within_group(days),
            )
            .select_from(joined)
            .where(*where)
            .group_by(Application.program_id)
        )
        for program_id, n, median, p75 in replica.read(stmt).all():
            enough = n >= MIN_SAMPLE
            result[program_id] = (n, float(median) if enough else None, float(p75) if enough else None)
        return result
    # SQLite (development and tests): the durations of a year's decisions, summarised here.
    durations: dict[int, list[float]] = {}
    stmt = select(Application.program_id, pairs.c.submitted, pairs.c.decided).select_from(joined).where(*where)
    for program_id, submitted, decided in replica.read(stmt).all():
        durations.setdefault(program_id, []).append(_days((decided - submitted).total_seconds()))
    for program_id, values in durations.items():
        if len(values) >= MIN_SAMPLE:
            quartiles = statistics.quantiles(values, n=4, method="inclusive")
            result[program_id] = (len(values), statistics.median(values), quartiles[2])
        else:
            result[program_id] = (len(values), None, None)
    return result


def processing_time(now: dt.datetime) -> Figure:
    times = processing_times(now)
    rows = []
    for program in list_programs():
        n, median, p75 = times.get(program.id, (0, None, None))
        rows.append((program.name, n, _round(median), _round(p75)))
    return _dress("processing-time", ("program", "decisions", "median_days", "p75_days"), tuple(rows), now)


# --- (c) days to the soonest appointment -------------------------------------------------------------------------


def soonest_appointment(now: dt.datetime) -> Figure:
    soonest: dict[int, dt.datetime] = {}
    for program in list_programs():
        for center_id, starts_at in soonest_by_center(program, since=now).items():
            if center_id not in soonest or starts_at < soonest[center_id]:
                soonest[center_id] = starts_at
    centers = db.session.scalars(select(EnrollmentCenter).where(EnrollmentCenter.operational.is_(True))).all()
    rows = []
    for center in centers:
        zone = ZoneInfo(center.tz_name)
        starts_at = soonest.get(center.id)
        if starts_at is None:
            rows.append((center.name, f"{center.city}, {center.state}", None, None))
            continue
        local = starts_at.astimezone(zone)
        days = (local.date() - now.astimezone(zone).date()).days
        rows.append((center.name, f"{center.city}, {center.state}", local.date().isoformat(), days))
    rows.sort(key=lambda r: (r[3] is None, r[3] if r[3] is not None else 0, r[0]))
    return _dress("soonest-appointment", ("center", "location", "soonest_date", "days"), tuple(rows), now)


# --- (d) satisfaction and trust -----------------------------------------------------------------------------------


SATISFACTION_COLUMNS = (
    "touchpoint",
    "responses",
    "satisfaction_answers",
    "satisfaction_pct_agree",
    "satisfaction_mean",
    "trust_answers",
    "trust_pct_agree",
    "trust_mean",
    "transactions",  # A-11 also reports the transaction volume and the people offered the survey (BRIEF.md 6)
    "offered",
    "response_rate",
)


def transaction_volumes(since: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """The transactions after which the survey is offered, from `since`: applications submitted, appointments
    attended (completed, by the appointment's time) and decisions (approved, denied or revoked, each time one was
    made)."""
    submitted = replica.read(select(func.count(Application.id)).where(Application.submitted_at >= since)).scalar_one()
    attended = replica.read(
        select(func.count(Appointment.id))
        .join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.status == "completed", Slot.starts_at >= since, Slot.starts_at < now)
    ).scalar_one()
    decided = replica.read(
        select(func.count(StatusEvent.id)).where(StatusEvent.to_status.in_(DECIDED), StatusEvent.created_at >= since)
    ).scalar_one()
    return {"submission": submitted, "appointment": attended, "decision": decided}


def survey_offers(since: dt.datetime) -> dict[str, int]:
    """How many were offered the survey at each touchpoint from `since` (the first showing of each invitation)."""
    rows = replica.read(
        select(SurveyOffer.touchpoint, func.count())
        .where(SurveyOffer.offered_at >= since)
        .group_by(SurveyOffer.touchpoint)
    ).all()
    return dict(rows)


def satisfaction_trust(now: dt.datetime) -> Figure:
    """Rows start with the touchpoint's code; _dress puts its name, in the reader's language, in its place. The
    response rate is the responses over the people offered the survey, in percent; none while fewer were offered
    than answered (responses from before offers were counted)."""
    since = now - LOOKBACK
    groups = {g.touchpoint: g for g in summarize(by_language=False, since=since)}
    volumes, offers = transaction_volumes(since, now), survey_offers(since)
    rows = []
    for touchpoint in TOUCHPOINTS:
        group = groups.get(touchpoint)
        responses = group.responses if group else 0
        row: list = [touchpoint, responses]
        for driver in ("satisfaction", "trust"):
            summary = group.drivers[driver] if group else None
            answers = summary.answers if summary else 0
            enough = answers >= MIN_SAMPLE
            row += [answers, _round(summary.pct_agree) if enough else None, _round(summary.mean, 2) if enough else None]
        offered = offers.get(touchpoint, 0)
        rate = _round(100 * responses / offered) if offered and responses <= offered else None
        row += [volumes[touchpoint], offered, rate]
        rows.append(tuple(row))
    return _dress("satisfaction-trust", SATISFACTION_COLUMNS, tuple(rows), now)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


FIGURES: dict[str, Callable[[dt.datetime], Figure]] = {
    "applications-per-week": applications_per_week,
    "processing-time": processing_time,
    "soonest-appointment": soonest_appointment,
    "satisfaction-trust": satisfaction_trust,
}


# --- how each figure reads: title, note and column labels in the reader's language ------------------------------

TITLES = {
    "applications-per-week": _l("Applications received per week"),
    "processing-time": _l("Processing time, from submission to decision"),
    "soonest-appointment": _l("Days to the soonest open appointment, by enrollment center"),
    "satisfaction-trust": _l("Satisfaction and trust (OMB Circular A-11 section 280 survey)"),
}
NOTES = {
    "applications-per-week": _l(
        "The number of applications submitted in each of the last %(weeks)s weeks, by program, counted on the "
        "day the application was submitted (paid and attested), not the day it was started. Weeks start on "
        "Monday at 00:00 Coordinated Universal Time (UTC); the last row is the current week so far. Withdrawn "
        "drafts are never submitted, so they are not counted. An application for both programs counts once in "
        "each. With fewer than %(n)s applications in the period the chart is not drawn.",
        weeks=WEEKS,
        n=MIN_SAMPLE,
    ),
    "processing-time": _l(
        'For every application decided in the last 365 days: the time from its first "submitted" status '
        'event to its first decision event ("approved" or "denied"), in days. It includes the time spent '
        "waiting for the traveler (answering a request for information, booking and attending the interview "
        "or enrollment visit). Half of the applications were decided within the median; three in four within "
        "the 75th percentile. A program with fewer than %(n)s decisions shows no figure. Reconsiderations and "
        "revocations are not counted again.",
        n=MIN_SAMPLE,
    ),
    "soonest-appointment": _l(
        "For each operational enrollment center: the first appointment, for either program, that starts late "
        "enough to book under the center's notice period and still has a free seat (the same rule as booking "
        "and the public availability page). Days are counted in the center's local time: 0 is today, 1 is "
        "tomorrow. A center with no open appointment in its published schedule shows none. The chart shows "
        "the %(n)s soonest and the %(n)s slowest centers; the table lists every center.",
        n=10,
    ),
    "satisfaction-trust": _l(
        "From the optional survey of the Office of Management and Budget (OMB) Circular A-11, offered after a "
        'submission, an appointment and a decision, over the last 365 days. Satisfaction: "I am satisfied '
        'with the service I received from Trusted Traveler." Trust: "This interaction increased my confidence '
        'in Trusted Traveler." Each is answered on a 5-point scale from 1 (strongly disagree) to 5 (strongly '
        'agree). "Agree" is the share answering 4 or 5; the mean is the average score. Fewer than %(n)s '
        "answers show no figure. Only answers given with the survey link from the invitation count, once per "
        "invitation. People who choose to answer are not a random sample. Transactions: the "
        "applications submitted, appointments attended and decisions made in the same 365 days. Offered the survey: "
        "the travelers shown the invitation on their page after that transaction (each counted once). The response "
        "rate is the responses over the people offered the survey; it is not shown while fewer were offered than "
        "answered, as for answers given before offers were counted.",
        n=MIN_SAMPLE,
    ),
}
LABELS = {
    "program": _l("Program"),
    "decisions": _l("Decisions"),
    "median_days": _l("Median (days)"),
    "p75_days": _l("75th percentile (days)"),
    "center": _l("Enrollment center"),
    "location": _l("City"),
    "soonest_date": _l("Soonest opening (local date)"),
    "days": _l("Days away"),
    "touchpoint": _l("When"),
    "responses": _l("Responses"),
    "satisfaction_answers": _l("Satisfaction answers"),
    "satisfaction_pct_agree": _l("Satisfaction: agree (%)"),
    "satisfaction_mean": _l("Satisfaction: mean (1–5)"),
    "trust_answers": _l("Trust answers"),
    "trust_pct_agree": _l("Trust: agree (%)"),
    "trust_mean": _l("Trust: mean (1–5)"),
    "transactions": _l("Transactions"),
    "offered": _l("Offered the survey"),
    "response_rate": _l("Response rate (%)"),
}
ENOUGH: dict[str, Callable[[tuple[tuple, ...]], bool]] = {
    "applications-per-week": lambda rows: sum(sum(r[1:]) for r in rows) >= MIN_SAMPLE,
    "processing-time": lambda rows: any(r[2] is not None for r in rows),
    "soonest-appointment": lambda rows: any(r[3] is not None for r in rows),
    "satisfaction-trust": lambda rows: any(r[3] is not None or r[6] is not None for r in rows),
}


def _dress(key: str, columns: tuple[str, ...] | list[str], rows, computed_at: dt.datetime) -> Figure:
    """A figure from its column keys and plain rows (as computed, or as stored in JSON), with its words in the
    reader's language: the same for a figure computed now and one the worker stored."""
    columns = tuple(columns)
    rows = tuple(tuple(r) for r in rows)
    if key == "applications-per-week":
        labelled = _program_columns(columns)
    else:
        labelled = tuple(Column(c, LABELS[c]) for c in columns)
    if key == "satisfaction-trust":
        rows = tuple((_l(TOUCHPOINT_LABELS[r[0]]), *r[1:]) for r in rows)
    return Figure(
        key=key,
        title=TITLES[key],
        note=NOTES[key],
        columns=labelled,
        rows=rows,
        enough=ENOUGH[key](rows),
        computed_at=computed_at.isoformat(timespec="seconds"),
    )


# --- stored by the worker, and the cache ----------------------------------------------------------------------------

cache = TTLCache()  # trusted_traveler/caching.py
_REFRESH_LOCK = 0x7474_6467  # PostgreSQL advisory lock: one worker of several replaces the figures at a time


def refresh_dashboard_figures(now: dt.datetime, *, unless_fresher_than: dt.timedelta | None = None) -> int:
    """Compute every figure and store it (replacing the last); the workers run it every five minutes. Returns the
    number of figures stored: 0 when, with `unless_fresher_than`, another worker stored them that recently or is
    storing them now (it does not wait for that one: its e-mail would wait too)."""
    if db.session.get_bind().dialect.name == "postgresql":  # SQLite runs one worker (cli._single_sqlite_worker)
        locked = db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _REFRESH_LOCK})
        if not locked and unless_fresher_than is not None:
            return 0
        if not locked:  # by hand (seed-synthetic): wait for the worker's turn to end
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REFRESH_LOCK})
    if unless_fresher_than is not None:
        last, stored = db.session.execute(select(func.min(DashboardFigure.computed_at), func.count())).one()
        if stored == len(FIGURES) and last is not None and now - last < unless_fresher_than:
            return 0
    for key, compute in FIGURES.items():
        fig = compute(now)
        columns, rows = [c.key for c in fig.columns], [list(r) for r in _plain_rows(key, fig.rows)]
        db.session.merge(DashboardFigure(key=key, columns=columns, rows=rows, computed_at=now))
    db.session.flush()
    cache.clear()
    return len(FIGURES)


def _plain_rows(key: str, rows: tuple[tuple, ...]) -> tuple[tuple, ...]:
    """The rows as JSON keeps them: the satisfaction rows' touchpoint back to its code."""
    if key != "satisfaction-trust":
        return rows
    return tuple((touchpoint, *r[1:]) for touchpoint, r in zip(TOUCHPOINTS, rows, strict=True))


def _stored(key: str, now: dt.datetime) -> Figure | None:
    """The figure as the worker stored it; None when there is none, when it is older than STALE_AFTER (no worker is
    refreshing them) or when it does not fit this release's figure (stored by another version during a deploy)."""
    found = db.session.get(DashboardFigure, key)
    if found is None:
        return None
    if now - found.computed_at > STALE_AFTER:
        log.warning("dashboard figure %s was stored at %s: is the worker running?", key, found.computed_at.isoformat())
        return None
    try:
        return _dress(key, found.columns, found.rows, found.computed_at)
    except (KeyError, IndexError, TypeError):
        log.warning("dashboard figure %s as stored does not fit this release: computed instead", key)
        return None


def figure(key: str, *, now: dt.datetime | None = None) -> Figure:
    """The figure the worker stored (read again after STORED_CACHE_SECONDS) or, when there is none fresh, computed
    here (at `now`) and kept PERFORMANCE_CACHE_SECONDS. KeyError: no such figure."""
    compute = FIGURES[key]
    stored = cache.get(("stored", key), STORED_CACHE_SECONDS, lambda: _stored(key, utcnow()))
    if stored is not None:
        return stored
    seconds = current_app.config.get("PERFORMANCE_CACHE_SECONDS", CACHE_SECONDS)
    return cache.get(key, seconds, lambda: compute(now or utcnow()))


def all_figures(*, now: dt.datetime | None = None) -> list[Figure]:
    return [figure(key, now=now) for key in FIGURES]
