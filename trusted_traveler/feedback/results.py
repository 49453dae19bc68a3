"""Survey results: how many answered each item with each score, by touchpoint and language, counted by the database
in one grouped query (the JSON scores are read with SQLAlchemy's portable JSON index, so it runs on SQLite and
PostgreSQL alike). Only responses given with an invitation (`FeedbackResponse.invited`) count, here and on the public
dashboard: those posted before invitations existed (migration 0024) are kept but not counted. Read-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from trusted_traveler.extensions import db
from trusted_traveler.feedback.models import FeedbackResponse
from trusted_traveler.feedback.service import AGREE, DRIVERS, SCALE


@dataclass(frozen=True)
class DriverSummary:
    counts: tuple[int, ...]  # how many answered 1, 2, 3, 4, 5

    @property
    def answers(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        if not self.answers:
            return None
        return sum(score * n for score, n in zip(SCALE, self.counts, strict=True)) / self.answers

    @property
    def pct_agree(self) -> float | None:
        """Share of answers that agree or strongly agree (4 or 5), in percent."""
        if not self.answers:
            return None
        return 100 * sum(self.counts[score - 1] for score in AGREE) / self.answers


@dataclass
class GroupSummary:
    touchpoint: str
    language: str | None  # None: every language together
    responses: int = 0
    drivers: dict[str, DriverSummary] = field(default_factory=dict)


def _score_columns():
    return [
        func.count(case((FeedbackResponse.scores[driver].as_integer() == score, 1)))
        for driver in DRIVERS
        for score in SCALE
    ]


def summarize(*, by_language: bool = True, since: dt.datetime | None = None) -> list[GroupSummary]:
    """One summary per touchpoint (and language, when `by_language`), in touchpoint then language order."""
    keys = [FeedbackResponse.touchpoint] + ([FeedbackResponse.language] if by_language else [])
    stmt = (
        select(*keys, func.count(FeedbackResponse.id), *_score_columns())
        .where(FeedbackResponse.invited.is_(True))
        .group_by(*keys)
        .order_by(*keys)
    )
    if since is not None:
        stmt = stmt.where(FeedbackResponse.created_at >= since)
    groups = []
    for row in db.session.execute(stmt).all():
        touchpoint, language = row[0], (row[1] if by_language else None)
        counts = row[len(keys) + 1 :]
        group = GroupSummary(touchpoint, language, responses=row[len(keys)])
        width = len(SCALE)
        for i, driver in enumerate(DRIVERS):
            group.drivers[driver] = DriverSummary(tuple(counts[i * width : (i + 1) * width]))
        groups.append(group)
    return groups


def recent_comments(limit: int = 20) -> list[FeedbackResponse]:
    """The latest responses with free text, newest first."""
    return list(
        db.session.scalars(
            select(FeedbackResponse)
            .where(FeedbackResponse.free_text.is_not(None), FeedbackResponse.invited.is_(True))
            .order_by(FeedbackResponse.created_at.desc(), FeedbackResponse.id.desc())
            .limit(limit)
        )
    )


def uninvited_count() -> int:
    """How many responses are kept but not counted: posted before invitations were needed (migration 0024)."""
    return db.session.scalar(select(func.count(FeedbackResponse.id)).where(FeedbackResponse.invited.is_(False)))


CSV_COLUMNS = (
    "touchpoint",
    "language",
    "driver",
    "responses",
    "answers",
    "mean",
    "pct_agree",
    "strongly_disagree_1",
    "disagree_2",
    "neutral_3",
    "agree_4",
    "strongly_agree_5",
)


def csv_rows(groups: list[GroupSummary]) -> list[list]:
    """One row per touchpoint, language and driver, in CSV_COLUMNS order (means and percentages to 1 decimal)."""
    rows = []
    for group in groups:
        for driver, summary in group.drivers.items():
            rows.append(
                [
                    group.touchpoint,
                    group.language or "all",
                    driver,
                    group.responses,
                    summary.answers,
                    _round(summary.mean, 2),
                    _round(summary.pct_agree, 1),
                    *summary.counts,
                ]
            )
    return rows


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
