"""The condition language and the engine, with no Flask and no database."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seeds.rules import GLOBAL_ENTRY_RULES, PRECHECK_RULES
from trusted_traveler.rules.conditions import (
    BOOLEAN_FACTS,
    INTERIM_OFFENSES,
    OFFENSE_CATEGORIES,
    OFFENSE_STATUSES,
    PERMANENT_OFFENSES,
    ConditionError,
    MissingParameter,
    age_on,
    evaluate_condition,
    parameters_used,
    validate_condition,
    years_before,
)
from trusted_traveler.rules.engine import (
    FactsError,
    ProgramResult,
    RuleSpec,
    derive_facts,
    evaluate,
    recommend,
)

AS_OF = dt.date(2025, 6, 15)
PARAMS = {"partner_countries": ["GB", "MX", "DE"], "age_of_majority": 18}


def facts(**overrides):
    base = {"date_of_birth": dt.date(1990, 5, 17), "citizenships": ["US"]}
    return base | overrides


def rule(code, condition, outcome="ineligible", **kw):
    return RuleSpec(
        code=code,
        condition=condition,
        outcome=outcome,
        message_en=kw.get("en", f"{code} in English"),
        message_es=kw.get("es", f"{code} en español"),
        citation=kw.get("citation", f"cite {code}"),
    )


def holds(condition, **fact_overrides):
    cond = validate_condition(condition)
    return evaluate_condition(cond, derive_facts(facts(**fact_overrides), AS_OF), as_of=AS_OF, params=PARAMS)


def offense(category="fraud", status="convicted", date=dt.date(2024, 1, 1), released_on=None):
    return {"category": category, "status": status, "date": date, "released_on": released_on}


# --- validation ---------------------------------------------------------------------------------------------------

VALID = [
    {"field": "age", "op": "gte", "value": 18},
    {"field": "age", "op": "lt", "value": {"param": "age_of_majority"}},
    {"field": "age", "op": "in", "value": [1, 2, 3]},
    {"field": "citizenships", "op": "contains_any", "value": ["US", "GB"]},
    {"field": "citizenships", "op": "contains_any", "value": {"param": "partner_countries"}},
    {"field": "under_investigation", "op": "is_true"},
    {"field": "travels_internationally", "op": "eq", "value": False},
    {"all": [{"field": "under_investigation", "op": "is_false"}]},
    {"not": {"any": [{"field": "lawful_permanent_resident", "op": "is_true"}]}},
    {"exists": "offenses"},
    {
        "exists": "offenses",
        "where": {
            "all": [
                {"field": "category", "op": "in", "value": ["fraud", "arson"]},
                {"field": "status", "op": "ne", "value": "pending"},
                {"not": {"field": "released_on", "op": "within_years", "value": 5}},
            ]
        },
    },
]


@pytest.mark.parametrize("condition", VALID, ids=lambda c: json.dumps(c)[:60])
def test_valid_conditions_validate_unchanged(condition):
    assert validate_condition(condition) == condition


INVALID = [
    ("not an object", "condition", "must be a JSON object"),
    ({}, "condition", "one of the keys"),
    ({"field": "height", "op": "eq", "value": 1}, "condition.field", "Unknown field 'height'"),
    ({"field": "age", "op": "matches", "value": 1}, "condition.op", "Unknown op 'matches'"),
    ({"field": "age", "op": "contains_any", "value": [1]}, "condition.op", "cannot be used with 'age'"),
    ({"field": "age", "op": "eq", "value": "18"}, "condition.value", "expected a whole number"),
    ({"field": "age", "op": "eq", "value": True}, "condition.value", "expected a whole number"),
    ({"field": "age", "op": "gte", "value": 10**19}, "condition.value", "from -1,000,000,000 to 1,000,000,000"),
    ({"field": "age", "op": "in", "value": [18, -(10**10)]}, "condition.value", "whole numbers from"),
    ({"field": "age", "op": "eq"}, "condition.value", "needs a value"),
    ({"field": "age", "op": "in", "value": []}, "condition.value", "non-empty list"),
    ({"field": "under_investigation", "op": "is_true", "value": True}, "condition.value", "takes no value"),
    ({"field": "under_investigation", "op": "eq", "value": "yes"}, "condition.value", "true or false"),
    ({"field": "citizenships", "op": "contains_any", "value": ["XX"]}, "condition.value", "country codes"),
    ({"field": "citizenships", "op": "contains_any", "value": "US"}, "condition.value", "country codes"),
    ({"field": "citizenships", "op": "eq", "value": "US"}, "condition.op", "contains_any"),
    ({"all": []}, "condition.all", "at least one"),
    ({"any": []}, "condition.any", "at least one"),
    ({"all": "x"}, "condition.all", "Not a valid list"),
    ({"all": [{"field": "age", "op": "gt", "value": 1}], "extra": 1}, "condition.extra", "Unknown field"),
    ({"not": None}, "condition.not", ""),
    ({"field": "age", "op": "lt", "value": {"param": "nope"}}, "condition.value.param", "Unknown parameter 'nope'"),
    ({"field": "age", "op": "lt", "value": {"param": "partner_countries"}}, "condition.value", "holds"),
    ({"field": "age", "op": "lt", "value": {"param": "age_of_majority", "x": 1}}, "condition.value", "param"),
    ({"exists": "addresses"}, "condition.exists", "Only 'offenses'"),
    ({"exists": "offenses", "where": {"field": "age", "op": "gt", "value": 1}}, "condition.where.field", "offense"),
    (
        {"exists": "offenses", "where": {"exists": "offenses"}},
        "condition.where",
        "only be used at the top level",
    ),
    ({"field": "category", "op": "eq", "value": "fraud"}, "condition.field", "Unknown field 'category'"),
    (
        {"exists": "offenses", "where": {"field": "category", "op": "eq", "value": "jaywalking"}},
        "condition.where.value",
        "offense category",
    ),
    ({"exists": "offenses", "where": {"field": "status", "op": "in", "value": ["done"]}}, "condition.where.value", ""),
    (
        {"exists": "offenses", "where": {"field": "date", "op": "within_years", "value": -1}},
        "condition.where.value",
        "",
    ),
    (
        {"exists": "offenses", "where": {"field": "date", "op": "within_years", "value": 2.5}},
        "condition.where.value",
        "",
    ),
    ({"exists": "offenses", "where": {"field": "date", "op": "eq", "value": "2020-01-01"}}, "condition.where.op", ""),
    (
        {"all": [{"field": "age", "op": "gt", "value": 1}, {"any": [{"field": "x", "op": "eq", "value": 1}]}]},
        "condition.all[1].any[0].field",
        "Unknown field 'x'",
    ),
]


@pytest.mark.parametrize(("condition", "path", "text"), INVALID, ids=lambda v: str(v)[:50])
def test_invalid_conditions_are_refused_naming_the_path(condition, path, text):
    with pytest.raises(ConditionError) as caught:
        validate_condition(condition)
    paths = {p for p, _ in caught.value.errors}
    assert path in paths, caught.value.errors
    assert text in str(caught.value)


def test_every_problem_is_reported_not_just_the_first():
    with pytest.raises(ConditionError) as caught:
        validate_condition(
            {
                "any": [
                    {"field": "nope", "op": "eq", "value": 1},
                    {"field": "age", "op": "bad"},
                    {"field": "shoe", "op": "fits"},
                    {"all": []},
                ]
            }
        )
    assert {p for p, _ in caught.value.errors} == {
        "condition.any[0].field",
        "condition.any[1].op",
        "condition.any[2].field",
        "condition.any[2].op",
        "condition.any[3].all",
    }


def test_offense_rows_may_be_objects_with_attributes():
    row = SimpleNamespace(category="fraud", status="convicted", date=dt.date(2024, 1, 1), released_on=None, details="x")
    derived = derive_facts(facts(offenses=[row]), AS_OF)
    assert derived["offenses"] == [offense()]


def test_a_condition_is_never_text_to_evaluate():
    with pytest.raises(ConditionError):
        validate_condition("facts['age'] < 18 or __import__('os')")
    with pytest.raises(ConditionError):
        validate_condition({"field": "age", "op": "lt", "value": "__import__('os').system('true')"})


def test_parameter_keys_can_be_restricted():
    condition = {"field": "age", "op": "lt", "value": {"param": "age_of_majority"}}
    with pytest.raises(ConditionError, match="Unknown parameter"):
        validate_condition(condition, parameters={})
    assert parameters_used(condition) == {"age_of_majority"}


def test_the_seeded_rules_are_valid_conditions():
    for spec in PRECHECK_RULES + GLOBAL_ENTRY_RULES:
        assert validate_condition(spec["condition"]) == spec["condition"], spec["code"]


# --- semantics ----------------------------------------------------------------------------------------------------


def test_age_is_whole_years_on_as_of():
    assert age_on(dt.date(2007, 6, 15), AS_OF) == 18  # the birthday itself
    assert age_on(dt.date(2007, 6, 16), AS_OF) == 17  # the day before the 18th birthday
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17  # born on 29 February: a year older on 1 March
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
    assert age_on(dt.date(2008, 2, 29), dt.date(2028, 2, 29)) == 20


def test_years_before_keeps_month_and_day_and_clamps_29_february():
    assert years_before(dt.date(2025, 6, 15), 7) == dt.date(2018, 6, 15)
    assert years_before(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)
    assert years_before(dt.date(5, 1, 1), 150) == dt.date.min


def test_within_years_is_inclusive_and_never_after_as_of():
    cond = {"exists": "offenses", "where": {"field": "date", "op": "within_years", "value": 7}}
    assert holds(cond, offenses=[offense(date=dt.date(2018, 6, 15))])  # exactly 7 years
    assert not holds(cond, offenses=[offense(date=dt.date(2018, 6, 14))])  # 7 years and 1 day
    assert holds(cond, offenses=[offense(date=AS_OF)])
    assert not holds(cond, offenses=[offense(date=AS_OF + dt.timedelta(days=1))])
    zero = {"exists": "offenses", "where": {"field": "date", "op": "within_years", "value": 0}}
    assert holds(zero, offenses=[offense(date=AS_OF)])
    assert not holds(zero, offenses=[offense(date=AS_OF - dt.timedelta(days=1))])


def test_a_missing_value_makes_every_comparison_false_and_not_inverts_it():
    within = {"field": "released_on", "op": "within_years", "value": 5}
    rows = [offense(released_on=None)]
    assert not holds({"exists": "offenses", "where": within}, offenses=rows)
    assert holds({"exists": "offenses", "where": {"not": within}}, offenses=rows)


def test_comparisons_and_membership():
    assert holds({"field": "age", "op": "eq", "value": 35})
    assert holds({"field": "age", "op": "ne", "value": 34})
    assert holds({"field": "age", "op": "gt", "value": 34}) and not holds({"field": "age", "op": "gt", "value": 35})
    assert holds({"field": "age", "op": "gte", "value": 35}) and holds({"field": "age", "op": "lte", "value": 35})
    assert holds({"field": "age", "op": "lt", "value": 36})
    assert holds({"field": "age", "op": "in", "value": [1, 35]})
    assert holds({"field": "age", "op": "not_in", "value": [1, 2]})
    assert holds({"field": "citizenships", "op": "contains_any", "value": ["FR", "US"]})
    assert not holds({"field": "citizenships", "op": "contains_any", "value": ["FR"]})
    assert holds(
        {"field": "citizenships", "op": "contains_any", "value": {"param": "partner_countries"}},
        citizenships=["CA", "GB"],
    )
    assert holds({"field": "under_investigation", "op": "is_false"})
    assert holds({"field": "travels_internationally", "op": "is_true"})  # defaults to true
    assert holds({"field": "travels_internationally", "op": "eq", "value": False}, travels_internationally=False)
    assert holds({"field": "customs_immigration_violation", "op": "ne", "value": True})


def test_exists_without_where_is_any_offense():
    assert not holds({"exists": "offenses"})
    assert holds({"exists": "offenses"}, offenses=[offense(category="other_misdemeanor")])


def test_a_parameter_without_a_value_or_of_the_wrong_kind_is_an_error():
    cond = validate_condition({"field": "age", "op": "lt", "value": {"param": "age_of_majority"}})
    derived = derive_facts(facts(), AS_OF)
    with pytest.raises(ConditionError, match="no value in force"):
        evaluate_condition(cond, derived, as_of=AS_OF, params={})
    with pytest.raises(ConditionError, match="does not hold"):
        evaluate_condition(cond, derived, as_of=AS_OF, params={"age_of_majority": "18"})


def test_a_parameter_is_needed_only_when_a_comparison_using_it_is_reached():
    cond = validate_condition(
        {
            "any": [
                {"field": "citizenships", "op": "contains_any", "value": ["US"]},
                {"field": "citizenships", "op": "contains_any", "value": {"param": "partner_countries"}},
            ]
        }
    )
    assert evaluate_condition(cond, derive_facts(facts(), AS_OF), as_of=AS_OF, params={}) is True
    with pytest.raises(MissingParameter) as caught:
        evaluate_condition(cond, derive_facts(facts(citizenships=["GB"]), AS_OF), as_of=AS_OF, params={})
    assert caught.value.key == "partner_countries"
    assert caught.value.errors == [
        ("condition.any[1].value", "The parameter 'partner_countries' has no value in force.")
    ]
    rules = [rule("r", {"not": cond})]
    with pytest.raises(MissingParameter):
        evaluate(rules, facts(citizenships=["GB"]), as_of=AS_OF, params={})


def test_derive_facts_defaults_and_errors():
    derived = derive_facts({"date_of_birth": "2000-01-01", "citizenships": ["us", "GB", "US"]}, AS_OF)
    assert derived["age"] == 25
    assert derived["citizenships"] == ["GB", "US"]
    assert derived["travels_internationally"] is True
    assert derived["lawful_permanent_resident"] is False
    assert derived["offenses"] == []
    with pytest.raises(FactsError):
        derive_facts({"citizenships": ["US"]}, AS_OF)
    with pytest.raises(FactsError):
        derive_facts({"date_of_birth": AS_OF + dt.timedelta(days=1), "citizenships": ["US"]}, AS_OF)
    with pytest.raises(FactsError):
        derive_facts(facts(offenses=[offense(date="yesterday")]), AS_OF)


# --- the engine ---------------------------------------------------------------------------------------------------

FLAG_INV = {"field": "under_investigation", "op": "is_true"}
FLAG_CUSTOMS = {"field": "customs_immigration_violation", "op": "is_true"}
MINOR = {"field": "age", "op": "lt", "value": {"param": "age_of_majority"}}


def test_outcome_precedence_and_reasons_in_rule_order():
    rules = [
        rule("a.minor", MINOR, "condition"),
        rule("b.review", FLAG_CUSTOMS, "needs_review"),
        rule("c.block", FLAG_INV, "ineligible"),
    ]
    young = {"date_of_birth": dt.date(2015, 1, 1)}
    assert evaluate(rules, facts(), as_of=AS_OF, params=PARAMS) == ProgramResult("eligible", ())
    result = evaluate(rules, facts(**young), as_of=AS_OF, params=PARAMS)
    assert result.outcome == "eligible" and result.fired == ("a.minor",)
    result = evaluate(rules, facts(**young, customs_immigration_violation=True), as_of=AS_OF, params=PARAMS)
    assert result.outcome == "needs_review" and result.fired == ("a.minor", "b.review")
    result = evaluate(
        rules, facts(**young, customs_immigration_violation=True, under_investigation=True), as_of=AS_OF, params=PARAMS
    )
    assert result.outcome == "ineligible" and result.fired == ("a.minor", "b.review", "c.block")
    assert result.as_dict()["reasons"][2] == {
        "code": "c.block",
        "message": "c.block in English",
        "citation": "cite c.block",
    }


def test_messages_follow_the_language():
    rules = [rule("x", FLAG_INV, en="Hello", es="Hola")]
    f = facts(under_investigation=True)
    assert evaluate(rules, f, as_of=AS_OF, params=PARAMS, language="en").reasons[0].message == "Hello"
    assert evaluate(rules, f, as_of=AS_OF, params=PARAMS, language="es").reasons[0].message == "Hola"
    with pytest.raises(ValueError):
        evaluate(rules, f, as_of=AS_OF, params=PARAMS, language="fr")


def test_rules_may_be_mappings_and_bad_rules_are_refused():
    as_mapping = {
        "code": "m",
        "condition": FLAG_INV,
        "outcome": "ineligible",
        "message_en": "en",
        "message_es": "es",
        "citation": None,
    }
    assert evaluate([as_mapping], facts(under_investigation=True), as_of=AS_OF, params=PARAMS).outcome == "ineligible"
    with pytest.raises(ValueError, match="outcome"):
        evaluate([rule("m", FLAG_INV, "maybe")], facts(), as_of=AS_OF, params=PARAMS)
    with pytest.raises(ConditionError, match=r"broken: condition\.field"):
        evaluate([rule("broken", {"field": "shoe_size", "op": "eq", "value": 1})], facts(), as_of=AS_OF, params=PARAMS)


def test_recommendation():
    assert recommend({"precheck": "eligible", "global_entry": "eligible"}, travels_internationally=True) == (
        "global_entry"
    )
    assert recommend({"precheck": "eligible", "global_entry": "eligible"}, travels_internationally=False) == (
        "precheck"
    )
    assert recommend({"precheck": "ineligible", "global_entry": "eligible"}, travels_internationally=True) == (
        "global_entry"
    )
    assert recommend({"precheck": "needs_review", "global_entry": "ineligible"}, travels_internationally=True) is None


def _seeded(rules):
    return [
        RuleSpec(**{k: r[k] for k in ("code", "condition", "outcome", "message_en", "message_es", "citation")})
        for r in rules
    ]


def test_the_seeded_rules_through_the_pure_engine():
    precheck, ge = _seeded(PRECHECK_RULES), _seeded(GLOBAL_ENTRY_RULES)
    pending = [offense(category="murder", status="pending", date=dt.date(2025, 1, 1))]
    result = evaluate(precheck, facts(offenses=pending), as_of=AS_OF, params=PARAMS)
    assert result.fired == ("precheck.pending_charge",)
    result = evaluate(ge, facts(citizenships=["CA"], date_of_birth=dt.date(2010, 1, 1)), as_of=AS_OF, params=PARAMS)
    assert result.fired == ("global_entry.citizenship", "global_entry.minor_consent")


# --- properties ---------------------------------------------------------------------------------------------------

COUNTRIES = ["US", "CA", "GB", "MX", "DE", "FR", "JP", "IN"]
INT_OPS = ["eq", "ne", "lt", "lte", "gt", "gte"]


def _cmp(field, op, value=None):
    node = {"field": field, "op": op}
    if value is not None:
        node["value"] = value
    return node


fact_comparisons = st.one_of(
    st.builds(_cmp, st.just("age"), st.sampled_from(INT_OPS), st.integers(-5, 130)),
    st.builds(_cmp, st.just("age"), st.sampled_from(INT_OPS), st.just({"param": "age_of_majority"})),
    st.builds(
        _cmp, st.just("age"), st.sampled_from(["in", "not_in"]), st.lists(st.integers(0, 99), min_size=1, max_size=4)
    ),
    st.builds(
        _cmp,
        st.just("citizenships"),
        st.just("contains_any"),
        st.one_of(
            st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3), st.just({"param": "partner_countries"})
        ),
    ),
    st.builds(_cmp, st.sampled_from(BOOLEAN_FACTS), st.sampled_from(["is_true", "is_false"])),
    st.builds(_cmp, st.sampled_from(BOOLEAN_FACTS), st.sampled_from(["eq", "ne"]), st.booleans()),
)

offense_comparisons = st.one_of(
    st.builds(_cmp, st.just("category"), st.sampled_from(["eq", "ne"]), st.sampled_from(OFFENSE_CATEGORIES)),
    st.builds(
        _cmp,
        st.just("category"),
        st.sampled_from(["in", "not_in"]),
        st.lists(st.sampled_from(OFFENSE_CATEGORIES), min_size=1, max_size=5),
    ),
    st.builds(_cmp, st.just("status"), st.sampled_from(["eq", "ne"]), st.sampled_from(OFFENSE_STATUSES)),
    st.builds(_cmp, st.sampled_from(["date", "released_on"]), st.just("within_years"), st.integers(0, 150)),
)


def _combinators(children):
    return st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    )


offense_conditions = st.recursive(offense_comparisons, _combinators, max_leaves=6)
exists_conditions = st.one_of(
    st.just({"exists": "offenses"}),
    st.builds(lambda w: {"exists": "offenses", "where": w}, offense_conditions),
)
conditions = st.recursive(st.one_of(fact_comparisons, exists_conditions), _combinators, max_leaves=8)

dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=AS_OF)


@st.composite
def offenses_rows(draw):
    date = draw(dates)
    released = draw(st.one_of(st.none(), st.dates(min_value=date, max_value=AS_OF)))
    return {
        "category": draw(st.sampled_from(OFFENSE_CATEGORIES)),
        "status": draw(st.sampled_from(OFFENSE_STATUSES)),
        "date": date,
        "released_on": released,
    }


fact_sets = st.fixed_dictionaries(
    {
        "date_of_birth": dates,
        "citizenships": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3),
        "offenses": st.lists(offenses_rows(), max_size=3),
    },
    optional={name: st.booleans() for name in BOOLEAN_FACTS},
)


@settings(max_examples=200, deadline=None)
@given(condition=conditions, data=fact_sets)
def test_random_valid_conditions_validate_and_evaluate_deterministically(condition, data):
    assert validate_condition(condition) == condition
    derived = derive_facts(data, AS_OF)
    first = evaluate_condition(condition, derived, as_of=AS_OF, params=PARAMS)
    assert isinstance(first, bool)
    assert evaluate_condition(condition, derived, as_of=AS_OF, params=PARAMS) is first
    round_tripped = json.loads(json.dumps(condition))
    assert evaluate_condition(round_tripped, derive_facts(data, AS_OF), as_of=AS_OF, params=PARAMS) is first
    # the logic is two-valued: double negation, excluded middle, De Morgan
    assert evaluate_condition({"not": {"not": condition}}, derived, as_of=AS_OF, params=PARAMS) is first
    assert evaluate_condition({"any": [condition, {"not": condition}]}, derived, as_of=AS_OF, params=PARAMS) is True
    assert evaluate_condition({"all": [condition, {"not": condition}]}, derived, as_of=AS_OF, params=PARAMS) is False


@settings(max_examples=100, deadline=None)
@given(
    specs=st.lists(st.tuples(conditions, st.sampled_from(["ineligible", "needs_review", "condition"])), max_size=5),
    data=fact_sets,
    language=st.sampled_from(["en", "es"]),
)
def test_random_rule_sets_give_the_defined_outcome_deterministically(specs, data, language):
    rules = [rule(f"r{i}", cond, outcome) for i, (cond, outcome) in enumerate(specs)]
    result = evaluate(rules, data, as_of=AS_OF, params=PARAMS, language=language)
    assert evaluate(rules, dict(data), as_of=AS_OF, params=PARAMS, language=language) == result
    derived = derive_facts(data, AS_OF)
    fired = [r for r in rules if evaluate_condition(r.condition, derived, as_of=AS_OF, params=PARAMS)]
    assert result.fired == tuple(r.code for r in fired)
    outcomes = {r.outcome for r in fired}
    expected = (
        "ineligible" if "ineligible" in outcomes else "needs_review" if "needs_review" in outcomes else "eligible"
    )
    assert result.outcome == expected
    suffix = " en español" if language == "es" else " in English"
    assert all(reason.message == reason.code + suffix for reason in result.reasons)


@settings(max_examples=100, deadline=None)
@given(data=fact_sets)
def test_seeded_precheck_rules_match_the_contract_in_plain_python(data):
    """An independent reading of CONTRACTS.md section 1 for PreCheck, compared with the seeded rules."""
    result = evaluate(_seeded(PRECHECK_RULES), data, as_of=AS_OF, params=PARAMS)
    within = lambda d, n: d is not None and years_before(AS_OF, n) <= d <= AS_OF  # noqa: E731
    rows = data["offenses"]
    expected = []
    if "US" not in data["citizenships"] and not data.get("lawful_permanent_resident"):
        expected.append("precheck.citizenship")
    if any(o["category"] in PERMANENT_OFFENSES and o["status"] == "convicted" for o in rows):
        expected.append("precheck.permanent_offense")
    if any(
        o["category"] in INTERIM_OFFENSES
        and o["status"] == "convicted"
        and (within(o["date"], 7) or within(o["released_on"], 5))
        for o in rows
    ):
        expected.append("precheck.interim_offense")
    if any(o["category"] in PERMANENT_OFFENSES + INTERIM_OFFENSES and o["status"] == "pending" for o in rows):
        expected.append("precheck.pending_charge")
    if any(o["category"] == "other_felony" and o["status"] == "convicted" and within(o["date"], 7) for o in rows):
        expected.append("precheck.other_felony_review")
    assert result.fired == tuple(expected)
