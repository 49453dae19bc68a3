"""Conditions compiled to SQL (rules.sql) agree with the engine on the facts of stored profiles.

The reference is always the engine on ``profiles.service.eligibility_facts(profile, as_of)``: a profile matches
the SQL exactly when ``evaluate_condition`` on those facts is true, and ``outcome_expression`` gives exactly
``engine.evaluate(...).outcome`` (NULL where the engine refuses the facts). Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Mapping

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from trusted_traveler.auth.models import Account
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import OPEN, Status
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.profiles.models import ApplicantProfile, Citizenship, OffenseDisclosure
from trusted_traveler.profiles.service import eligibility_facts
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules.conditions import (
    BOOLEAN_FACTS,
    OFFENSE_CATEGORIES,
    OFFENSE_STATUSES,
    ConditionError,
    MissingParameter,
    age_on,
    canonical,
    evaluate_condition,
    parameters_used,
    validate_condition,
    years_before,
)
from trusted_traveler.rules.engine import FactsError, RuleSpec, derive_facts, evaluate
from trusted_traveler.rules.models import Parameter
from trusted_traveler.rules.service import (
    InvalidFacts,
    check_eligibility,
    resolve_params,
    rule_specs,
    rules_of,
    version_in_force,
)
from trusted_traveler.rules.sql import (
    age_cutoff,
    candidate_profiles,
    compile_condition,
    offense_flags,
    outcome_expression,
)

pytestmark = pytest.mark.usefixtures("app_ctx")

AS_OF = dt.date(2025, 6, 15)
PARAMS = {"partner_countries": ["GB", "MX", "DE"], "age_of_majority": 18}
D = dt.date
DAY = dt.timedelta(days=1)
ADULT_DOB = D(1990, 5, 17)
OFFENSE_DATE = D(2024, 1, 1)

_serial = itertools.count(1)


# --- building stored profiles ------------------------------------------------------------------------------------


def make_profile(
    dob: dt.date | None = ADULT_DOB,
    citizenships: Iterable[str] = ("US",),
    *,
    lpr: bool = False,
    offenses: Iterable[Mapping] = (),
    guardian: ApplicantProfile | None = None,
    **flags,
) -> ApplicantProfile:
    """A bare profile (no intake steps), straight into the session: fast enough for hypothesis."""
    n = next(_serial)
    account = Account(issuer="https://sql-compile.test", subject=f"s{n}", email=f"sql{n}@example.com")
    profile = ApplicantProfile(
        account=account,
        date_of_birth=dob,
        lawful_permanent_resident=lpr,
        guardian_profile_id=None if guardian is None else guardian.id,
        intake_progress={},
        **flags,
    )
    profile.citizenships.extend(Citizenship(country_code=code) for code in citizenships)
    profile.offenses.extend(OffenseDisclosure(**row) for row in offenses)
    db.session.add(profile)
    db.session.flush()
    return profile


def offense(category="fraud", status="convicted", date=OFFENSE_DATE, released_on=None) -> dict:
    return {"category": category, "status": status, "date": date, "released_on": released_on}


def add_application(profile: ApplicantProfile, program: str, status: str) -> Application:
    application = Application(
        reference=f"SQL{next(_serial):013d}", profile_id=profile.id, program_id=get_program(program).id, status=status
    )
    db.session.add(application)
    db.session.flush()
    return application


def add_membership(profile: ApplicantProfile, program: str, *, valid_until: dt.date, status="active") -> Membership:
    application = add_application(profile, program, Status.APPROVED.value)
    membership = Membership(
        profile_id=profile.id,
        program_id=application.program_id,
        ktn=f"K{next(_serial):011d}",
        valid_from=valid_until - dt.timedelta(days=5 * 365),
        valid_until=valid_until,
        status=status,
        application_id=application.id,
    )
    db.session.add(membership)
    db.session.flush()
    return membership


# --- the two sides -----------------------------------------------------------------------------------------------


def engine_facts(profile: ApplicantProfile, as_of: dt.date) -> dict | None:
    """The engine's derived facts of a stored profile, or None when the engine refuses them."""
    try:
        return derive_facts(eligibility_facts(profile, as_of), as_of)
    except FactsError:
        return None


@functools.lru_cache(maxsize=4096)
def _validated(condition_json: str) -> dict:
    return validate_condition(json.loads(condition_json))


def engine_matches(condition, profiles, *, as_of=AS_OF, params=PARAMS, facts=None) -> set[int]:
    """The profiles on whose facts the engine finds `condition` true (`facts`: derived facts by id, if known)."""
    condition = _validated(canonical(condition))
    matched = set()
    for profile in profiles:
        derived = facts[profile.id] if facts is not None else engine_facts(profile, as_of)
        if derived is not None and evaluate_condition(condition, derived, as_of=as_of, params=params):
            matched.add(profile.id)
    return matched


def sql_matches(condition, profiles, *, as_of=AS_OF, params=PARAMS) -> set[int]:
    ids = [p.id for p in profiles]
    stmt = select(ApplicantProfile.id).where(ApplicantProfile.id.in_(ids), compile_condition(condition, params, as_of))
    return set(db.session.scalars(stmt))


def within(profiles):
    """The `within` of rules.sql listing `profiles`: sub-queries restricted to them and their guardians."""
    ids = [p.id for p in profiles]
    return (
        select(ApplicantProfile.id.label("profile_id"), ApplicantProfile.guardian_profile_id)
        .where(ApplicantProfile.id.in_(ids))
        .cte("within")
    )


def with_offense_flags(columns, flags):
    """`columns` selected from the profiles LEFT JOINed to the grouped offense pass, as the impact preview does."""
    stmt = select(ApplicantProfile.id, *columns)
    if flags.table is None:
        return stmt.select_from(ApplicantProfile)
    return stmt.select_from(
        ApplicantProfile.__table__.outerjoin(flags.table, flags.table.c.profile_id == ApplicantProfile.id)
    )


