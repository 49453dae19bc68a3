"""Five-year address and employment histories: periods are (from month, to month or present), and the months they
leave uncovered are computed, never stored. A person younger than five years accounts only for the months since
their birth. Pure functions, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

LOOKBACK_YEARS = 5


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + (month.month - 1) + count
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Gap:
    start: dt.date  # first uncovered month
    end: dt.date  # last uncovered month (inclusive)

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def describe(self) -> str:
        first = self.start.strftime("%B %Y")
        return first if self.start == self.end else f"{first} to {self.end.strftime('%B %Y')}"


def window(today: dt.date, years: int = LOOKBACK_YEARS, *, born: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The months a history must cover: from the same month `years` ago, or from the month of birth (`born`) when
    that is later, through this month."""
    this_month = first_of_month(today)
    start = add_months(this_month, -12 * years)
    if born is not None:
        start = min(max(start, first_of_month(born)), this_month)
    return start, this_month


def find_gaps(
    periods: Iterable[tuple[dt.date, dt.date | None]],
    *,
    today: dt.date,
    years: int = LOOKBACK_YEARS,
    born: dt.date | None = None,
) -> list[Gap]:
    """The runs of months in the look-back window (which starts no earlier than the month of birth, `born`, when
    known) that no period covers. `to` None means "to the present"."""
    start, end = window(today, years, born=born)
    covered: set[dt.date] = set()
    for frm, to in periods:
        month = max(first_of_month(frm), start)
        last = min(first_of_month(to) if to else end, end)
        while month <= last:
            covered.add(month)
            month = add_months(month, 1)
    gaps: list[Gap] = []
    month, run_start = start, None
    while month <= end:
        if month not in covered and run_start is None:
            run_start = month
        if month in covered and run_start is not None:
            gaps.append(Gap(run_start, add_months(month, -1)))
            run_start = None
        month = add_months(month, 1)
    if run_start is not None:
        gaps.append(Gap(run_start, end))
    return gaps
