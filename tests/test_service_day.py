"""The service's day is the program's, not the server's: "today" is the date in SERVICE_TIMEZONE (America/New_York
unless set), never the UTC date. At 21:30 on May 31 in New York it is already June 1 in UTC, and a rule version
that takes effect on June 1 must not apply yet. An unknown zone stops the app at start-up."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, select

from config import ConfigError
from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler import create_app
from trusted_traveler import db as service_clock
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import decisions
from trusted_traveler.casework.letters import letter_content
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db, limiter
from trusted_traveler.feedback.performance import Figure
from trusted_traveler.i18n import format_day
from trusted_traveler.notifications.models import Notification
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules.models import Rule, RuleSet, RuleSetVersion

ELIGIBILITY = "/api/v1/eligibility/check"
ADULT = {"date_of_birth": "1990-05-17", "citizenships": ["US"]}
MAY_31, JUNE_1 = dt.date(2026, 5, 31), dt.date(2026, 6, 1)
EVENING_IN_NEW_YORK = dt.datetime(2026, 6, 1, 1, 30, tzinfo=dt.UTC)  # 21:30 EDT on May 31: UTC says June 1
MIDNIGHT_IN_NEW_YORK = dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC)  # 00:00 EDT on June 1
SEEDED_GLOBAL_ENTRY = "global_entry-2026-11-01"  # in force since 2008
JUNE_VERSION = "global_entry-2026-06-01"


@pytest.fixture
def clock(monkeypatch):
    """Set the service's clock: `clock(instant)`. service_today reads trusted_traveler.db.utcnow."""

    def set_to(instant: dt.datetime) -> None:
        monkeypatch.setattr(service_clock, "utcnow", lambda: instant)

    return set_to


@pytest.fixture
def june_version(app):
    """A published Global Entry version that takes effect on June 1, 2026 and refuses everyone (rule tables are
    reference data the per-test cleanup keeps, so it is removed here)."""
    with app.app_context():
        rule_set = db.session.scalar(select(RuleSet).where(RuleSet.program_id == get_program("global_entry").id))
        version = RuleSetVersion(
            rule_set=rule_set,
            number=900,
            label=JUNE_VERSION,
            status="published",
            effective_from=JUNE_1,
            published_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        )
        version.rules.append(
            Rule(
                code="test.closed_from_june",
                position=0,
                condition={"field": "age", "op": "gte", "value": 0},
                outcome="ineligible",
                message_en="Closed from June 1.",
                message_es="Cerrado desde el 1 de junio.",
                citation=None,
            )
        )
        db.session.add(version)
        db.session.commit()
        version_id = version.id
    yield JUNE_VERSION
    with app.app_context():
        db.session.execute(delete(Rule).where(Rule.version_id == version_id))
        db.session.execute(delete(RuleSetVersion).where(RuleSetVersion.id == version_id))
        db.session.commit()


@pytest.fixture
def _limiter_state_restored():
    """Building another app sets the one shared limiter's `enabled` from it (see tests/test_config.py)."""
    was_enabled = limiter.enabled
    yield
    limiter.enabled = was_enabled


def _global_entry(client, **body) -> tuple[str, dict]:
    response = client.post(ELIGIBILITY, json={**ADULT, **body})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    return answer["as_of"], answer["programs"]["global_entry"]


def _in_force(html: str) -> set[str]:
    """The versions the rules console marks "In force today"."""
    return set(re.findall(r">([\w-]+)</a>\s*<span[^>]*data-testid=\"in-force\"", html))


# --- The service's day ---------------------------------------------------------------------------------------------


def test_at_2130_on_may_31_in_new_york_the_service_day_is_may_31_though_utc_says_june_1(app, clock):
    clock(EVENING_IN_NEW_YORK)
    assert EVENING_IN_NEW_YORK.date() == JUNE_1
    assert service_today() == MAY_31  # outside the app too (a script, the CLI before its app is made)
    with app.app_context():
        assert service_today() == MAY_31
        clock(MIDNIGHT_IN_NEW_YORK - dt.timedelta(microseconds=1))
        assert service_today() == MAY_31
        clock(MIDNIGHT_IN_NEW_YORK)
        assert service_today() == JUNE_1