def agree_on_all(conditions_, profiles, *, as_of=AS_OF, params=PARAMS) -> list[set[int]]:
    """Like `both` for many conditions at once: one query, each condition (and its negation) a column, compiled
    with uncorrelated sub-queries over whole tables, restricted to the profiles (`within`), and with the offense
    rows read in one grouped pass (`offense_flags`) restricted to the profiles; and the candidate profiles of each
    condition, where it has some, include every profile it matches."""
    facts = {p.id: engine_facts(p, as_of) for p in profiles}
    checked = [*conditions_, *({"not": c} for c in conditions_)]
    restricted = within(profiles)
    flags = offense_flags([(c, params) for c in checked], as_of, within=restricted)
    columns = [compile_condition(c, params, as_of).label(f"c{i}") for i, c in enumerate(checked)]
    columns += [compile_condition(c, params, as_of, within=restricted).label(f"w{i}") for i, c in enumerate(checked)]
    columns += [
        compile_condition(c, params, as_of, within=restricted, offense_flags=flags).label(f"g{i}")
        for i, c in enumerate(checked)
    ]
    rows = db.session.execute(
        with_offense_flags(columns, flags).where(ApplicantProfile.id.in_([p.id for p in profiles]))
    ).all()
    matched = []
    for i, condition in enumerate(checked):
        in_sql = {row[0] for row in rows if row[i + 1]}
        in_engine = engine_matches(condition, profiles, as_of=as_of, params=params, facts=facts)
        assert in_sql == in_engine, {
            "condition": condition,
            "sql only": in_sql - in_engine,
            "engine only": in_engine - in_sql,
        }
        assert {row[0] for row in rows if row[len(checked) + i + 1]} == in_engine, {"within": condition}
        assert {row[0] for row in rows if row[2 * len(checked) + i + 1]} == in_engine, {"offense_flags": condition}
        candidates = candidate_profiles(condition, params, as_of)
        if candidates is not None:
            found = set().union(*(db.session.scalars(q) for q in candidates))
            assert in_engine <= found, {"candidates": condition}
        matched.append(in_sql)
    return matched[: len(conditions_)]


def both(condition, profiles, *, as_of=AS_OF, params=PARAMS, facts=None) -> set[int]:
    """The profiles matched; asserts that the SQL and the engine agree on them."""
    in_sql = sql_matches(condition, profiles, as_of=as_of, params=params)
    in_engine = engine_matches(condition, profiles, as_of=as_of, params=params, facts=facts)
    assert in_sql == in_engine, {
        "condition": condition,
        "sql only": in_sql - in_engine,
        "engine only": in_engine - in_sql,
    }
    return in_sql


def engine_outcomes(rules, profiles, *, as_of=AS_OF, params=PARAMS) -> dict[int, str | None]:
    out = {}
    for profile in profiles:
        try:
            out[profile.id] = evaluate(rules, eligibility_facts(profile, as_of), as_of=as_of, params=params).outcome
        except FactsError:
            out[profile.id] = None
    return out


def sql_outcomes(rules, profiles, *, as_of=AS_OF, params=PARAMS) -> dict[int, str | None]:
    """The outcomes in SQL; the same with the sub-queries restricted to the profiles (`within`), and with the offense
    rows read in one grouped pass (`offense_flags`, over all offenses and restricted to the profiles), or it fails."""
    found = []
    restricted = within(profiles)
    conditions_ = [(r.condition, params) for r in rules]
    for limit, flags in (
        (None, None),
        (restricted, None),
        (None, offense_flags(conditions_, as_of)),
        (restricted, offense_flags(conditions_, as_of, within=restricted)),
    ):
        outcome = outcome_expression(rules, params, as_of, within=limit, offense_flags=flags)
        stmt = select(ApplicantProfile.id, outcome) if flags is None else with_offense_flags([outcome], flags)
        stmt = stmt.where(ApplicantProfile.id.in_([p.id for p in profiles]))
        found.append(dict(db.session.execute(stmt).all()))
    assert found[1] == found[0], "restricting the sub-queries to the profiles changed an outcome"
    assert found[2] == found[0], "reading the offenses in one grouped pass changed an outcome"
    assert found[3] == found[0], "the grouped pass restricted to the profiles changed an outcome"
    return found[0]


def rule(code, condition, outcome="ineligible") -> RuleSpec:
    return RuleSpec(code=code, condition=condition, outcome=outcome, message_en=code, message_es=code)


def ids(*profiles: ApplicantProfile) -> set[int]:
    return {p.id for p in profiles}


def cmp(field, op, value=None) -> dict:
    node = {"field": field, "op": op}
    if value is not None:
        node["value"] = value
    return node


def where(condition) -> dict:
    return {"exists": "offenses", "where": condition}


# --- age ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def around_18():
    """Born exactly 18 years before AS_OF (the birthday), the day before it and the day after it."""
    birthday = D(2007, 6, 15)
    return {
        "day_before": make_profile(birthday - DAY),  # 18 since yesterday
        "birthday": make_profile(birthday),  # 18 today
        "day_after": make_profile(birthday + DAY),  # 17 until tomorrow
    }


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("gte", 18, {"day_before", "birthday"}),
        ("gt", 17, {"day_before", "birthday"}),
        ("gt", 18, set()),
        ("lt", 18, {"day_after"}),
        ("lte", 17, {"day_after"}),
        ("lte", 18, {"day_before", "birthday", "day_after"}),
        ("eq", 18, {"day_before", "birthday"}),
        ("eq", 17, {"day_after"}),
        ("ne", 18, {"day_after"}),
        ("in", [17, 40], {"day_after"}),
        ("in", [18], {"day_before", "birthday"}),
        ("not_in", [18, 19], {"day_after"}),
        ("not_in", [1, 2], {"day_before", "birthday", "day_after"}),
        ("lt", {"param": "age_of_majority"}, {"day_after"}),
        ("gte", {"param": "age_of_majority"}, {"day_before", "birthday"}),
    ],
)
def test_age_turns_on_the_birthday(around_18, op, value, expected):
    matched = both(cmp("age", op, value), around_18.values())
    assert matched == {around_18[name].id for name in expected}


