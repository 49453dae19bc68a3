"""The public performance dashboard: figures computed from known data (weekly counts, median and 75th percentile
processing times, days to the soonest appointment, A-11 agreement), the same numbers in the table, the CSV and the
JSON, a short cache, and no error on an empty database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import (
    create_account,
    create_application,
    create_officer,
    create_profile,
    open_day,
    sign_in,
    survey_invitation,
)
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.references import new_reference
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.extensions import db
from trusted_traveler.feedback import performance
from trusted_traveler.feedback.models import DashboardFigure
from trusted_traveler.feedback.service import record_response as record_invited
from trusted_traveler.payments import service as payments
from trusted_traveler.programs.service import get_program
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots

DAY = dt.timedelta(days=1)


def record_response(touchpoint, **kwargs):
    """A response given with the invitation a traveler was offered."""
    return record_invited(touchpoint, invitation=survey_invitation(touchpoint), **kwargs)


@pytest.fixture(autouse=True)
def _empty_cache():
    performance.cache.clear()
    yield
    performance.cache.clear()


def application(profile, program: str, *, submitted_at, decided_at=None, outcome="approved", events=()):
    """A closed (or submitted) application whose status events happened at the given times."""
    decided = decided_at is not None
    record = Application(
        reference=new_reference(),
        profile_id=profile.id,
        program_id=get_program(program).id,
        status=outcome if decided else "withdrawn",  # closed either way: one profile can hold many
        submitted_at=submitted_at,
        decided_at=decided_at,
    )
    db.session.add(record)
    db.session.flush()
    moves = [("draft", "submitted", submitted_at)] + ([("in_vetting", outcome, decided_at)] if decided else [])
    for before, after, at in [*moves, *events]:
        db.session.add(StatusEvent(application_id=record.id, from_status=before, to_status=after, created_at=at))
    db.session.flush()
    return record


class Tables(HTMLParser):
    """Each <table data-testid=...>'s rows as lists of cell texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("data-testid", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_applications_received_per_week_by_program_over_26_weeks(app_ctx):
    """Counted by the week of submission (Mondays, UTC); the current week is the last row; older ones drop out."""
    now = utcnow()
    weeks = performance.week_starts(now)
    profile = create_profile()
    application(profile, "precheck", submitted_at=weeks[-1] + dt.timedelta(minutes=1))
    application(profile, "precheck", submitted_at=weeks[-1] + dt.timedelta(minutes=2))
    application(profile, "precheck", submitted_at=weeks[-1] + dt.timedelta(minutes=3))
    application(profile, "global_entry", submitted_at=weeks[-4] + 3 * DAY)
    application(profile, "precheck", submitted_at=weeks[0])  # the first instant counted
    application(profile, "precheck", submitted_at=weeks[0] - dt.timedelta(seconds=1))  # 27 weeks ago
    figure = performance.applications_per_week(now)
    assert [c.key for c in figure.columns] == ["week_starting", "precheck", "global_entry"]
    assert len(figure.rows) == 26 and weeks[-1].weekday() == 0
    assert figure.rows[-1] == (weeks[-1].date().isoformat(), 3, 0)
    assert figure.rows[-4] == (weeks[-4].date().isoformat(), 0, 1)
    assert figure.rows[0] == (weeks[0].date().isoformat(), 1, 0)
    assert sum(sum(row[1:]) for row in figure.rows) == 5
    assert figure.enough  # five applications: enough to draw