def test_a_version_effective_june_1_is_not_in_force_on_the_eligibility_api_until_midnight_in_new_york(
    client, clock, june_version
):
    clock(EVENING_IN_NEW_YORK)
    as_of, global_entry = _global_entry(client)
    assert as_of == "2026-05-31"
    assert (global_entry["outcome"], global_entry["rule_set"]) == ("eligible", SEEDED_GLOBAL_ENTRY)
    # June 1 is still tomorrow: asking for it is asking about the future
    response = client.post(ELIGIBILITY, json={**ADULT, "as_of": "2026-06-01"})
    assert response.status_code == 400
    assert {e["field"] for e in response.get_json()["errors"]} == {"as_of"}

    clock(MIDNIGHT_IN_NEW_YORK)
    as_of, global_entry = _global_entry(client)
    assert as_of == "2026-06-01"
    assert (global_entry["outcome"], global_entry["rule_set"]) == ("ineligible", june_version)


def test_the_rules_console_shows_in_force_today_the_version_of_new_yorks_day(app, client, clock, june_version):
    with app.app_context():
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead@example.com")

    clock(EVENING_IN_NEW_YORK)
    overview = client.get("/program-lead/").get_data(as_text=True)
    assert SEEDED_GLOBAL_ENTRY in _in_force(overview) and june_version not in _in_force(overview)
    page = client.get(f"/program-lead/versions/{june_version}").get_data(as_text=True)
    assert "in force today: " + SEEDED_GLOBAL_ENTRY in page

    clock(MIDNIGHT_IN_NEW_YORK)
    overview = client.get("/program-lead/").get_data(as_text=True)
    assert june_version in _in_force(overview) and SEEDED_GLOBAL_ENTRY not in _in_force(overview)


def test_a_determination_sent_at_2130_on_may_31_in_new_york_counts_its_60_days_from_may_31(app_ctx):
    """Its letter, the reconsideration deadline and the daily job that makes it final agree, on the service's days."""
    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))  # a vetting hit: the case goes to an officer
    application = create_application("precheck", profile=profile, submitted=True)
    decisions.preliminary_ineligible(application, by=create_officer(), reason_codes=["security_threat"])
    application.status_entered_at = application.letters[-1].issued_at = EVENING_IN_NEW_YORK
    db.session.flush()

    assert decisions.response_deadline(application) == dt.date(2026, 7, 30)  # May 31 + 60 days, not June 1 + 60
    content = letter_content(application.letters[-1])
    assert content.date == MAY_31 and "until July 30, 2026, to answer" in " ".join(content.next_steps)
    assert decisions.close_unanswered_determinations(dt.date(2026, 7, 30)) == 0  # the last day to answer
    assert decisions.close_unanswered_determinations(dt.date(2026, 7, 31)) == 1
    assert application.status == Status.DENIED


# --- Dates shown --------------------------------------------------------------------------------------------------


def test_a_time_stored_at_2130_on_may_31_in_new_york_is_shown_as_may_31_in_english_and_spanish(app):
    with app.test_request_context("/"):
        assert format_day(EVENING_IN_NEW_YORK) == "May 31, 2026"
        assert format_day(EVENING_IN_NEW_YORK, "%B %-d") == "May 31"
        assert format_day(EVENING_IN_NEW_YORK, "%A, %B %-d, %Y at %-I:%M %p") == "Sunday, May 31, 2026 at 9:30 PM"
        assert format_day(MIDNIGHT_IN_NEW_YORK) == "June 1, 2026"
        with force_locale("es"):
            assert format_day(EVENING_IN_NEW_YORK) == "31 de mayo de 2026"
            assert format_day(EVENING_IN_NEW_YORK, "%B %-d") == "31 de mayo"
            assert format_day(EVENING_IN_NEW_YORK, "%A, %B %-d, %Y at %-I:%M %p") == (
                "domingo, 31 de mayo de 2026 a las 21:30"
            )
        assert format_day(JUNE_1) == "June 1, 2026"  # a date is the day it says


