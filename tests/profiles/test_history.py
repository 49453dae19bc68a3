"""The gap detector names every month of the last five years (or, for someone younger, since their birth) that no
period covers."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from trusted_traveler.profiles.history import add_months, find_gaps

TODAY = dt.date(2026, 11, 22)


def test_one_period_to_the_present_covering_five_years_leaves_no_gap():
    assert find_gaps([(dt.date(2020, 1, 1), None)], today=TODAY) == []


def test_the_window_starts_in_the_same_month_five_years_ago():
    gaps = find_gaps([(dt.date(2021, 12, 1), None)], today=TODAY)
    assert [g.describe() for g in gaps] == ["November 2021"]


def test_a_missing_stretch_between_two_periods_is_named_by_its_months():
    periods = [(dt.date(2019, 1, 1), dt.date(2023, 2, 1)), (dt.date(2023, 6, 1), None)]
    (gap,) = find_gaps(periods, today=TODAY)
    assert gap.describe() == "March 2023 to May 2023"
    assert gap.months == 3


def test_a_history_that_stops_before_today_has_a_gap_up_to_this_month():
    (gap,) = find_gaps([(dt.date(2018, 1, 1), dt.date(2026, 8, 1))], today=TODAY)
    assert gap.describe() == "September 2026 to November 2026"


def test_overlapping_periods_count_once_and_nothing_is_empty():
    assert find_gaps([], today=TODAY)[0].months == 61
    overlapping = [(dt.date(2020, 1, 1), dt.date(2024, 1, 1)), (dt.date(2023, 1, 1), None)]
    assert find_gaps(overlapping, today=TODAY) == []


def test_a_two_year_old_accounts_only_for_the_months_since_their_birth():
    born = dt.date(2024, 11, 3)
    assert find_gaps([(dt.date(2024, 11, 1), None)], today=TODAY, born=born) == []
    (gap,) = find_gaps([(dt.date(2025, 2, 1), None)], today=TODAY, born=born)
    assert gap.describe() == "November 2024 to January 2025"


def test_someone_born_before_the_window_still_accounts_for_five_years():
    gaps = find_gaps([(dt.date(2021, 12, 1), None)], today=TODAY, born=dt.date(1990, 5, 17))
    assert [g.describe() for g in gaps] == ["November 2021"]


def test_a_baby_born_this_month_accounts_for_this_month_only():
    (gap,) = find_gaps([], today=TODAY, born=dt.date(2026, 11, 2))
    assert gap.describe() == "November 2026"
    assert find_gaps([(dt.date(2026, 11, 1), None)], today=TODAY, born=dt.date(2026, 11, 2)) == []


months = st.integers(min_value=0, max_value=70).map(lambda n: add_months(dt.date(2021, 1, 1), n))


@given(st.lists(st.tuples(months, st.one_of(st.none(), months)), max_size=6))
def test_gaps_and_periods_together_cover_every_month_exactly(periods):
    periods = [(a, b) for a, b in periods if b is None or b >= a]
    gaps = find_gaps(periods, today=TODAY)
    start, end = add_months(dt.date(2026, 11, 1), -60), dt.date(2026, 11, 1)
    in_gap = {add_months(g.start, i) for g in gaps for i in range(g.months)}
    month = start
    while month <= end:
        covered = any(a <= month and (b is None or month <= b) for a, b in periods)
        assert covered != (month in in_gap), month
        month = add_months(month, 1)