def test_processing_time_is_the_median_and_75th_percentile_from_submission_to_decision(app_ctx):
    """From the first "submitted" event to the first approval or denial, over the last 365 days; a program with
    fewer than five decisions shows no figure."""
    now = utcnow()
    profile = create_profile()
    for days, outcome in ((1, "approved"), (2, "denied"), (3, "approved"), (4, "approved"), (10, "denied")):
        start = now - 30 * DAY
        application(profile, "precheck", submitted_at=start, decided_at=start + days * DAY, outcome=outcome)
    start = now - 60 * DAY
    application(  # cleared back to "submitted" after review, and decided again on reconsideration: first ones count
        profile,
        "precheck",
        submitted_at=start,
        decided_at=start + 3 * DAY,
        outcome="denied",
        events=[("officer_review", "submitted", start + DAY), ("officer_review", "approved", start + 50 * DAY)],
    )
    application(profile, "precheck", submitted_at=now - 500 * DAY, decided_at=now - 400 * DAY)  # over a year ago
    application(profile, "precheck", submitted_at=now - 5 * DAY)  # not decided yet
    for _ in range(4):
        application(profile, "global_entry", submitted_at=now - 20 * DAY, decided_at=now - 15 * DAY)
    times = performance.processing_times(now)
    precheck, global_entry = get_program("precheck").id, get_program("global_entry").id
    n, median, p75 = times[precheck]
    assert n == 6  # durations 1, 2, 3, 3, 4, 10
    assert median == pytest.approx(3.0)
    assert p75 == pytest.approx(3.75)  # linear between the 4th (3) and 5th (4) of six
    assert times[global_entry] == (4, None, None)
    figure = performance.processing_time(now)
    assert figure.rows == (("TSA PreCheck", 6, 3.0, 3.8), ("Global Entry", 4, None, None))
    assert '"submitted" status event' in figure.note and figure.enough


def test_days_to_the_soonest_open_appointment_by_center(app_ctx):
    """Counted in the center's local days from today, from the first slot with a free seat; centers without
    openings are listed last, with none."""
    now = utcnow()
    centers = db.session.scalars(
        select(EnrollmentCenter).where(EnrollmentCenter.operational.is_(True)).order_by(EnrollmentCenter.id)
    ).all()
    first, second = centers[0], centers[1]
    full_day = open_day(first, service_today() + 3 * DAY)
    next_day = open_day(first, full_day + DAY)
    for slot in db.session.scalars(select(Slot).where(Slot.center_id == first.id)):
        if slot.starts_at.astimezone(ZoneInfo(first.tz_name)).date() == full_day:
            slot.booked = slot.capacity  # the first open day is fully booked: the next one counts
    other_day = open_day(second, service_today() + 10 * DAY)
    db.session.flush()

    def days_from_today(center, day):
        return (day - now.astimezone(ZoneInfo(center.tz_name)).date()).days

    figure = performance.soonest_appointment(now)
    by_name = {row[0]: row for row in figure.rows}
    assert by_name[first.name][2:] == (next_day.isoformat(), days_from_today(first, next_day))
    assert by_name[second.name][2:] == (other_day.isoformat(), days_from_today(second, other_day))
    opened = [row for row in figure.rows if row[3] is not None]
    assert len(opened) == 2 and list(figure.rows[:2]) == sorted(opened, key=lambda r: r[3])
    assert all(row[2] is None and row[3] is None for row in figure.rows[2:])
    assert len(figure.rows) == len(centers)


def test_satisfaction_and_trust_show_agreement_and_mean_by_touchpoint_from_five_answers(app_ctx):
    """Agreement is 4 or 5; fewer than five answers to a statement show no figure."""
    for satisfaction, trust in ((5, 5), (5, 4), (4, None), (2, None), (1, None)):
        record_response("submission", scores={"satisfaction": satisfaction, "trust": trust})
    record_response("decision", scores={"satisfaction": 5})
    figure = performance.satisfaction_trust(utcnow())
    submission, appointment, decision = figure.rows
    assert submission[:8] == ("After submitting an application", 5, 5, 60.0, 3.4, 2, None, None)
    assert appointment[:8] == ("After an appointment", 0, 0, None, None, 0, None, None)
    assert decision[:8] == ("After a decision", 1, 1, None, None, 0, None, None)
    assert figure.enough