def test_a_format_that_says_utc_shows_the_utc_date_and_time(app):
    with app.test_request_context("/"):
        assert format_day(EVENING_IN_NEW_YORK, "%B %-d, %Y at %H:%M UTC") == "June 1, 2026 at 01:30 UTC"
        with force_locale("es"):
            assert format_day(EVENING_IN_NEW_YORK, "%B %-d, %Y at %H:%M UTC") == "1 de junio de 2026 a las 1:30 UTC"
        # the performance dashboard writes "UTC" after its time itself
        figure = Figure("f", "F", "n", (), (), True, computed_at=EVENING_IN_NEW_YORK.isoformat(timespec="seconds"))
        assert figure.computed_at_text == "June 1, 2026 at 01:30"
        with force_locale("es"):
            assert figure.computed_at_text == "1 de junio de 2026 a las 1:30"


def test_a_centers_local_time_keeps_its_zone(app):
    honolulu = MIDNIGHT_IN_NEW_YORK.astimezone(ZoneInfo("Pacific/Honolulu"))  # 18:00 on May 31 there
    with app.test_request_context("/"):
        assert format_day(honolulu) == "May 31, 2026"
        assert format_day(honolulu, "%A, %B %-d, %Y at %-I:%M %p") == "Sunday, May 31, 2026 at 6:00 PM"
        london = EVENING_IN_NEW_YORK.astimezone(ZoneInfo("Europe/London"))  # 02:30 on June 1 (BST)
        assert format_day(london, "%a %b %-d, %-I:%M %p") == "Mon Jun 1, 2:30 AM"
        with force_locale("es"):
            assert format_day(honolulu) == "31 de mayo de 2026"


def test_dates_shown_follow_service_timezone(app, monkeypatch):
    early_in_new_york = dt.datetime(2026, 6, 1, 6, 30, tzinfo=dt.UTC)  # 02:30 on June 1 there, 23:30 May 31 in LA
    with app.test_request_context("/"):
        assert format_day(early_in_new_york) == "June 1, 2026"
        monkeypatch.setitem(app.config, "SERVICE_TIMEZONE", "America/Los_Angeles")
        assert format_day(early_in_new_york) == "May 31, 2026"


def test_a_traveler_sees_the_days_of_new_york_on_their_pages(app, client):
    """A preliminary determination sent at 21:30 on May 31 in New York: the application page lists the letter as
    of May 31, as the letter itself is dated; the dashboard and notifications say May 31 too, in either language."""
    with app.app_context():
        account = create_account("late@example.com")
        profile = create_profile(account, surname="Hitman", dob=dt.date(1980, 1, 1))  # a vetting hit
        application = create_application("precheck", profile=profile, submitted=True)
        decisions.preliminary_ineligible(application, by=create_officer(), reason_codes=["security_threat"])
        application.created_at = application.letters[-1].issued_at = EVENING_IN_NEW_YORK
        for event in application.events:
            event.created_at = EVENING_IN_NEW_YORK
        for note in db.session.scalars(select(Notification).where(Notification.account_id == account.id)):
            note.created_at = EVENING_IN_NEW_YORK
        db.session.commit()
        reference, letter_id, account_id = application.reference, application.letters[-1].id, account.id
    sign_in(client, "late@example.com")

    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert ", May 31, 2026</a>" in page and "June 1, 2026" not in page
    assert "May 31, 2026" in client.get(f"/applications/{reference}/letters/{letter_id}").get_data(as_text=True)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert ">May 31, 2026</td>" in dashboard and "<li>May 31: " in dashboard and "June 1" not in dashboard
    notifications = client.get("/notifications").get_data(as_text=True)
    assert ">May 31, 2026</time>" in notifications and "June 1" not in notifications

    with app.app_context():
        db.session.get(Account, account_id).preferred_language = "es"
        db.session.commit()
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert ", 31 de mayo de 2026</a>" in page and "1 de junio de 2026" not in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert ">31 de mayo de 2026</td>" in dashboard and "<li>31 de mayo: " in dashboard