def test_age_negated_and_out_of_range_values():
    adult, baby = make_profile(D(1990, 5, 17)), make_profile(AS_OF)  # 35 and 0
    people = [adult, baby]
    assert both(cmp("age", "eq", 0), people) == ids(baby)
    assert both({"not": cmp("age", "gte", 18)}, people) == ids(baby)
    assert both(cmp("age", "gte", -5), people) == ids(adult, baby)
    assert both(cmp("age", "lt", -5), people) == set()
    # far beyond any date a database holds: no date of birth is old enough, or every one is young enough
    assert both(cmp("age", "gte", 10**9), people) == set()
    assert both(cmp("age", "lt", 10**9), people) == ids(adult, baby)
    assert both(cmp("age", "gt", -(10**9)), people) == ids(adult, baby)
    assert both(cmp("age", "lte", -(10**9)), people) == set()
    assert both(cmp("age", "ne", 10**9), people) == ids(adult, baby)


@pytest.mark.parametrize(
    ("as_of", "ages"),
    [
        (D(2026, 2, 28), {"leapling": 17, "feb28": 18, "mar1": 17}),  # common year: a leapling turns 18 on 1 March
        (D(2026, 3, 1), {"leapling": 18, "feb28": 18, "mar1": 18}),
        (D(2028, 2, 28), {"leapling": 19, "feb28": 20, "mar1": 19}),
        (D(2028, 2, 29), {"leapling": 20, "feb28": 20, "mar1": 19}),  # as_of 29 Feb, 18 years back is 28 Feb
    ],
)
def test_age_of_someone_born_on_29_february(as_of, ages):
    people = {
        "leapling": make_profile(D(2008, 2, 29)),
        "feb28": make_profile(D(2008, 2, 28)),
        "mar1": make_profile(D(2008, 3, 1)),
    }
    for name, age in ages.items():
        assert age_on(people[name].date_of_birth, as_of) == age
    for op in ("eq", "gte", "gt", "lt", "lte", "ne"):
        for value in (17, 18, 19, 20):
            both(cmp("age", op, value), people.values(), as_of=as_of)
    for value in sorted(set(ages.values())):
        expected = {people[name].id for name, age in ages.items() if age == value}
        assert both(cmp("age", "eq", value), people.values(), as_of=as_of) == expected


def test_age_cutoffs_are_the_engines_birthday_rule():
    assert age_cutoff(D(2025, 6, 15), 18) == D(2007, 6, 15)
    assert age_cutoff(D(2028, 2, 29), 1) == D(2027, 2, 28)
    assert age_cutoff(D(2028, 2, 29), 4) == D(2024, 2, 29)
    assert age_cutoff(D(2025, 6, 15), -1) == D(2026, 6, 15)
    assert age_cutoff(D(2025, 6, 15), 2025) is False  # nobody is that old
    assert age_cutoff(D(2025, 6, 15), -8000) is True  # everybody is that old


@settings(max_examples=300, deadline=None)
@given(
    dob=st.dates(),
    as_of=st.dates(),
    years=st.one_of(st.integers(-3, 130), st.integers(-12000, 12000)),
)
def test_age_cutoff_is_exactly_age_on(dob, as_of, years):
    """age_on(dob, as_of) >= N exactly when dob <= the cut-off, for every pair of dates (no database involved)."""
    cutoff = age_cutoff(as_of, years)
    at_least = cutoff if isinstance(cutoff, bool) else dob <= cutoff
    assert (age_on(dob, as_of) >= years) is at_least


# --- a date of birth the engine refuses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        cmp("age", "gte", 0),
        {"not": cmp("age", "gte", 18)},
        cmp("age", "ne", 5),
        cmp("age", "not_in", [5]),
        cmp("travels_internationally", "is_true"),
        {"not": cmp("under_investigation", "is_true")},
        {"not": {"exists": "offenses"}},
        cmp("citizenships", "contains_any", ["US"]),
    ],
)
def test_no_or_a_future_date_of_birth_never_matches_as_the_engine_refuses_it(condition):
    unknown, unborn, known = make_profile(None), make_profile(AS_OF + DAY), make_profile(D(1990, 5, 17))
    for profile in (unknown, unborn):
        with pytest.raises(FactsError):
            derive_facts(eligibility_facts(profile, AS_OF), AS_OF)
    assert both(condition, [unknown, unborn, known]) <= ids(known)
    assert sql_outcomes([rule("r", condition)], [unknown, unborn, known]) == {
        unknown.id: None,
        unborn.id: None,
        known.id: engine_outcomes([rule("r", condition)], [known])[known.id],
    }


def test_born_on_the_as_of_date_is_assessable():
    newborn = make_profile(AS_OF)
    assert both(cmp("age", "eq", 0), [newborn]) == ids(newborn)


# --- citizenships and boolean facts ------------------------------------------------------------------------------


def test_citizenships_contains_any():
    us, dual, lower, stateless = (
        make_profile(citizenships=["US"]),
        make_profile(citizenships=["CA", "GB"]),
        make_profile(citizenships=["mx"]),  # stored lower case: the engine upper-cases codes
        make_profile(citizenships=[]),
    )
    people = [us, dual, lower, stateless]
    assert both(cmp("citizenships", "contains_any", ["US"]), people) == ids(us)
    assert both(cmp("citizenships", "contains_any", ["FR", "GB"]), people) == ids(dual)
    assert both(cmp("citizenships", "contains_any", ["MX"]), people) == ids(lower)
    assert both(cmp("citizenships", "contains_any", {"param": "partner_countries"}), people) == ids(dual, lower)
    assert both({"not": cmp("citizenships", "contains_any", ["US", "CA"])}, people) == ids(lower, stateless)


@pytest.mark.parametrize("flag", ["customs_immigration_violation", "under_investigation", "inadmissible_or_waiver"])
def test_nullable_flags_count_null_as_false(flag):
    unanswered, yes, no = make_profile(**{flag: None}), make_profile(**{flag: True}), make_profile(**{flag: False})
    people = [unanswered, yes, no]
    assert both(cmp(flag, "is_true"), people) == ids(yes)
    assert both(cmp(flag, "is_false"), people) == ids(unanswered, no)
    assert both(cmp(flag, "eq", True), people) == ids(yes)
    assert both(cmp(flag, "eq", False), people) == ids(unanswered, no)
    assert both(cmp(flag, "ne", True), people) == ids(unanswered, no)
    assert both(cmp(flag, "ne", False), people) == ids(yes)
    assert both({"not": cmp(flag, "is_true")}, people) == ids(unanswered, no)
    assert both({"not": cmp(flag, "eq", False)}, people) == ids(yes)


