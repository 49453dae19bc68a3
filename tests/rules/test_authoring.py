"""Changing the rules (rules.authoring): a second program lead who had no hand in a change approves it; a new draft
builds on what will be in force, and is compared with the version it replaces; retiring never rewrites what has
taken effect nor leaves a day without rules; a version's settings end with it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import create_account, create_application, create_profile
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import fee_for, get_program
from trusted_traveler.rules import authoring
from trusted_traveler.rules.impact import preview
from trusted_traveler.rules.service import check_eligibility, version_in_force

pytestmark = pytest.mark.usefixtures("app_ctx")

GB_CITIZEN = {"date_of_birth": dt.date(1980, 1, 1), "citizenships": ["GB"]}


def day(n: int) -> dt.date:
    return service_today() + dt.timedelta(days=n)


@pytest.fixture
def leads():
    """Three program leads: A, B and C."""
    return tuple(create_account(f"lead.{name}@example.com", roles=("program_lead",)) for name in "abc")


def publish(leads, *, starts: dt.date, until: dt.date | None = None, edit=lambda draft, lead: None):
    """A precheck version made by lead A (`edit` changes the draft), approved by lead C."""
    today = service_today()
    a, _, c = leads
    draft = authoring.start_draft(get_program("precheck"), by=a, today=today)
    edit(draft, a)
    authoring.submit_for_review(draft, by=a, effective_from=starts, effective_until=until, note="test", today=today)
    authoring.approve_and_publish(draft, by=c, today=today)
    return draft


def codes(version) -> set[str]:
    return {rule.code for rule in version.rules}


# --- Two-person approval ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda draft, by: authoring.remove_rule(draft, "precheck.pending_charge", by=by), id="rule"),
        pytest.param(
            lambda draft, by: authoring.propose_parameter(draft, "fee_new", "1", by=by, reference="x"), id="fee"
        ),
        pytest.param(lambda draft, by: authoring.withdraw_parameter(draft, "fee_new", by=by), id="withdrawal"),
    ],
)
def test_a_lead_who_edited_a_version_cannot_approve_it(leads, edit, today):
    a, b, c = leads
    draft = authoring.start_draft(get_program("precheck"), by=a, today=today)
    authoring.propose_parameter(draft, "fee_new", "80", by=a, reference="Federal Register 2027-00001")
    edit(draft, b)
    authoring.submit_for_review(draft, by=a, effective_from=day(10), effective_until=None, note="x", today=today)

    with pytest.raises(BusinessRuleViolation, match="you edited this version"):
        authoring.approve_and_publish(draft, by=b, today=today)
    assert draft.status == "in_review"

    authoring.approve_and_publish(draft, by=c, today=today)  # a lead who had no hand in it
    assert draft.status == "published"
    db.session.rollback()


def test_the_creator_and_the_submitter_still_cannot_approve(leads, today):
    a, b, c = leads
    draft = authoring.start_draft(get_program("precheck"), by=a, today=today)
    authoring.submit_for_review(draft, by=b, effective_from=day(10), effective_until=None, note="x", today=today)
    for lead in (a, b):
        with pytest.raises(BusinessRuleViolation, match="A second program lead must approve"):
            authoring.approve_and_publish(draft, by=lead, today=today)
    db.session.rollback()


# --- A new draft builds on the published future -------------------------------------------------------------------


def test_a_new_draft_starts_from_the_latest_published_version_not_the_one_in_force_today(leads, today):
    removal = publish(
        leads, starts=day(10), edit=lambda draft, by: authoring.remove_rule(draft, "precheck.citizenship", by=by)
    )
    program = get_program("precheck")
    assert version_in_force(program, today).label == "precheck-2026-11-01"

    later = authoring.start_draft(program, by=leads[0], today=today)
    assert codes(later) == codes(removal)
    assert authoring.replaced_version(later, today=today) == (removal, day(10))

    authoring.save_rule(
        later,
        by=leads[0],
        code="precheck.review_all",
        condition={"field": "under_investigation", "op": "is_true"},
        outcome="needs_review",
        message_en="Review.",
        message_es="Revisar.",
        citation=None,
    )
    authoring.submit_for_review(later, by=leads[0], effective_from=day(20), effective_until=None, note="x", today=today)
    authoring.approve_and_publish(later, by=leads[2], today=today)
    # the citizenship rule removed from day 10 stays removed once the later version takes effect on day 20
    assert check_eligibility(GB_CITIZEN, as_of=day(25))["programs"]["precheck"]["outcome"] == "eligible"
    db.session.rollback()


def test_a_temporary_version_is_not_copied_into_a_new_draft(leads, today):
    publish(
        leads,
        starts=day(10),
        until=day(20),
        edit=lambda draft, by: authoring.remove_rule(draft, "precheck.citizenship", by=by),
    )
    draft = authoring.start_draft(get_program("precheck"), by=leads[0], today=today)
    assert "precheck.citizenship" in codes(draft)  # the temporary removal ends on day 20; a new draft does not
    assert authoring.replaced_version(draft, today=today)[0].label == "precheck-2026-11-01"
    db.session.rollback()


def test_the_impact_preview_compares_a_draft_with_the_version_it_replaces(leads, today):
    for i in range(2):
        create_application(
            "precheck",
            submitted=True,
            profile=create_profile(create_account(f"gb{i}@example.com"), citizenship="GB"),
            judged_earlier=True,  # pending, though the rules in force today would refuse it
        )
    create_application("precheck", submitted=True, profile=create_profile(create_account("us@example.com")))
    seeded = version_in_force(get_program("precheck"), today)
    citizenship = next(r for r in seeded.rules if r.code == "precheck.citizenship")
    removal = publish(
        leads, starts=day(10), edit=lambda draft, by: authoring.remove_rule(draft, "precheck.citizenship", by=by)
    )

    # The draft puts the citizenship rule back: the same as today's rules, but not as those it replaces.
    draft = authoring.start_draft(get_program("precheck"), by=leads[0], today=today)
    authoring.save_rule(
        draft,
        by=leads[0],
        code=citizenship.code,
        condition=citizenship.condition,
        outcome=citizenship.outcome,
        message_en=citizenship.message_en,
        message_es=citizenship.message_es,
        citation=citizenship.citation,
    )
    impact = preview(draft, as_of=today)
    assert (impact.base_label, impact.replaces_on) == (removal.label, day(10))
    assert (impact.pending, impact.changed, impact.directions) == (3, 2, {("eligible", "ineligible"): 2})

    # Sent for review to take effect before the removal, it replaces today's version, which has the rule.
    authoring.submit_for_review(draft, by=leads[0], effective_from=day(5), effective_until=None, note="x", today=today)
    impact = preview(draft, as_of=today)
    assert (impact.base_label, impact.replaces_on, impact.changed) == (seeded.label, day(5), 0)
    db.session.rollback()


# --- Retiring -------------------------------------------------------------------------------------------------


def _fee(draft, by, amount):
    authoring.propose_parameter(draft, "fee_new", amount, by=by, reference="Federal Register 2027-00001")


def test_a_version_that_has_taken_effect_cannot_be_retired(leads, today):
    program = get_program("precheck")
    raised = publish(leads, starts=day(10), edit=lambda draft, by: _fee(draft, by, "80"))
    publish(
        leads, starts=day(20), edit=lambda draft, by: authoring.remove_rule(draft, "precheck.pending_charge", by=by)
    )
    assert fee_for(program, day(25)) == Decimal("80.00")  # the later version keeps the fee it did not change

    with pytest.raises(BusinessRuleViolation, match="took effect on"):
        authoring.retire(raised, by=leads[1], note="mistake", today=day(25))
    assert raised.status == "published"
    assert fee_for(program, day(25)) == Decimal("80.00")
    with pytest.raises(BusinessRuleViolation, match="took effect on"):
        authoring.retire(version_in_force(program, today), by=leads[1], note="mistake", today=today)

    authoring.retire(raised, by=leads[1], note="not yet in force", today=day(9))  # still in the future: allowed
    assert fee_for(program, day(25)) == Decimal("78.00")
    db.session.rollback()


def test_retiring_a_future_version_is_refused_when_it_would_leave_a_later_day_without_rules(leads, today):
    program = get_program("precheck")
    seeded = version_in_force(program, today)
    seeded.effective_until = day(30)  # today's rules end on day 30 ...
    takes_over = publish(leads, starts=day(30))  # ... when this version takes over
    with pytest.raises(BusinessRuleViolation, match=f"no rules in force from {day(30)}"):
        authoring.retire(takes_over, by=leads[1], note="x", today=today)
    assert takes_over.status == "published"
    assert version_in_force(program, day(40)) == takes_over
    db.session.rollback()


def test_retiring_a_future_version_that_leaves_no_gap_is_allowed_and_recorded(leads, today):
    program = get_program("precheck")
    future = publish(leads, starts=day(10))
    authoring.retire(future, by=leads[1], note="not needed", today=today)
    assert future.status == "retired"
    assert version_in_force(program, day(20)).label == "precheck-2026-11-01"
    assert authoring.history(future)[-1].action == "rules.retired"
    db.session.rollback()


# --- A version's settings end with it -----------------------------------------------------------------------------


def test_a_temporary_versions_fee_ends_with_the_version(leads):
    program = get_program("precheck")
    publish(leads, starts=day(10), until=day(20), edit=lambda draft, by: _fee(draft, by, "90"))
    assert [fee_for(program, d) for d in (day(9), day(10), day(19), day(20), day(30))] == [
        Decimal("78.00"),
        Decimal("90.00"),
        Decimal("90.00"),
        Decimal("78.00"),
        Decimal("78.00"),
    ]
    answer = check_eligibility(GB_CITIZEN, as_of=day(20))["programs"]["precheck"]
    assert (answer["fee"], answer["rule_set"]) == ("78.00", "precheck-2026-11-01")
    db.session.rollback()


# --- Both languages say the same; when each version is in force -------------------------------------------------


def _resave(draft, lead, code: str, **changes):
    rule = next(r for r in draft.rules if r.code == code)
    fields = {"message_en": rule.message_en, "message_es": rule.message_es, **changes}
    return authoring.save_rule(
        draft,
        by=lead,
        code=code,
        condition=rule.condition,
        outcome=rule.outcome,
        citation=rule.citation,
        replaces=code,
        **fields,
    )


def test_a_message_changed_in_one_language_only_is_refused_unless_the_lead_confirms_the_other_says_the_same(
    leads, today
):
    a = leads[0]
    draft = authoring.start_draft(get_program("precheck"), by=a, today=today)
    seeded = next(r for r in draft.rules if r.code == "precheck.citizenship")
    english, spanish = seeded.message_en, seeded.message_es

    with pytest.raises(authoring.RuleError) as refused:
        _resave(draft, a, "precheck.citizenship", message_en="Only U.S. citizens and residents may apply.")
    assert set(refused.value.errors) == {"message_es"}
    assert "update the Spanish message to say the same" in refused.value.errors["message_es"]
    with pytest.raises(authoring.RuleError) as refused:
        _resave(draft, a, "precheck.citizenship", message_es="Solo ciudadanos y residentes.")
    assert set(refused.value.errors) == {"message_en"}
    assert next(r for r in draft.rules if r.code == "precheck.citizenship").message_es == spanish

    _resave(draft, a, "precheck.citizenship", message_en=f"{english}  ")  # spacing alone changes nothing
    with pytest.raises(authoring.RuleError):  # whitespace alone is no change to the Spanish one
        _resave(draft, a, "precheck.citizenship", message_en="Changed.", message_es=f" {spanish}\n")
    _resave(draft, a, "precheck.citizenship", message_en="Changed.", one_language_confirmed=True)
    _resave(draft, a, "precheck.citizenship", message_en="Both changed.", message_es="Ambos cambiaron.")
    details = [e.details for e in authoring.history(draft) if e.action == "rules.rule_saved"]
    assert [d.get("other_language_unchanged") for d in details] == [None, "es", None]


def test_an_open_ended_version_is_in_force_until_the_next_takes_over_and_again_after_a_temporary_one(leads, today):
    seeded = version_in_force(get_program("precheck"), today)
    temporary = publish(leads, starts=day(10), until=day(20))
    later = publish(leads, starts=day(40))
    periods = authoring.periods_in_force(seeded.rule_set.versions)
    assert periods[seeded.id] == [(seeded.effective_from, day(10)), (day(20), day(40))]
    assert periods[temporary.id] == [(day(10), day(20))]
    assert periods[later.id] == [(day(40), None)]