# --- SERVICE_TIMEZONE ----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("_limiter_state_restored")
def test_service_timezone_is_read_from_the_environment_and_defaults_to_new_york():
    assert create_app("test", env={}).config["SERVICE_TIMEZONE"] == "America/New_York"
    assert create_app("test", env={"SERVICE_TIMEZONE": ""}).config["SERVICE_TIMEZONE"] == "America/New_York"
    app = create_app("test", env={"SERVICE_TIMEZONE": "America/Los_Angeles"})
    assert app.config["SERVICE_TIMEZONE"] == "America/Los_Angeles"


def test_with_service_timezone_los_angeles_the_day_ends_at_midnight_there(
    app, client, clock, june_version, monkeypatch
):
    clock(dt.datetime(2026, 6, 1, 6, 30, tzinfo=dt.UTC))  # 02:30 on June 1 in New York, 23:30 on May 31 in LA
    with app.app_context():
        assert service_today() == JUNE_1
    monkeypatch.setitem(app.config, "SERVICE_TIMEZONE", "America/Los_Angeles")
    with app.app_context():
        assert service_today() == MAY_31
    as_of, global_entry = _global_entry(client)
    assert (as_of, global_entry["rule_set"]) == ("2026-05-31", SEEDED_GLOBAL_ENTRY)

    clock(dt.datetime(2026, 6, 1, 7, 0, tzinfo=dt.UTC))  # midnight in Los Angeles
    as_of, global_entry = _global_entry(client)
    assert (as_of, global_entry["rule_set"]) == ("2026-06-01", june_version)


@pytest.mark.usefixtures("_limiter_state_restored")
@pytest.mark.parametrize("zone", ["America/Nowhere", "EST+5", "../../etc/passwd", "new york"])
def test_a_service_timezone_that_is_no_time_zone_stops_the_app_at_start_up(zone):
    message = f"SERVICE_TIMEZONE must be an IANA time zone name such as America/New_York (got '{zone}')"
    with pytest.raises(ConfigError) as raised:
        create_app("test", env={"SERVICE_TIMEZONE": zone})
    assert str(raised.value) == message
    with pytest.raises(ConfigError, match="SERVICE_TIMEZONE"):  # however it is given
        create_app("test", env={}, overrides={"SERVICE_TIMEZONE": zone})


# --- The suite itself ------------------------------------------------------------------------------------------------

CLOCK_READS = {"service_today", "utcnow", "today", "now"}


def _reads_the_clock(node) -> bool:
    return any(
        isinstance(call, ast.Call)
        and (getattr(call.func, "id", None) or getattr(call.func, "attr", None)) in CLOCK_READS
        for call in ast.walk(node)
    )


def test_no_test_module_reads_the_clock_when_it_is_imported():
    """A value like `TODAY = service_today()` at module level is yesterday's for the tests that run after midnight in
    New York in a run that crosses it (CI failed so once). Tests take the `today` and `now` fixtures instead, or read
    the clock inside the test; a module-level constant, class attribute or default argument may not call it."""
    offenders = []
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                nodes = [n for n in node.body if isinstance(n, ast.Assign | ast.AnnAssign)]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                nodes = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                nodes = [node]
            else:
                nodes = []
            offenders += [f"{path.relative_to(path.parents[1])}:{n.lineno}" for n in nodes if _reads_the_clock(n)]
    assert offenders == []