def test_lawful_permanent_resident():
    lpr, citizen = make_profile(citizenships=["GB"], lpr=True), make_profile()
    people = [lpr, citizen]
    assert both(cmp("lawful_permanent_resident", "is_true"), people) == ids(lpr)
    assert both(cmp("lawful_permanent_resident", "eq", False), people) == ids(citizen)
    assert both({"not": cmp("lawful_permanent_resident", "ne", True)}, people) == ids(lpr)


def test_travels_internationally_is_always_true_for_a_stored_profile():
    people = [make_profile(), make_profile(D(2015, 1, 1), ["GB"])]
    assert both(cmp("travels_internationally", "is_true"), people) == ids(*people)
    assert both(cmp("travels_internationally", "eq", True), people) == ids(*people)
    assert both(cmp("travels_internationally", "is_false"), people) == set()
    assert both(cmp("travels_internationally", "ne", True), people) == set()
    assert both({"not": cmp("travels_internationally", "eq", False)}, people) == ids(*people)


def test_parent_member_or_applying_follows_the_guardian():
    minor = D(2015, 1, 1)
    guardians = {
        "member_until_as_of": add_membership(make_profile(), "global_entry", valid_until=AS_OF).profile,
        "member_expired_yesterday": add_membership(make_profile(), "global_entry", valid_until=AS_OF - DAY).profile,
        "member_marked_expired": add_membership(
            make_profile(), "global_entry", valid_until=AS_OF + DAY * 400, status="expired"
        ).profile,
        "member_revoked": add_membership(
            make_profile(), "global_entry", valid_until=AS_OF + DAY * 400, status="revoked"
        ).profile,
        "precheck_member": add_membership(make_profile(), "precheck", valid_until=AS_OF + DAY * 400).profile,
        "applying_draft": add_application(make_profile(), "global_entry", "draft").profile,
        "applying_in_vetting": add_application(make_profile(), "global_entry", "in_vetting").profile,
        "withdrawn": add_application(make_profile(), "global_entry", "withdrawn").profile,
        "denied": add_application(make_profile(), "global_entry", "denied").profile,
        "applying_precheck": add_application(make_profile(), "precheck", "submitted").profile,
        "nothing": make_profile(),
    }
    children = {name: make_profile(minor, guardian=g) for name, g in guardians.items()}
    orphan = make_profile(minor)
    people = [*children.values(), orphan, *guardians.values()]
    yes = {"member_until_as_of", "applying_in_vetting"}  # an unpaid draft is no proof (BRIEF.md section 2)
    expected = {children[name].id for name in yes}
    assert both(cmp("parent_member_or_applying", "is_true"), people) == expected
    assert both(cmp("parent_member_or_applying", "ne", True), people) == ids(*people) - expected
    assert both({"not": cmp("parent_member_or_applying", "eq", True)}, people) == ids(*people) - expected
    # the day after the membership ends, it no longer counts
    later = both(cmp("parent_member_or_applying", "is_true"), people, as_of=AS_OF + DAY)
    assert later == expected - ids(children["member_until_as_of"])


def test_a_guardian_who_is_not_an_adult_or_is_the_minor_themself_counts_for_nothing():
    """A brother's or sister's membership or application is no parent's (profiles.service._adult_guardian_id)."""
    sixteen = D(AS_OF.year - 16, 1, 1)
    eighteen_today = AS_OF.replace(year=AS_OF.year - 18)
    sister_member = add_membership(make_profile(sixteen), "global_entry", valid_until=AS_OF + DAY * 400).profile
    sister_applying = add_application(make_profile(sixteen), "global_entry", "in_vetting").profile
    of_age_today = add_application(make_profile(eighteen_today), "global_entry", "in_vetting").profile
    no_birth_date = add_application(make_profile(None), "global_entry", "in_vetting").profile
    children = [make_profile(D(2015, 1, 1), guardian=g) for g in (sister_member, sister_applying, of_age_today)]
    children.append(make_profile(D(2015, 1, 1), guardian=no_birth_date))
    themself = make_profile(D(2015, 1, 1))
    add_application(themself, "global_entry", "in_vetting")
    themself.guardian_profile_id = themself.id
    db.session.flush()
    people = [*children, themself]
    assert both(cmp("parent_member_or_applying", "is_true"), people) == ids(children[2])
    # the day before the 18th birthday, not yet
    assert both(cmp("parent_member_or_applying", "is_true"), people, as_of=AS_OF - DAY) == set()


def test_every_submitted_open_global_entry_status_counts_as_applying():
    children = {}
    for status in Status:
        parent = make_profile()
        add_application(parent, "global_entry", status.value)
        children[status] = make_profile(D(2015, 1, 1), guardian=parent)
    matched = both(cmp("parent_member_or_applying", "is_true"), children.values())
    assert matched == {child.id for status, child in children.items() if status in OPEN - {Status.DRAFT}}
    assert OPEN and set(Status) - OPEN  # both kinds were tried


# --- offenses ----------------------------------------------------------------------------------------------------


def test_exists_offenses_with_and_without_where():
    clean = make_profile()
    fraud = make_profile(offenses=[offense("fraud", "convicted")])
    pending = make_profile(offenses=[offense("murder", "pending"), offense("dui", "convicted")])
    people = [clean, fraud, pending]
    assert both({"exists": "offenses"}, people) == ids(fraud, pending)
    assert both({"not": {"exists": "offenses"}}, people) == ids(clean)
    assert both(where(cmp("category", "eq", "fraud")), people) == ids(fraud)
    assert both(where(cmp("category", "ne", "fraud")), people) == ids(pending)
    assert both(where(cmp("category", "in", ["murder", "arson"])), people) == ids(pending)
    assert both(where(cmp("category", "not_in", ["murder", "fraud"])), people) == ids(pending)  # the dui row
    assert both(where(cmp("status", "eq", "pending")), people) == ids(pending)
    assert both(where(cmp("status", "ne", "pending")), people) == ids(fraud, pending)
    assert both(where(cmp("status", "in", ["convicted"])), people) == ids(fraud, pending)
    assert both(where(cmp("status", "not_in", ["convicted", "pending"])), people) == set()
    # one row must satisfy the whole where: no single row is both murder and convicted
    murder_convicted = where({"all": [cmp("category", "eq", "murder"), cmp("status", "eq", "convicted")]})
    assert both(murder_convicted, people) == set()
    assert both({"not": where({"not": cmp("status", "eq", "convicted")})}, people) == ids(clean, fraud)