def test_the_survey_figure_counts_transactions_people_offered_the_survey_and_the_response_rate(app, client):
    """A-11 reports the transaction volume and the people offered the survey beside the responses (BRIEF.md 6).
    An offer counts once, however often its page is seen, and so does its answer; answers sent without an
    invitation count nowhere."""
    with app.app_context():
        decided = create_application("global_entry", profile=create_profile(create_account("ada@example.com")))
        casework.attest(decided, by=decided.profile.account)
        payments.record_completed_payment(decided, gateway="test", reference=decided.reference, by=None)
        casework.submit(decided, by=decided.profile.account)
        casework.record_interview(decided, by=create_officer(), documents_verified=True, biometrics_captured=True)
        casework.approve(decided, by=create_officer("second.officer@example.com"), today=service_today())
        waiting = create_application("precheck", profile=create_profile(create_account("bo@example.com")))
        casework.attest(waiting, by=waiting.profile.account)
        payments.record_completed_payment(waiting, gateway="test", reference=waiting.reference, by=None)
        casework.submit(waiting, by=waiting.profile.account)
        db.session.commit()
        references = decided.reference, waiting.reference

    link = re.compile(r'href="/feedback/(\w+)\?invitation=([\w-]+)')
    sign_in(client, "ada@example.com")
    for _ in range(3):  # the decided traveler looks at the page three times: offered the decision survey once
        [(_, decision_token)] = link.findall(client.get(f"/applications/{references[0]}").get_data(as_text=True))
    # the confirmation page offers the submission survey
    [(_, submission_token)] = link.findall(client.get(f"/submitted?refs={references[0]}").get_data(as_text=True))
    sign_in(client, "bo@example.com")
    assert "/feedback/decision" not in client.get(f"/applications/{references[1]}").get_data(as_text=True)
    for _ in range(6):  # stuffing without an invitation, and the decided traveler's link twice: one answer counts
        client.post("/feedback/decision", data={"satisfaction": "5", "trust": "5"})
    for satisfaction in ("5", "4"):
        client.post("/feedback/decision", data={"satisfaction": satisfaction, "invitation": decision_token})
    with app.app_context():
        figure = performance.satisfaction_trust(utcnow())
    submission, appointment, decision = (row[-3:] for row in figure.rows)
    assert submission == (2, 1, 0.0)  # two submitted, one offered the survey, nobody answered
    assert appointment == (0, 0, None)
    assert decision == (1, 1, 100.0)  # one decision, one offer, one answer
    assert figure.rows[2][:3] == ("After a decision", 1, 1)
    assert [c.key for c in figure.columns][-3:] == ["transactions", "offered", "response_rate"]
    client.post("/feedback/submission", data={"trust": "5", "invitation": submission_token})
    with app.app_context():
        assert performance.satisfaction_trust(utcnow()).rows[0][-3:] == (2, 1, 100.0)


def test_an_empty_database_shows_not_enough_data_yet_never_an_error(client):
    """Every figure says so; the tables, CSV and JSON still answer."""
    response = client.get("/dashboard/performance")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for key in performance.FIGURES:
        assert f'data-testid="not-enough-{key}"' in page
        assert f'data-testid="table-{key}"' in page
        assert f'data-testid="note-{key}"' in page
        assert client.get(f"/dashboard/performance/{key}.csv").status_code == 200
    assert "Not enough data yet." in page and "at least 5 cases" in page
    data = client.get("/dashboard/performance.json").get_json()
    assert set(data["figures"]) == set(performance.FIGURES)
    assert all(not f["enough"] for f in data["figures"].values())


def test_the_dashboard_is_public_and_linked_from_home_and_every_footer(client):
    """No sign-in; the home page and the footer link to it."""
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/dashboard/performance"') == 2
    assert client.get("/dashboard/performance").status_code == 200
    assert client.get("/dashboard/performance/no-such-figure.csv").status_code == 404


@pytest.fixture
def known_data(app):
    with app.app_context():
        now = utcnow()
        profile = create_profile()
        for days in (1, 2, 3, 4, 10):
            application(profile, "precheck", submitted_at=now - 20 * DAY, decided_at=now - (20 - days) * DAY)
        for score in (5, 4, 4, 3, 1):
            record_response("appointment", scores={"satisfaction": score, "trust": score})
        generate_slots(db.session.get(EnrollmentCenter, 8001), start=service_today() + 3 * DAY, days=7)
        db.session.commit()


