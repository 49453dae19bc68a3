"""The impact preview (rules.impact) equals judging every pending application through the engine, on the path
that narrows the candidates through offense and citizenship rows (tests/test_rules_console.py covers the path that
cannot narrow them: a parameter of a `not` rule, a removed flag rule)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.profiles.service import eligibility_facts
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules import authoring
from trusted_traveler.rules.impact import PENDING, affected, preview
from trusted_traveler.rules.service import check_program

pytestmark = pytest.mark.usefixtures("app_ctx")


def years_ago(today: dt.date, years: int) -> dt.date:
    return today.replace(year=today.year - years, day=min(today.day, 28))


def brute_force(program, draft, today) -> tuple[dict, dict]:
    """Both outcomes of every pending application through the engine: counts and references by direction."""
    counts: dict = {}
    references: dict = {}
    overrides = {p.key: p.value for p in authoring.proposals(draft)}
    pending = select(Application).where(Application.program_id == program.id, Application.status.in_(PENDING))
    for application in db.session.scalars(pending.order_by(Application.id)):
        facts = eligibility_facts(application.profile, today)
        old = check_program(program, facts, as_of=today, language="en")["outcome"]
        new = check_program(program, facts, as_of=today, language="en", version=draft, overrides=overrides)["outcome"]
        if old != new:
            counts[(old, new)] = counts.get((old, new), 0) + 1
            references.setdefault((old, new), []).append(application.reference)
    return counts, references


def test_a_longer_look_back_and_a_new_citizenship_rule_equal_judging_every_application():
    today = service_today()
    robbery = {"category": "robbery", "status": "convicted"}
    people = [
        ({"citizenship": "US"}, []),
        ({"citizenship": "GB"}, []),
        ({"citizenship": "CA"}, []),  # the new rule: review
        ({"citizenship": "CA"}, [{**robbery, "date": years_ago(today, 9)}]),  # review, then ineligible
        ({"citizenship": "US"}, [{**robbery, "date": years_ago(today, 8)}]),  # eligible, then ineligible
        ({"citizenship": "US"}, [{**robbery, "date": years_ago(today, 12)}]),  # outside both windows
        ({"citizenship": "US"}, [{**robbery, "date": years_ago(today, 3)}]),  # inside both
        ({"citizenship": "US"}, [{"category": "murder", "status": "convicted", "date": years_ago(today, 8)}]),
        ({"citizenship": "US", "dob": today.replace(year=today.year - 17)}, [{**robbery, "date": years_ago(today, 9)}]),
        (
            {"citizenship": "US"},
            [
                {"category": "other_felony", "status": "convicted", "date": years_ago(today, 2)},
                {**robbery, "date": years_ago(today, 8)},
            ],
        ),
    ]
    for i, (kwargs, offenses) in enumerate(people):
        profile = create_profile(create_account(f"impact{i}@example.com"), offenses=offenses, **kwargs)
        create_application("precheck", submitted=i != 5, profile=profile, judged_earlier=True)  # one draft: not pending
    lead = create_account("impact.preview.lead@example.com", roles=("program_lead",))
    program = get_program("precheck")
    draft = authoring.start_draft(program, by=lead, today=today)
    rule = next(r for r in draft.rules if r.code == "precheck.interim_offense")
    longer = {
        **rule.condition,
        "where": {
            "all": [
                part if "any" not in part else {"any": [{**part["any"][0], "value": 10}, part["any"][1]]}
                for part in rule.condition["where"]["all"]
            ]
        },
    }
    authoring.save_rule(
        draft,
        by=lead,
        code=rule.code,
        condition=longer,
        outcome=rule.outcome,
        message_en=rule.message_en,
        message_es=rule.message_es,
        citation=rule.citation,
        replaces=rule.code,
    )
    authoring.save_rule(
        draft,
        by=lead,
        code="precheck.canada_review",
        outcome="needs_review",
        condition={"field": "citizenships", "op": "contains_any", "value": ["CA"]},
        message_en="Review.",
        message_es="Revisar.",
        citation=None,
    )
    db.session.flush()
    counts, references = brute_force(program, draft, today)
    assert len(counts) >= 2, "the scenario should change outcomes in more than one direction"

    impact = preview(draft, as_of=today, samples=2)
    assert impact.directions == counts
    assert impact.changed == sum(counts.values())
    assert impact.by_center == {"No center chosen yet": impact.changed}
    assert impact.samples == {direction: refs[:2] for direction, refs in references.items()}
    assert impact.pending == len(people) - 1

    listed: dict = {}
    for row in affected(draft, as_of=today):
        assert row.status == "submitted" and row.center == "No center chosen yet"
        listed.setdefault((row.before, row.after), []).append(row.reference)
    assert listed == references  # every changed application, in the order they were made
    db.session.rollback()


def test_no_differing_rule_counts_only_the_pending():
    lead = create_account("impact.same.lead@example.com", roles=("program_lead",))
    create_application("precheck", submitted=True, profile=create_profile(create_account("same@example.com")))
    draft = authoring.start_draft(get_program("precheck"), by=lead, today=service_today())
    impact = preview(draft, as_of=service_today())
    assert (impact.pending, impact.changed, impact.directions) == (1, 0, {})
    assert affected(draft, as_of=service_today()) == []
    db.session.rollback()