@pytest.mark.parametrize(
    ("offense_date", "within_7"),
    [
        (D(2018, 6, 15), True),  # exactly 7 years back
        (D(2018, 6, 14), False),  # 7 years and a day
        (AS_OF, True),
        (AS_OF + DAY, False),  # after as_of: never within the window
    ],
)
def test_within_years_is_inclusive_at_both_ends(offense_date, within_7):
    person = make_profile(offenses=[offense(date=offense_date)])
    assert both(where(cmp("date", "within_years", 7)), [person]) == (ids(person) if within_7 else set())
    assert both(where({"not": cmp("date", "within_years", 7)}), [person]) == (set() if within_7 else ids(person))


def test_within_zero_and_150_years():
    today, yesterday, ancient = (
        make_profile(offenses=[offense(date=AS_OF)]),
        make_profile(offenses=[offense(date=AS_OF - DAY)]),
        make_profile(offenses=[offense(date=D(1875, 6, 15))]),
    )
    people = [today, yesterday, ancient]
    assert both(where(cmp("date", "within_years", 0)), people) == ids(today)
    assert both(where(cmp("date", "within_years", 150)), people) == ids(*people)
    assert both(where(cmp("date", "within_years", 149)), people) == ids(today, yesterday)


def test_within_years_back_from_29_february():
    as_of = D(2028, 2, 29)  # one year back is 28 February 2027
    on_cutoff = make_profile(offenses=[offense(date=D(2027, 2, 28))])
    before = make_profile(offenses=[offense(date=D(2027, 2, 27))])
    leap_back = make_profile(offenses=[offense(date=D(2024, 2, 29))])  # exactly 4 years back
    people = [on_cutoff, before, leap_back]
    assert years_before(as_of, 1) == D(2027, 2, 28)
    assert both(where(cmp("date", "within_years", 1)), people, as_of=as_of) == ids(on_cutoff)
    assert both(where(cmp("date", "within_years", 4)), people, as_of=as_of) == ids(*people)


def test_a_missing_release_date_is_false_whatever_the_op_and_not_inverts_it():
    never_released = make_profile(offenses=[offense(released_on=None)])
    released = make_profile(offenses=[offense(released_on=D(2023, 1, 1))])
    long_ago = make_profile(offenses=[offense(date=D(2001, 1, 1), released_on=D(2002, 1, 1))])
    people = [never_released, released, long_ago]
    within = cmp("released_on", "within_years", 5)
    assert both(where(within), people) == ids(released)
    assert both(where({"not": within}), people) == ids(never_released, long_ago)
    assert both(where({"not": {"not": within}}), people) == ids(released)
    assert both(where({"any": [within, {"not": within}]}), people) == ids(*people)
    assert both(where({"all": [within, {"not": within}]}), people) == set()
    assert both({"not": where(within)}, people) == ids(never_released, long_ago)


def test_all_any_not_nest_two_valued():
    teen_no_answers = make_profile(D(2010, 1, 1), ["GB"], under_investigation=None)
    adult_investigated = make_profile(D(1980, 1, 1), ["US"], under_investigation=True)
    people = [teen_no_answers, adult_investigated]
    condition = {
        "not": {
            "any": [
                {"all": [cmp("age", "gte", 18), cmp("under_investigation", "is_true")]},
                {"not": cmp("citizenships", "contains_any", ["GB", "FR"])},
            ]
        }
    }
    assert both(condition, people) == ids(teen_no_answers)
    assert both({"all": [condition, {"not": condition}]}, people) == set()


# --- outcomes and the seeded rules -------------------------------------------------------------------------------


def test_outcome_precedence_and_condition_rules():
    rules = [
        rule("minor", cmp("age", "lt", {"param": "age_of_majority"}), "condition"),
        rule("review", cmp("customs_immigration_violation", "is_true"), "needs_review"),
        rule("block", cmp("under_investigation", "is_true"), "ineligible"),
    ]
    people = {
        "eligible": make_profile(),
        "minor": make_profile(D(2015, 1, 1)),
        "review": make_profile(customs_immigration_violation=True),
        "block": make_profile(customs_immigration_violation=True, under_investigation=True),
        "no_dob": make_profile(None),
    }
    expected = {"eligible": "eligible", "minor": "eligible", "review": "needs_review", "block": "ineligible"}
    expected["no_dob"] = None
    outcomes = sql_outcomes(rules, people.values())
    assert outcomes == {people[name].id: outcome for name, outcome in expected.items()}
    assert outcomes == engine_outcomes(rules, people.values())
    assert set(sql_outcomes([], people.values()).values()) == {"eligible", None}


def test_compile_errors_mirror_the_engine():
    with pytest.raises(ConditionError, match=r"bad: condition\.field"):
        outcome_expression([rule("bad", cmp("shoe_size", "eq", 1))], PARAMS, AS_OF)
    with pytest.raises(ValueError, match="outcome"):
        outcome_expression([rule("odd", cmp("under_investigation", "is_true"), "maybe")], PARAMS, AS_OF)
    with pytest.raises(ConditionError, match="does not hold"):
        compile_condition(cmp("age", "lt", {"param": "age_of_majority"}), {"age_of_majority": "18"}, AS_OF)
    # SQL cannot ask for a parameter only when a row reaches it: every reference needs a value when compiling
    partner = {
        "any": [
            cmp("citizenships", "contains_any", ["US"]),
            cmp("citizenships", "contains_any", {"param": "partner_countries"}),
        ]
    }
    with pytest.raises(MissingParameter) as caught:
        compile_condition(partner, {}, AS_OF)
    assert caught.value.key == "partner_countries"