def test_the_table_the_csv_and_the_json_carry_the_same_numbers(client, known_data):
    """For every figure: same columns, same rows, same values; a value not shown is empty in the CSV and null in
    the JSON."""
    page = client.get("/dashboard/performance").get_data(as_text=True)
    tables = Tables(page).tables
    data = client.get("/dashboard/performance.json").get_json()["figures"]
    for key, figure in data.items():
        assert f'data-testid="chart-{key}"' in page
        parsed = list(csv.reader(io.StringIO(client.get(f"/dashboard/performance/{key}.csv").get_data(as_text=True))))
        header, rows = parsed[0], parsed[1:]
        table = tables[f"table-{key}"]
        assert header == figure["columns"]
        assert table[0] == figure["labels"]
        assert len(rows) == len(figure["rows"]) == len(table) - 1
        for json_row, csv_row, html_row in zip(figure["rows"], rows, table[1:], strict=True):
            for value, csv_value, cell in zip(json_row, csv_row, html_row, strict=True):
                if value is None:
                    assert csv_value == "" and cell in ("Too few to show", "No openings")
                else:
                    assert str(value) == csv_value == cell
    assert data["processing-time"]["rows"][0] == ["TSA PreCheck", 5, 3.0, 4.0]
    assert data["satisfaction-trust"]["rows"][1][:5] == ["After an appointment", 5, 5, 60.0, 3.4]
    assert data["soonest-appointment"]["rows"][0][3] >= 3


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote(client, app):
    """A center's name and city are typed by an administrator: in the CSV, one a spreadsheet would run as a formula
    (CSV injection), even after a space, starts with a single quote; the JSON keeps it as it is."""
    name = '=HYPERLINK("http://evil.example","Book now")'
    with app.app_context():
        center = db.session.scalars(
            select(EnrollmentCenter).where(EnrollmentCenter.operational.is_(True)).order_by(EnrollmentCenter.id)
        ).first()
        center_id, seeded, state = center.id, (center.name, center.city), center.state
        center.name, center.city = name, " @SUM(1)"
        db.session.commit()
    try:
        download = client.get("/dashboard/performance/soonest-appointment.csv").get_data(as_text=True)
        (row,) = [r for r in csv.reader(io.StringIO(download)) if "HYPERLINK" in r[0]]
        assert row[:2] == [f"'{name}", f"' @SUM(1), {state}"]
        rows = client.get("/dashboard/performance.json").get_json()["figures"]["soonest-appointment"]["rows"]
        assert [name, f" @SUM(1), {state}"] in [r[:2] for r in rows]
    finally:  # the seeded center as it was, for the tests after this one (no audit event marks it edited)
        with app.app_context():
            center = db.session.get(EnrollmentCenter, center_id)
            center.name, center.city = seeded
            db.session.commit()


def weekly_total(client) -> int:
    rows = client.get("/dashboard/performance.json").get_json()["figures"]["applications-per-week"]["rows"]
    return sum(sum(row[1:]) for row in rows)


def test_figures_are_cached_for_a_few_minutes_then_recomputed(client, app):
    """Before the worker stored any: a new application shows once the cached figure expires (here: when the cache
    is emptied)."""
    assert weekly_total(client) == 0
    with app.app_context():
        application(create_profile(), "precheck", submitted_at=utcnow())
        db.session.commit()
    assert weekly_total(client) == 0  # still the cached figure
    performance.cache.clear()
    assert weekly_total(client) == 1


def test_the_cache_keeps_an_entry_for_its_time_to_live_only():
    """Entries expire after the given seconds, per key."""
    clock = [100.0]
    cache = performance.TTLCache(clock=lambda: clock[0])
    assert cache.get("a", 300, lambda: 1) == 1
    clock[0] += 299
    assert cache.get("a", 300, lambda: 2) == 1
    assert cache.get("b", 300, lambda: "other") == "other"
    clock[0] += 2
    assert cache.get("a", 300, lambda: 3) == 3


def test_the_cache_holds_at_most_maxsize_entries_dropping_the_oldest():
    """Keys a caller chooses (an as_of date in the public eligibility check, say) cannot grow it without bound."""
    cache = performance.TTLCache(maxsize=3)
    for key in "abcd":
        cache.get(key, 300, lambda key=key: key.upper())
    assert cache.get("a", 300, lambda: "again") == "again"  # "a" was the oldest: dropped for "d"
    assert cache.get("d", 300, lambda: "new") == "D"
    assert len(cache._entries) == 3


