"""Typical time per step: the median and 75th percentile of how long recent applications stayed in each status,
the same on SQLite (in Python) and PostgreSQL (in the database); computed hourly by the worker into typical_times,
which pages read."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_application
from trusted_traveler.casework import stats
from trusted_traveler.casework.models import StatusEvent, TypicalTimeFigure
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db

pytestmark = pytest.mark.usefixtures("app_ctx")


def _stayed(days: list[float]) -> int:
    """Applications that each stayed `d` days in 'submitted' before moving on, ending a week ago."""
    left = utcnow() - dt.timedelta(days=7)
    program_id = None
    for n, d in enumerate(days):
        application = create_application("precheck")
        program_id = application.program_id
        db.session.add_all(
            [
                StatusEvent(application=application, from_status="draft", to_status="submitted",
                            created_at=left - dt.timedelta(days=d, minutes=n)),
                StatusEvent(application=application, from_status="submitted", to_status="enrollment_scheduled",
                            created_at=left - dt.timedelta(minutes=n)),
            ]
        )  # fmt: skip
    db.session.flush()
    return program_id


def test_median_and_75th_percentile_of_the_days_spent_in_a_status():
    program_id = _stayed([1, 2, 3, 4, 5, 6])
    figure = stats.typical_times(program_id, now=utcnow())["submitted"]
    assert figure.sample == 6
    assert figure.median_days == pytest.approx(3.5, abs=0.01)
    assert figure.p75_days == pytest.approx(4.75, abs=0.01)
    assert figure.describe() == "usually 4 to 5 days"


def test_fewer_than_five_cases_give_no_figure_rather_than_a_misleading_one():
    program_id = _stayed([1, 2, 3, 4])
    assert "submitted" not in stats.typical_times(program_id, now=utcnow())


def test_the_figure_for_now_is_computed_once_an_hour_not_on_every_status_page():
    program_id = _stayed([1, 2, 3, 4, 5])
    first = stats.typical_times(program_id)
    _stayed([30, 30, 30, 30, 30])
    assert stats.typical_times(program_id) is first  # cached
    assert stats.typical_times(program_id, now=utcnow())["submitted"].sample == 10  # an explicit time is fresh


def test_pages_read_the_figures_the_worker_stored_not_the_status_events():
    program_id = _stayed([1, 2, 3, 4, 5, 6])
    assert stats.refresh_typical_times(utcnow()) >= 1
    stored = db.session.scalar(
        select(TypicalTimeFigure).where(
            TypicalTimeFigure.program_id == program_id, TypicalTimeFigure.status == "submitted"
        )
    )
    assert (stored.sample, round(stored.median_days, 2)) == (6, 3.5)
    _stayed([30, 30, 30, 30, 30])  # not seen until the next refresh
    figure = stats.typical_times(program_id)["submitted"]
    assert (figure.sample, figure.describe()) == (6, "usually 4 to 5 days")
    stats.refresh_typical_times(utcnow())  # the next hour: replaced, and this worker reads them at once
    assert stats.typical_times(program_id)["submitted"].sample == 11
    assert len(db.session.scalars(select(TypicalTimeFigure).where(TypicalTimeFigure.status == "submitted")).all()) == 1


def test_before_the_first_refresh_a_page_computes_the_figures_itself():
    program_id = _stayed([1, 2, 3, 4, 5])
    assert db.session.scalar(select(TypicalTimeFigure)) is None
    assert stats.typical_times(program_id)["submitted"].sample == 5


def test_the_command_computes_and_stores_the_figures(app):
    _stayed([1, 2, 3, 4, 5, 6])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["refresh-typical-times"])
    stored = db.session.scalars(select(TypicalTimeFigure)).all()
    assert result.exit_code == 0 and f"Stored {len(stored)} typical-time figures." in result.output
    assert {f.status: f.sample for f in stored}["submitted"] == 6


def test_a_second_worker_within_the_hour_leaves_the_fresh_figures_alone():
    program_id = _stayed([1, 2, 3, 4, 5, 6])
    assert stats.refresh_typical_times(utcnow()) >= 1
    _stayed([30, 30, 30, 30, 30])
    assert stats.refresh_typical_times(utcnow(), unless_fresher_than=dt.timedelta(minutes=50)) == 0
    assert stats.typical_times(program_id)["submitted"].sample == 6
    later = utcnow() + dt.timedelta(hours=1)
    assert stats.refresh_typical_times(later, unless_fresher_than=dt.timedelta(minutes=50)) >= 1


def test_a_step_that_began_before_the_year_counts_in_full_and_one_that_ended_before_it_not_at_all():
    now = utcnow()

    def moved(entered_days_ago: int, left_days_ago: int) -> int:
        application = create_application("precheck")
        application.status_entered_at = now - dt.timedelta(days=left_days_ago)  # its last move, as transitions stamp
        db.session.add_all(
            [
                StatusEvent(application=application, from_status="draft", to_status="submitted",
                            created_at=now - dt.timedelta(days=entered_days_ago)),
                StatusEvent(application=application, from_status="submitted", to_status="enrollment_scheduled",
                            created_at=now - dt.timedelta(days=left_days_ago)),
            ]
        )  # fmt: skip
        return application.program_id

    for _ in range(5):
        program_id = moved(entered_days_ago=400, left_days_ago=10)  # submitted for 390 days, the last 10 in the year
    for _ in range(5):
        moved(entered_days_ago=800, left_days_ago=500)  # all of it longer ago than a year
    db.session.flush()
    figure = stats.typical_times(program_id, now=now)["submitted"]
    assert (figure.sample, round(figure.median_days)) == (5, 390)