def _seeded_program(code: str, as_of: dt.date):
    program = get_program(code)
    rules = rule_specs(rules_of(version_in_force(program, as_of)))
    params = resolve_params(program, set().union(*(parameters_used(r.condition) for r in rules)), as_of)
    return rules, params


def _check_outcomes(profiles, as_of) -> dict[str, dict[int, str | None]]:
    out: dict[str, dict[int, str | None]] = {"precheck": {}, "global_entry": {}}
    for profile in profiles:
        try:
            answer = check_eligibility(eligibility_facts(profile, as_of), as_of=as_of)
        except InvalidFacts:
            answer = {"programs": {code: {"outcome": None} for code in out}}
        for code in out:
            out[code][profile.id] = answer["programs"][code]["outcome"]
    return out


def seeded_personas() -> list[ApplicantProfile]:
    parent = make_profile(D(1980, 1, 1))
    add_application(parent, "global_entry", "submitted")
    return [
        make_profile(),  # clean U.S. adult
        make_profile(citizenships=["GB"]),  # partner country: Global Entry only
        make_profile(citizenships=["GB"], lpr=True),
        make_profile(citizenships=["CA"]),  # neither
        make_profile(D(2012, 3, 3), guardian=parent),  # a minor whose parent is applying
        make_profile(offenses=[offense("murder", "convicted", D(1990, 1, 1))]),  # permanent
        make_profile(offenses=[offense("fraud", "convicted", D(2018, 6, 15))]),  # interim, exactly 7 years
        make_profile(offenses=[offense("fraud", "convicted", D(2018, 6, 14))]),  # interim, 7 years and a day
        make_profile(offenses=[offense("fraud", "convicted", D(2010, 1, 1), D(2020, 6, 15))]),  # released 5y ago
        make_profile(offenses=[offense("fraud", "convicted", D(2010, 1, 1), D(2020, 6, 14))]),
        make_profile(offenses=[offense("arson", "pending", D(2025, 1, 1))]),
        make_profile(offenses=[offense("other_felony", "convicted", D(2020, 1, 1))]),  # PreCheck review
        make_profile(offenses=[offense("dui", "convicted", D(2024, 1, 1))]),  # Global Entry only
        make_profile(under_investigation=True),
        make_profile(customs_immigration_violation=True, inadmissible_or_waiver=None),
        parent,
    ]


@pytest.mark.parametrize("program", ["precheck", "global_entry"])
def test_seeded_rules_agree_with_check_eligibility(program):
    people = seeded_personas()
    rules, params = _seeded_program(program, AS_OF)
    in_sql = sql_outcomes(rules, people, params=params)
    assert in_sql == _check_outcomes(people, AS_OF)[program]
    assert in_sql == engine_outcomes(rules, people, params=params)
    expected_kinds = {"eligible", "ineligible"} | ({"needs_review"} if program == "precheck" else set())
    assert set(in_sql.values()) == expected_kinds  # the personas reach every outcome the program has


def test_impact_preview_groups_applications_by_outcome():
    """The query the preview runs: GROUP BY the CASE over applications joined to their profiles. The guardian
    sub-queries read applications too, and must not be correlated to the outer applications."""
    people = seeded_personas()
    for profile in people:
        add_application(profile, "precheck", "draft")
    for program in ("precheck", "global_entry"):
        rules, params = _seeded_program(program, AS_OF)
        outcome = outcome_expression(rules, params, AS_OF)
        stmt = (
            select(outcome, func.count())
            .select_from(Application)
            .join(ApplicantProfile, Application.profile_id == ApplicantProfile.id)
            .where(Application.program_id == get_program("precheck").id)
            .group_by(outcome)
        )
        counts = dict(db.session.execute(stmt).all())
        assert counts == dict(Counter(_check_outcomes(people, AS_OF)[program].values()))


def test_seeded_global_entry_before_the_partner_list_existed():
    """With a partner-country list that starts on 2018-11-01 (in place of the seeded one), no partner_countries value
    is in force before. The engine fails only for people who reach that comparison; compiling the rules needs the
    value for everyone, so it fails up front."""
    for seeded in db.session.scalars(select(Parameter).where(Parameter.key == "partner_countries")).all():
        db.session.add(
            Parameter(
                program_id=seeded.program_id,
                key="partner_countries",
                value=seeded.value,
                effective_from=D(2018, 11, 1),
                reference="test",
            )
        )
        db.session.delete(seeded)
    db.session.flush()
    as_of = D(2015, 6, 15)
    rules, params = _seeded_program("global_entry", as_of)
    assert "partner_countries" not in params
    citizen = make_profile()
    assert engine_outcomes(rules, [citizen], as_of=as_of, params=params) == {citizen.id: "eligible"}
    with pytest.raises(MissingParameter):
        outcome_expression(rules, params, as_of)


# --- properties: random profiles, random valid conditions --------------------------------------------------------

COUNTRIES = ["US", "CA", "GB", "MX", "DE", "FR"]
AGES = [0, 17, 18, 21, 65]
YEARS = [0, 1, 5, 7, 150]
# parent_member_or_applying needs a linked guardian with the right membership: ask about it more often
FLAGS = [*BOOLEAN_FACTS, "parent_member_or_applying", "parent_member_or_applying"]
INT_OPS = ["eq", "ne", "lt", "lte", "gt", "gte"]
AS_OFS = [AS_OF, D(2026, 2, 28), D(2026, 3, 1), D(2028, 2, 28), D(2028, 2, 29), D(2024, 2, 29), D(2032, 2, 29)]
LEAP_DAYS = [D(2000, 2, 29), D(2004, 2, 29), D(2008, 2, 29), D(2012, 2, 29), D(2024, 2, 29)]
CATEGORIES = ["murder", "fraud", "arson", "dui", "other_felony", "terrorism"]  # few, so conditions hit them
STATUSES = sorted(s.value for s in Status)

ages = st.one_of(st.sampled_from(AGES), st.sampled_from(AGES), st.integers(-5, 130))
years = st.one_of(st.sampled_from(YEARS), st.integers(0, 150))
categories = st.one_of(st.sampled_from(CATEGORIES), st.sampled_from(OFFENSE_CATEGORIES))

