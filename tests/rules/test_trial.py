"""Trying the public check under a chosen version (rules.service.check_eligibility_with, rules.trial): the answer
the public check would give on a day when the version is in force, for a draft, a version in review or one
published to take effect later, which the public check itself cannot be asked about."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.factories import create_account
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules import authoring, trial
from trusted_traveler.rules.service import check_eligibility, check_eligibility_with, version_in_force

pytestmark = pytest.mark.usefixtures("app_ctx")


def day(n: int) -> dt.date:
    return service_today() + dt.timedelta(days=n)


def years_ago(years: int, *, days: int = 0) -> dt.date:
    today = service_today()
    return today.replace(year=today.year - years, day=min(today.day, 28)) + dt.timedelta(days=days)


@pytest.fixture
def leads():
    return tuple(create_account(f"try.{name}@example.com", roles=("program_lead",)) for name in "ab")


def ten_year_look_back(draft, lead):
    """The interim-offense look-back becomes 10 years, and the PreCheck fee 80.00."""
    rule = next(r for r in draft.rules if r.code == "precheck.interim_offense")
    seeded = json.dumps(rule.condition)
    condition = seeded.replace('"op": "within_years", "value": 7}', '"op": "within_years", "value": 10}')
    assert condition != seeded
    authoring.save_rule(
        draft,
        by=lead,
        code=rule.code,
        condition=json.loads(condition),
        outcome=rule.outcome,
        message_en=rule.message_en,
        message_es=rule.message_es,
        citation=rule.citation,
        replaces=rule.code,
    )
    authoring.propose_parameter(draft, "fee_new", "80", by=lead, reference="Federal Register 2027-00001")


def draft_with(lead, edit) -> object:
    draft = authoring.start_draft(get_program("precheck"), by=lead, today=service_today())
    edit(draft, lead)
    return draft


def robbery(years: int) -> dict:
    return {
        "date_of_birth": dt.date(1980, 1, 1),
        "citizenships": ["US"],
        "offenses": [{"category": "robbery", "status": "convicted", "date": years_ago(years), "released_on": None}],
        "travels_internationally": False,
    }


def test_a_future_dated_version_answers_as_the_public_check_will_on_its_effective_date(leads, today):
    a, b = leads
    draft = draft_with(a, ten_year_look_back)
    authoring.submit_for_review(draft, by=a, effective_from=day(30), effective_until=None, note="x", today=today)
    authoring.approve_and_publish(draft, by=b, today=today)

    body, since = check_eligibility_with(draft, robbery(8), as_of=day(30))
    assert body == check_eligibility(robbery(8), as_of=day(30))  # what the public check will say on that day
    assert since == day(30)
    precheck = body["programs"]["precheck"]
    assert (precheck["outcome"], precheck["fee"], precheck["rule_set"]) == ("ineligible", "80.00", draft.label)
    assert [r["code"] for r in precheck["reasons"]] == ["precheck.interim_offense"]
    assert body["recommended_program"] is None
    # today the public check still answers by the version in force
    assert check_eligibility(robbery(8), as_of=today)["programs"]["precheck"]["outcome"] == "eligible"
    db.session.rollback()


def test_a_draft_answers_with_the_settings_it_proposes_and_the_other_program_by_its_version_in_force(leads, today):
    draft = draft_with(leads[0], ten_year_look_back)
    body, since = check_eligibility_with(draft, robbery(8), as_of=today, language="es")
    precheck, global_entry = body["programs"]["precheck"], body["programs"]["global_entry"]
    assert (precheck["outcome"], precheck["fee"], precheck["rule_set"]) == ("ineligible", "80.00", "precheck-draft-2")
    rule = next(r for r in draft.rules if r.code == "precheck.interim_offense")
    assert precheck["reasons"][0]["message"] == rule.message_es  # in the language asked for
    assert global_entry == check_eligibility(robbery(8), as_of=today, language="es")["programs"]["global_entry"]
    assert since == today  # a draft has no date yet: tried as if in force from the day chosen
    db.session.rollback()


def test_a_service_wide_setting_a_draft_proposes_reaches_the_other_programs_answer_too(leads, today):
    """The age of majority is one setting for both programs: once a PreCheck version raising it is published, a
    20-year-old's Global Entry answer carries the minor's condition too; the trial says so before."""
    draft = draft_with(
        leads[0], lambda d, by: authoring.propose_parameter(d, "age_of_majority", "21", by=by, reference="test")
    )
    twenty = {"date_of_birth": today.replace(year=today.year - 20) - dt.timedelta(days=1), "citizenships": ["US"]}
    body, _ = check_eligibility_with(draft, twenty, as_of=today)
    assert [r["code"] for r in body["programs"]["global_entry"]["reasons"]] == ["global_entry.minor_consent"]
    assert check_eligibility(twenty, as_of=today)["programs"]["global_entry"]["reasons"] == []
    db.session.rollback()


def test_the_days_a_version_can_be_tried_on(leads, today):
    a, b = leads
    draft = draft_with(a, lambda d, by: None)
    assert trial.default_date(draft, today) == today
    assert trial.date_problem(draft, day(400), today) is None
    assert trial.date_problem(draft, day(-1), today) == f"Choose today ({today.isoformat()}) or a later day."

    authoring.submit_for_review(draft, by=a, effective_from=day(10), effective_until=day(40), note="x", today=today)
    authoring.approve_and_publish(draft, by=b, today=today)
    assert trial.default_date(draft, today) == day(10)
    assert trial.date_problem(draft, day(9), today) == (
        f"{draft.label} takes effect on {day(10).isoformat()}: choose that day or a later one."
    )
    assert trial.date_problem(draft, day(10), today) is None and trial.date_problem(draft, day(39), today) is None
    assert (
        trial.date_problem(draft, day(40), today)
        == f"{draft.label} ends on {day(40).isoformat()}: choose a day before it."
    )
    db.session.rollback()


def test_the_versions_offered_and_whether_the_public_check_would_use_the_one_tried(leads, today):
    a, b = leads
    first = draft_with(a, lambda d, by: None)
    authoring.submit_for_review(first, by=a, effective_from=day(10), effective_until=None, note="x", today=today)
    authoring.approve_and_publish(first, by=b, today=today)
    second = draft_with(a, lambda d, by: None)
    authoring.submit_for_review(second, by=a, effective_from=day(20), effective_until=None, note="x", today=today)

    offered = [v.label for v in trial.versions_to_try(today)]
    assert offered == [second.label, first.label, "precheck-2026-11-01", "global_entry-2026-11-01"]
    assert trial.choice_label(first, today) == f"TSA PreCheck: {first.label} (published, takes effect {day(10)})"
    assert trial.choice_label(second, today).endswith(f"(in review, takes effect {day(20)})")
    assert trial.choice_label(version_in_force(get_program("precheck"), today), today).endswith("(in force today)")

    assert trial.in_force_instead(first, day(15)) is None
    assert trial.in_force_instead(first, day(25)) is None  # the one in review is not published
    authoring.approve_and_publish(second, by=b, today=today)
    assert trial.in_force_instead(first, day(25)) == second  # it takes over on day 20
    assert trial.in_force_instead(second, day(25)) is None

    authoring.retire(first, by=b, note="Withdrawn", today=today)
    assert first.label not in [v.label for v in trial.versions_to_try(today)]  # a retired version is not offered
    db.session.rollback()


def test_the_trial_is_read_afresh_and_leaves_the_public_checks_books_alone(leads, today):
    """A lead's trial of a draft must never become what the public check answers from its kept books."""
    draft = draft_with(leads[0], ten_year_look_back)
    before = check_eligibility(robbery(8), as_of=today)
    check_eligibility_with(draft, robbery(8), as_of=today)
    assert check_eligibility(robbery(8), as_of=today) == before
    db.session.rollback()