# --- figures the worker stored ---------------------------------------------------------------------------------------


def test_pages_read_the_figures_the_worker_stored_until_it_stores_them_again(client, app, known_data):
    """The worker's refresh stores the four figures; every page (after its minute of cache) reads those rows, not
    the status events, until the next refresh replaces them."""
    with app.app_context():
        assert performance.refresh_dashboard_figures(utcnow()) == len(performance.FIGURES)
        db.session.commit()
        stored = {f.key: f for f in db.session.scalars(select(DashboardFigure))}
        assert set(stored) == set(performance.FIGURES)
        assert stored["processing-time"].rows[0] == ["TSA PreCheck", 5, 3.0, 4.0]
        assert stored["satisfaction-trust"].rows[1][:2] == ["appointment", 5]  # the code: read in any language
        application(create_profile(), "precheck", submitted_at=utcnow())
        db.session.commit()
    performance.cache.clear()
    assert weekly_total(client) == 5  # the stored figure, not the new application
    data = client.get("/dashboard/performance.json").get_json()["figures"]
    assert data["processing-time"]["rows"][0] == ["TSA PreCheck", 5, 3.0, 4.0]
    assert data["satisfaction-trust"]["rows"][1][:5] == ["After an appointment", 5, 5, 60.0, 3.4]
    client.get("/language/es")
    page = client.get("/dashboard/performance").get_data(as_text=True)
    assert "Después de una cita" in page and "Mediana (días)" in page
    client.get("/language/en")
    with app.app_context():
        performance.refresh_dashboard_figures(utcnow())  # five minutes later: replaced, read at once by this worker
        db.session.commit()
    assert weekly_total(client) == 6


def test_a_second_worker_within_five_minutes_leaves_the_fresh_figures_alone(app_ctx):
    now = utcnow()
    assert performance.refresh_dashboard_figures(now) == len(performance.FIGURES)
    fresh = dt.timedelta(minutes=4)
    assert performance.refresh_dashboard_figures(now + dt.timedelta(minutes=1), unless_fresher_than=fresh) == 0
    later = now + dt.timedelta(minutes=5)
    assert performance.refresh_dashboard_figures(later, unless_fresher_than=fresh) == len(performance.FIGURES)
    assert {f.computed_at for f in db.session.scalars(select(DashboardFigure))} == {later}


def test_stored_figures_too_old_or_from_another_release_are_computed_again(app_ctx):
    """No worker for 15 minutes (stopped, or a database loaded without one), or rows of another shape during a
    deploy: the page computes the figure rather than show a frozen or broken one."""
    application(create_profile(), "precheck", submitted_at=utcnow())
    performance.refresh_dashboard_figures(utcnow() - performance.STALE_AFTER - dt.timedelta(minutes=1))
    application(create_profile(), "precheck", submitted_at=utcnow())
    assert sum(sum(r[1:]) for r in performance.figure("applications-per-week").rows) == 2  # computed now
    performance.refresh_dashboard_figures(utcnow())
    stored = db.session.get(DashboardFigure, "processing-time")
    stored.columns = ["program", "decisions", "median", "p75"]  # as another release named them
    db.session.flush()
    performance.cache.clear()
    assert [c.key for c in performance.figure("processing-time").columns][2:] == ["median_days", "p75_days"]


def test_one_pass_of_the_worker_stores_the_dashboard_figures(app):
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--slot-weeks", "0"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {f.key for f in db.session.scalars(select(DashboardFigure))} == set(performance.FIGURES)


def test_a_failed_refresh_is_logged_and_the_worker_goes_on_delivering(app, monkeypatch):
    def broken(now, **kwargs):
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(performance, "refresh_dashboard_figures", broken)
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append
    logging.getLogger("trusted_traveler.cli").addHandler(handler)
    try:
        result = app.test_cli_runner().invoke(args=["worker", "--once", "--slot-weeks", "0"])
    finally:
        logging.getLogger("trusted_traveler.cli").removeHandler(handler)
    assert result.exit_code == 0, result.output
    assert [r.getMessage() for r in logged] == ["the worker's dashboard figures failed; it runs again at its next turn"]
    assert "statement timeout" in str(logged[0].exc_info[1])