fact_comparisons = st.one_of(
    st.builds(cmp, st.just("age"), st.sampled_from(INT_OPS), ages),
    st.builds(cmp, st.just("age"), st.sampled_from(INT_OPS), st.just({"param": "age_of_majority"})),
    st.builds(cmp, st.just("age"), st.sampled_from(["in", "not_in"]), st.lists(ages, min_size=1, max_size=4)),
    st.builds(
        cmp,
        st.just("citizenships"),
        st.just("contains_any"),
        st.one_of(
            st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3), st.just({"param": "partner_countries"})
        ),
    ),
    st.builds(cmp, st.sampled_from(FLAGS), st.sampled_from(["is_true", "is_false"])),
    st.builds(cmp, st.sampled_from(FLAGS), st.sampled_from(["eq", "ne"]), st.booleans()),
)
offense_comparisons = st.one_of(
    st.builds(cmp, st.just("category"), st.sampled_from(["eq", "ne"]), categories),
    st.builds(
        cmp, st.just("category"), st.sampled_from(["in", "not_in"]), st.lists(categories, min_size=1, max_size=5)
    ),
    st.builds(cmp, st.just("status"), st.sampled_from(["eq", "ne"]), st.sampled_from(OFFENSE_STATUSES)),
    st.builds(
        cmp,
        st.just("status"),
        st.sampled_from(["in", "not_in"]),
        st.lists(st.sampled_from(OFFENSE_STATUSES), min_size=1, max_size=2),
    ),
    st.builds(cmp, st.sampled_from(["date", "released_on"]), st.just("within_years"), years),
    st.builds(cmp, st.sampled_from(["date", "released_on"]), st.just("within_years"), years),
)


def _combinators(children):
    return st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    )


offense_conditions = st.recursive(offense_comparisons, _combinators, max_leaves=6)
exists_conditions = st.one_of(
    st.just({"exists": "offenses"}), st.builds(lambda w: {"exists": "offenses", "where": w}, offense_conditions)
)
conditions = st.recursive(st.one_of(fact_comparisons, exists_conditions), _combinators, max_leaves=8)
rule_lists = st.lists(
    st.tuples(conditions, st.sampled_from(["ineligible", "needs_review", "condition"])), min_size=0, max_size=5
)


def subconditions(condition: dict) -> list[dict]:
    """The condition and every condition inside it, each as a condition of the facts (a part of an offense's
    `where` becomes ``exists offenses where <part>``), so that a leaf compiled wrongly shows on its own."""
    found: list[dict] = []

    def walk(node: dict, wrap) -> None:
        found.append(wrap(node))
        for key in ("all", "any"):
            for child in node.get(key, ()):
                walk(child, wrap)
        if "not" in node:
            walk(node["not"], wrap)
        if node.get("where") is not None:
            walk(node["where"], where)

    walk(condition, lambda node: node)
    unique = {canonical(c): c for c in found}
    return list(unique.values())


def _near(draw, day: dt.date) -> dt.date:
    return day + DAY * draw(st.integers(-1, 1))


@st.composite
def dates_near_birthdays(draw, as_of: dt.date) -> dt.date | None:
    """A date of birth on, or a day either side of, the day someone turns one of AGES; or a leap day, any date,
    a date after as_of (refused by the engine), or none."""
    choice = draw(st.sampled_from(["birthday", "birthday", "birthday", "leap", "any", "future", "none"]))
    if choice == "birthday":
        return _near(draw, years_before(as_of, draw(st.sampled_from(AGES))))
    if choice == "leap":
        return draw(st.sampled_from(LEAP_DAYS))
    if choice == "any":
        return draw(st.dates(min_value=D(1900, 1, 1), max_value=as_of))
    if choice == "future":
        return as_of + DAY * draw(st.integers(1, 400))
    return None


@st.composite
def dates_near_windows(draw, as_of: dt.date) -> dt.date:
    """A date on, or a day either side of, the start of a look-back window (or as_of itself), or any date."""
    if draw(st.booleans()):
        return _near(draw, years_before(as_of, draw(st.sampled_from(YEARS))))
    return draw(st.dates(min_value=D(1900, 1, 1), max_value=as_of + DAY * 30))


@st.composite
def offense_rows(draw, as_of: dt.date) -> dict:
    return offense(
        category=draw(categories),
        status=draw(st.sampled_from(OFFENSE_STATUSES)),
        date=draw(dates_near_windows(as_of)),
        released_on=draw(st.one_of(st.none(), dates_near_windows(as_of))),
    )


@st.composite
def profile_specs(draw, as_of: dt.date) -> dict:
    return {
        "dob": draw(dates_near_birthdays(as_of)),
        "citizenships": draw(st.lists(st.sampled_from([*COUNTRIES, "us", "gb", "mx"]), unique=True, max_size=3)),
        "lpr": draw(st.booleans()),
        "flags": {
            name: draw(st.sampled_from([None, False, True]))
            for name in ("customs_immigration_violation", "under_investigation", "inadmissible_or_waiver")
        },
        "offenses": draw(st.lists(offense_rows(as_of), max_size=3)),
        # one of the example's parents, any profile made before (an index), or none
        "guardian": draw(
            st.one_of(
                st.none(),
                st.tuples(st.just("parent"), st.integers(0, 1)),
                st.tuples(st.just("parent"), st.integers(0, 1)),
                st.integers(0, 9),
            )
        ),
    }


# What a parent holds: a membership (program, status, valid_until in days from as_of), an application (program,
# status), or nothing. The boundary (an active Global Entry membership ending on as_of or the day before) is
# drawn on purpose.
holdings = st.one_of(
    st.tuples(
        st.just("member"),
        st.sampled_from(["global_entry", "precheck"]),
        st.sampled_from(["active", "expired", "revoked"]),
        st.sampled_from([-400, -1, 0, 1, 400]),
    ),
    st.tuples(st.just("member"), st.just("global_entry"), st.just("active"), st.sampled_from([-1, 0])),
    st.tuples(st.just("member"), st.just("global_entry"), st.just("active"), st.sampled_from([-1, 0])),
    st.tuples(st.just("application"), st.sampled_from(["global_entry", "precheck"]), st.sampled_from(STATUSES)),
)


@st.composite
def scenarios(draw) -> tuple[dt.date, list[list[tuple]], list[dict]]:
    as_of = draw(
        st.one_of(
            st.sampled_from(AS_OFS),
            st.sampled_from(AS_OFS),
            st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31)),
        )
    )
    parents = draw(st.lists(st.lists(holdings, max_size=2), min_size=1, max_size=2))
    people = draw(st.lists(profile_specs(as_of), min_size=2, max_size=5))
    return as_of, parents, people


def build(as_of: dt.date, parents: list[list[tuple]], people: list[dict]) -> list[ApplicantProfile]:
    made: list[ApplicantProfile] = []
    for holds in parents:
        parent = make_profile(D(1980, 7, 1))
        applied: set[str] = set()
        for kind, program, status, *days in holds:
            if kind == "member":
                add_membership(parent, program, valid_until=as_of + DAY * days[0], status=status)
            elif program not in applied:  # the database allows one open application per program
                add_application(parent, program, status)
                applied.add(program)
        made.append(parent)
    for spec in people:
        link = spec["guardian"]
        if link is None:
            guardian = None
        elif isinstance(link, tuple):
            guardian = made[link[1] % len(parents)]
        else:
            guardian = made[link % len(made)]
        made.append(
            make_profile(
                spec["dob"],
                spec["citizenships"],
                lpr=spec["lpr"],
                offenses=spec["offenses"],
                guardian=guardian,
                **spec["flags"],
            )
        )
    return made


def _person(dob, *, citizenships=("US",), offenses=(), guardian=None, **flags) -> dict:
    no_answers = dict.fromkeys(("customs_immigration_violation", "under_investigation", "inadmissible_or_waiver"))
    return {
        "dob": dob,
        "citizenships": list(citizenships),
        "lpr": False,
        "flags": no_answers | flags,
        "offenses": list(offenses),
        "guardian": guardian,
    }


# Always tried first, whatever hypothesis draws: the boundaries on 29 February, a membership ending on as_of,
# a release date missing and one exactly 5 years back.
LEAP_SCENARIO = (
    D(2028, 2, 29),
    [[("member", "global_entry", "active", 0)], [("member", "global_entry", "active", -1)]],
    [
        _person(D(2010, 2, 27), guardian=("parent", 0)),
        _person(D(2010, 2, 28), guardian=("parent", 1), citizenships=["gb"]),
        _person(D(2010, 3, 1), offenses=[offense(date=D(2021, 2, 28), released_on=None)]),
        _person(D(2012, 2, 29), offenses=[offense(date=D(2021, 3, 1), released_on=D(2023, 2, 28))]),
        _person(None, under_investigation=True),
    ],
)

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


# Every leaf at the ages and windows the data is drawn around: whatever the random conditions, each boundary the
# profiles sit on is checked on its own (and negated) in every example.
LEAVES = [
    *(cmp("age", op, n + d) for n in AGES for d in (-1, 0) for op in ("gte", "eq")),
    cmp("age", "lt", {"param": "age_of_majority"}),
    *(cmp("citizenships", "contains_any", [c]) for c in COUNTRIES),
    *(cmp(flag, "is_true") for flag in BOOLEAN_FACTS),
    {"exists": "offenses"},
    *(where(cmp(field, "within_years", y)) for field in ("date", "released_on") for y in YEARS),
    *(where({"not": cmp(field, "within_years", y)}) for field in ("date", "released_on") for y in (0, 5, 7)),
    *(where(cmp("category", "eq", c)) for c in CATEGORIES),
    where(cmp("status", "eq", "pending")),
]


@PROPERTY_SETTINGS
@given(scenario=scenarios(), conditions_=st.lists(conditions, min_size=1, max_size=3))
@example(scenario=LEAP_SCENARIO, conditions_=[{"not": cmp("parent_member_or_applying", "is_true")}])
def test_random_conditions_match_the_same_profiles_in_sql_and_in_the_engine(scenario, conditions_):
    as_of, parents, people = scenario
    for condition in conditions_:
        assert validate_condition(condition) == condition
    parts = list({canonical(p): p for c in conditions_ for p in subconditions(c)}.values())
    try:
        profiles = build(as_of, parents, people)
        for matched in agree_on_all([*parts, *LEAVES], profiles, as_of=as_of)[: len(parts)]:
            event("matched " + ("none" if not matched else "all" if len(matched) == len(profiles) else "some"))
    finally:
        db.session.rollback()  # nothing here is committed: the example's rows go


@PROPERTY_SETTINGS
@given(scenario=scenarios(), specs=rule_lists)
def test_random_rule_lists_give_the_engines_outcome(scenario, specs):
    as_of, parents, people = scenario
    rules = [rule(f"r{i}", condition, outcome) for i, (condition, outcome) in enumerate(specs)]
    try:
        profiles = build(as_of, parents, people)
        outcomes = sql_outcomes(rules, profiles, as_of=as_of)
        assert outcomes == engine_outcomes(rules, profiles, as_of=as_of)
        for outcome in set(outcomes.values()):
            event(f"outcome {outcome}")
    finally:
        db.session.rollback()


@settings(max_examples=25, deadline=None, suppress_health_check=list(PROPERTY_SETTINGS.suppress_health_check))
@given(scenario=scenarios().filter(lambda s: s[0] >= D(2018, 11, 1)))
def test_random_profiles_under_the_seeded_rules_agree_with_check_eligibility(scenario):
    as_of, parents, people = scenario
    try:
        profiles = build(as_of, parents, people)
        expected = _check_outcomes(profiles, as_of)
        for program in ("precheck", "global_entry"):
            rules, params = _seeded_program(program, as_of)
            got = sql_outcomes(rules, profiles, as_of=as_of, params=params)
            # check_eligibility also refuses a profile without citizenships, which the engine itself evaluates
            for profile in profiles:
                if profile.citizenships:
                    assert got[profile.id] == expected[program][profile.id]
                else:
                    assert got[profile.id] == engine_outcomes(rules, [profile], as_of=as_of, params=params)[profile.id]
    finally:
        db.session.rollback()
