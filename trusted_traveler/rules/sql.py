"""Conditions compiled to SQL: the eligibility rules evaluated in the database, over stored applicant profiles.

A program lead's impact preview ("how many of the stored applications would this draft rule set make
ineligible?") cannot load a million profiles into Python. `compile_condition` turns a condition of the language in
rules.conditions into a SQLAlchemy boolean expression over `ApplicantProfile` (correlated to the profile row), and
`outcome_expression` turns a program's rules into a CASE giving the outcome `rules.engine.evaluate` would decide:

    outcome = outcome_expression(rules, params, as_of)  # params: rules.service.resolve_params on as_of
    stmt = (
        select(outcome, func.count())
        .select_from(Application)
        .join(ApplicantProfile, Application.profile_id == ApplicantProfile.id)
        .group_by(outcome)
    )

The SQL agrees with the engine evaluated on ``profiles.service.eligibility_facts(profile, as_of)``:

    fact / op                       SQL (p: the profile row; cut-offs are dates computed here, in Python)
    age  gte N / gt N               p.date_of_birth <= cutoff(N) / cutoff(N + 1)
    age  lt N / lte N               p.date_of_birth >  cutoff(N) / cutoff(N + 1)
    age  eq N / ne N                cutoff(N + 1) < p.date_of_birth <= cutoff(N) / its negation
    age  in L / not_in L            OR of eq / AND of ne (every age comparison also needs date_of_birth NOT NULL)
    citizenships contains_any L     p.id IN (SELECT c.profile_id FROM profile_citizenships c
                                    WHERE upper(c.country_code) IN L)
    lawful_permanent_resident,      COALESCE(p.<column>, FALSE) for is_true / eq true, NOT COALESCE(...) for
    customs_immigration_violation,  is_false / eq false (ne is eq of the opposite value)
    under_investigation,
    inadmissible_or_waiver
    parent_member_or_applying       p.guardian_profile_id <> p.id AND (IN (adult profiles with an active Global
                                    Entry membership valid on as_of) OR IN (adult profiles with an open Global
                                    Entry application)); adult: of age_of_majority (18 if unset) on as_of
    travels_internationally         TRUE (eligibility_facts always says so), so is_true is TRUE, is_false FALSE
    exists offenses [where W]       p.id IN (SELECT o.profile_id FROM offense_disclosures o [WHERE W over o])
    category / status eq ne in      o.<column> = v, <> v, IN L, NOT IN L (each with o.<column> NOT NULL)
    not_in
    date / released_on within_years o.<column> IS NOT NULL AND o.<column> BETWEEN years_before(as_of, N) AND as_of
    all / any / not                 AND / OR / NOT

Subqueries are uncorrelated (`p.id IN (SELECT ...)`), not correlated EXISTS: inside a CASE, PostgreSQL must run a
correlated EXISTS once per row, while an uncorrelated IN is evaluated once and hashed, which made the impact preview
about 15 times faster at 20,000 applications. The subqueries select NOT NULL ids, so IN is never NULL.

An uncorrelated subquery reads its whole table, though, however few profiles are evaluated. When the caller knows
those profiles (the impact preview's candidates), it passes them as `within`: a CTE or subquery with the columns
``profile_id`` and ``guardian_profile_id``. Every subquery is then restricted to them (``c.profile_id IN (SELECT
profile_id FROM within)``; the guardian's memberships and applications to ``guardian_profile_id``), so the database
reads only their rows through the profile_id indexes, and hashes a few rows instead of whole tables. The result is
the same for every profile listed in `within`; the expression must not be evaluated on any other.

With many conditions over the same profiles (the impact preview judges every rule of two versions), one sub-query
per `exists` still reads each profile's offense rows once per condition. `offense_flags` reads them once: one grouped
pass over the offense rows (of the profiles of `within`, when given) with a 0/1 column per distinct `exists`, ``max(CASE
WHEN <where> THEN 1 ELSE 0 END)``, which the enclosing query LEFT JOINs on the profile id; the conditions compiled with
``offense_flags=`` read ``coalesce(flag, 0) = 1`` instead of a sub-query (no offense row: no flag row, FALSE).

`candidate_profiles` gives, for a condition, a query of profile ids that includes every profile the condition can
be true for (a superset), read from the offense and citizenship tables only, or None when the condition cannot be
narrowed that way (a `not`, an age, a flag): what the impact preview uses to find its candidates without scanning
every profile.

Every comparison is two-valued: a NULL fact makes it FALSE (never SQL NULL), so NOT inverts it exactly as the
engine's ``not`` does, whatever the nesting. ``cutoff(N)`` is the latest date of birth of someone at least N years
old on `as_of` under `conditions.age_on` (the same month and day N years earlier, 29 February becoming 28
February), so age needs no date arithmetic in SQL and a plain index on date_of_birth serves it; an N so large
(or negative) that the cut-off falls outside the years 1-9999 makes ``age >= N`` FALSE (or TRUE) for every date.
Sub-queries use their own aliases, correlated to `profile` only, so an outer query over applications (as above)
is never mistaken for the guardian's applications.

Where SQL cannot do what the engine does:

* The engine refuses a profile without a date of birth, or born after `as_of` (FactsError: no outcome at all).
  `compile_condition` never matches such a profile (see `assessable`) and `outcome_expression` gives NULL for it.
* The engine asks for a dated parameter only when a comparison that uses it is reached, and raises MissingParameter
  then. SQL evaluates every row at once, so a parameter the conditions refer to must be in `params` when compiling:
  MissingParameter is raised here, before any query runs.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, literal, not_, null, or_, select, true
from sqlalchemy.orm import aliased

from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import OPEN, UNDER_WAY
from trusted_traveler.memberships.models import Membership
from trusted_traveler.profiles.models import ApplicantProfile, Citizenship, OffenseDisclosure
from trusted_traveler.programs.models import Program
from trusted_traveler.rules.conditions import (
    OPS_BY_TYPE,
    SCOPES,
    ConditionError,
    MissingParameter,
    canonical,
    parameters_used,
    resolve_value,
    validate_condition,
    years_before,
)
from trusted_traveler.rules.engine import OUTCOMES

Expr = ColumnElement[bool]

BOOLEAN_COLUMNS = (
    "lawful_permanent_resident",
    "customs_immigration_violation",
    "under_investigation",
    "inadmissible_or_waiver",
)
FACT_COLUMNS = ("date_of_birth", "guardian_profile_id", *BOOLEAN_COLUMNS)  # the profile columns the compiler reads
OPEN_STATUSES = tuple(sorted(s.value for s in OPEN))
UNDER_WAY_STATUSES = tuple(sorted(s.value for s in UNDER_WAY))
GLOBAL_ENTRY = "global_entry"


# --- age as ranges of dates of birth -----------------------------------------------------------------------------


def age_cutoff(as_of: dt.date, years: int) -> dt.date | bool:
    """The latest date of birth of a person at least `years` old on `as_of` (conditions.age_on), so that
    ``age_on(dob, as_of) >= years`` exactly when ``dob <= age_cutoff(as_of, years)``.

    That is `as_of` moved `years` calendar years back (29 February -> 28 February), as `years_before` does. Beyond
    the dates a database can hold: False when no date of birth is old enough, True when every one is."""
    year = as_of.year - years
    if year < dt.MINYEAR:
        return False
    if year > dt.MAXYEAR:
        return True
    try:
        return as_of.replace(year=year)
    except ValueError:  # 29 February in a common year
        return as_of.replace(year=year, day=28)


def _at_least(dob, as_of: dt.date, years: int) -> Expr:
    """age >= years, for a non-null date of birth."""
    cutoff = age_cutoff(as_of, years)
    if cutoff is True:
        return true()
    if cutoff is False:
        return false()
    return dob <= cutoff


def _age_between(dob, as_of: dt.date, low: int | None, high: int | None) -> Expr:
    """low <= age <= high (either end open when None); FALSE when the date of birth is missing."""
    parts: list[Expr] = [dob.is_not(None)]
    if low is not None:
        parts.append(_at_least(dob, as_of, low))
    if high is not None:
        parts.append(not_(_at_least(dob, as_of, high + 1)))
    return and_(*parts)


def _age(dob, op: str, value: Any, as_of: dt.date) -> Expr:
    if op == "gte":
        return _age_between(dob, as_of, value, None)
    if op == "gt":
        return _age_between(dob, as_of, value + 1, None)
    if op == "lt":
        return _age_between(dob, as_of, None, value - 1)
    if op == "lte":
        return _age_between(dob, as_of, None, value)
    if op == "eq":
        return _age_between(dob, as_of, value, value)
    if op == "ne":
        return and_(dob.is_not(None), not_(_age_between(dob, as_of, value, value)))
    ages = sorted(set(value))
    any_of = or_(*(_age_between(dob, as_of, age, age) for age in ages))
    if op == "in":
        return any_of
    if op == "not_in":
        return and_(dob.is_not(None), not_(any_of))
    raise ConditionError([("op", f"Unknown op {op!r} for age.")])  # unreachable for validated conditions


# --- the compiler ------------------------------------------------------------------------------------------------


def _boolean(truth: Expr, op: str, value: Any) -> Expr:
    """A boolean fact (already two-valued) against is_true / is_false / eq / ne."""
    wanted = {"is_true": True, "is_false": False, "eq": value, "ne": not value}[op]
    return truth if wanted else not_(truth)


class _Compiler:
    def __init__(self, profile, params: Mapping[str, Any], as_of: dt.date, within=None, offense_flags=None):
        self.profile = profile
        self.params = params
        self.as_of = as_of
        self.within = within
        self.offense_flags = offense_flags

    def restricted(self, stmt, column, within_column: str):
        """`stmt` (selecting `column`, a profile id) limited to the profiles of `within`, if any."""
        if self.within is None:
            return stmt
        return stmt.where(column.in_(select(self.within.c[within_column])))

    def node(self, condition: Mapping[str, Any], scope: str, path: str, row=None) -> Expr:
        if "all" in condition:
            return and_(*(self.node(c, scope, f"{path}.all[{i}]", row) for i, c in enumerate(condition["all"])))
        if "any" in condition:
            return or_(*(self.node(c, scope, f"{path}.any[{i}]", row) for i, c in enumerate(condition["any"])))
        if "not" in condition:
            return not_(self.node(condition["not"], scope, f"{path}.not", row))
        if "exists" in condition:
            return self.offenses(condition.get("where"), f"{path}.where")
        field, op = condition["field"], condition["op"]
        kind = OPS_BY_TYPE[SCOPES[scope][field]][op]
        value = None if kind is None else resolve_value(condition["value"], kind, self.params, f"{path}.value")
        if scope == "offense":
            return self.offense_comparison(row, field, op, value)
        return self.fact_comparison(field, op, value)

    # facts of the profile

    def fact_comparison(self, field: str, op: str, value: Any) -> Expr:
        p = self.profile
        if field == "age":
            return _age(p.date_of_birth, op, value, self.as_of)
        if field == "citizenships":  # contains_any; derive_facts upper-cases the stored codes
            c = aliased(Citizenship)
            return p.id.in_(self.restricted(self.holders(c, value), c.profile_id, "profile_id"))
        if field in BOOLEAN_COLUMNS:
            return _boolean(func.coalesce(getattr(p, field), false()), op, value)
        if field == "parent_member_or_applying":
            return _boolean(self.guardian_member_or_applying(), op, value)
        if field == "travels_internationally":
            return _boolean(true(), op, value)
        raise ConditionError([("field", f"Unknown field {field!r}.")])  # unreachable for validated conditions

    @staticmethod
    def holders(c, countries) -> Any:
        """The profiles holding a citizenship of `countries` (derive_facts upper-cases the stored codes)."""
        return select(c.profile_id).where(func.upper(c.country_code).in_(sorted(set(countries))))

    def guardian_member_or_applying(self) -> Expr:
        """profiles.service.guardian_is_member_or_applying in SQL (FALSE without a linked guardian)."""
        p = self.profile
        majority = int(self.params.get("age_of_majority", 18))  # profiles.service.age_of_majority's fallback
        m, a, prog, g = aliased(Membership), aliased(Application), aliased(Program), aliased(ApplicantProfile)
        members = (
            select(m.profile_id)
            .join(prog, prog.id == m.program_id)
            .join(g, g.id == m.profile_id)
            .where(m.status == "active", m.valid_until >= self.as_of, prog.code == GLOBAL_ENTRY)
            .where(_age_between(g.date_of_birth, self.as_of, majority, None))  # a parent, not a brother or sister
        )
        prog2, g2 = aliased(Program), aliased(ApplicantProfile)
        applying = (
            select(a.profile_id)
            .join(prog2, prog2.id == a.program_id)
            .join(g2, g2.id == a.profile_id)
            .where(a.status.in_(UNDER_WAY_STATUSES), prog2.code == GLOBAL_ENTRY)  # an unpaid draft is no proof
            .where(_age_between(g2.date_of_birth, self.as_of, majority, None))
        )
        members = self.restricted(members, m.profile_id, "guardian_profile_id")
        applying = self.restricted(applying, a.profile_id, "guardian_profile_id")
        guardian = p.guardian_profile_id
        return and_(guardian.is_not(None), guardian != p.id, or_(guardian.in_(members), guardian.in_(applying)))

    # offense rows

    def offenses(self, where: Mapping[str, Any] | None, path: str) -> Expr:
        if self.offense_flags is not None:
            return self.offense_flags.exists(where, self.params)
        o = aliased(OffenseDisclosure)
        stmt = self.offenders(o, where, path)
        return self.profile.id.in_(self.restricted(stmt, o.profile_id, "profile_id"))

    def offenders(self, o, where: Mapping[str, Any] | None, path: str):
        """The profiles with an offense row (`o`) matching `where`."""
        stmt = select(o.profile_id)
        if where is not None:
            stmt = stmt.where(self.node(where, "offense", path, row=o))
        return stmt

    # candidates: a superset of the profiles a condition can be true for, without reading applicant_profiles

    def candidates(self, condition: Mapping[str, Any], path: str) -> list | None:
        """Queries of profile ids whose union includes every profile `condition` is true for, or None."""
        if "all" in condition:  # any conjunct's candidates include the conjunction's
            for i, part in enumerate(condition["all"]):
                found = self.candidates(part, f"{path}.all[{i}]")
                if found is not None:
                    return found
            return None
        if "any" in condition:
            parts = [self.candidates(part, f"{path}.any[{i}]") for i, part in enumerate(condition["any"])]
            return None if any(p is None for p in parts) else [q for part in parts for q in part]
        if "exists" in condition:
            return [self.offenders(aliased(OffenseDisclosure), condition.get("where"), f"{path}.where")]
        if condition.get("field") == "citizenships":  # contains_any
            kind = OPS_BY_TYPE[SCOPES["facts"]["citizenships"]]["contains_any"]
            value = resolve_value(condition["value"], kind, self.params, f"{path}.value")
            return [self.holders(aliased(Citizenship), value)]
        return None  # not, age, flags, the guardian: no index narrows them

    def offense_comparison(self, row, field: str, op: str, value: Any) -> Expr:
        column = getattr(row, field)
        if op == "within_years":
            return and_(column.is_not(None), column.between(years_before(self.as_of, value), self.as_of))
        compared = {
            "eq": lambda: column == value,
            "ne": lambda: column != value,
            "in": lambda: column.in_(sorted(set(value))),
            "not_in": lambda: column.not_in(sorted(set(value))),
        }[op]()
        return and_(column.is_not(None), compared)


def assessable(as_of: dt.date, *, profile=ApplicantProfile) -> Expr:
    """The profiles the engine can evaluate on `as_of`: derive_facts refuses a missing date of birth or one after
    `as_of` (FactsError), whatever the rules."""
    dob = profile.date_of_birth
    return and_(dob.is_not(None), dob <= as_of)


def _exists_nodes(condition: Mapping[str, Any]) -> Iterable[tuple[Mapping[str, Any] | None, str]]:
    """Every `exists` of a validated condition, with the path of its `where`, as `_Compiler.node` names it."""

    def walk(node, path):
        for key in ("all", "any"):
            if key in node:
                for i, child in enumerate(node[key]):
                    yield from walk(child, f"{path}.{key}[{i}]")
        if "not" in node:
            yield from walk(node["not"], f"{path}.not")
        if "exists" in node:
            yield node.get("where"), f"{path}.where"

    return walk(condition, "condition")


def _offense_key(where: Mapping[str, Any] | None, params: Mapping[str, Any]) -> str:
    """Equal for two `where`s exactly when they, with the parameter values they use, are equal."""
    used = {} if where is None else {k: params.get(k) for k in sorted(parameters_used(where))}
    return canonical(where) + json.dumps(used, sort_keys=True, default=str)


class OffenseFlags:
    """The `exists` of many conditions in one grouped pass over the offense rows (see the module's docstring):
    `table` has ``profile_id`` and one 0/1 column per distinct `exists` (None when there is none); the enclosing
    query must LEFT JOIN it on the compiled profile's id."""

    def __init__(self, table, labels: Mapping[str, str]):
        self.table = table
        self.labels = dict(labels)

    def exists(self, where: Mapping[str, Any] | None, params: Mapping[str, Any]) -> Expr:
        label = self.labels[_offense_key(where, params)]  # KeyError: a condition not given to offense_flags
        return func.coalesce(self.table.c[label], literal(0)) == literal(1)


def offense_flags(
    conditions: Iterable[tuple[Any, Mapping[str, Any]]],
    as_of: dt.date,
    *,
    within=None,
    parameter_kinds: Mapping[str, str] | None = None,
) -> OffenseFlags:
    """The grouped pass for every `exists` of `conditions`, pairs of (condition, the parameter values it is compiled
    with), restricted to the profiles of `within` when given (then exact only for those). Compile the same
    conditions with ``offense_flags=`` the result. Raises as `compile_condition` does."""
    o = aliased(OffenseDisclosure, name="flagged_offenses")
    labels: dict[str, str] = {}
    columns = []
    for condition, params in conditions:
        for where, path in _exists_nodes(_checked(condition, parameter_kinds)):
            key = _offense_key(where, params)
            if key in labels:
                continue
            labels[key] = f"e{len(labels)}"
            test = true() if where is None else _Compiler(None, params, as_of).node(where, "offense", path, row=o)
            columns.append(func.max(case((test, literal(1)), else_=literal(0))).label(labels[key]))
    if not columns:
        return OffenseFlags(None, labels)
    stmt = select(o.profile_id, *columns).group_by(o.profile_id)
    if within is not None:
        stmt = stmt.where(o.profile_id.in_(select(within.c.profile_id)))
    return OffenseFlags(stmt.subquery("offense_flags"), labels)


@functools.lru_cache(maxsize=512)
def _validated(condition_json: str, parameters_json: str | None) -> Mapping[str, Any]:
    parameters = None if parameters_json is None else json.loads(parameters_json)
    return validate_condition(json.loads(condition_json), parameters=parameters)


def _checked(condition: Any, parameter_kinds: Mapping[str, str] | None) -> Mapping[str, Any]:
    kinds_json = None if parameter_kinds is None else json.dumps(dict(parameter_kinds), sort_keys=True)
    return _validated(canonical(condition), kinds_json)


def _condition(
    condition: Any,
    params: Mapping[str, Any],
    as_of: dt.date,
    profile,
    parameter_kinds: Mapping[str, str] | None,
    within=None,
    offense_flags: OffenseFlags | None = None,
) -> Expr:
    validated = _checked(condition, parameter_kinds)
    return _Compiler(profile, params, as_of, within, offense_flags).node(validated, "facts", "condition")


def compile_condition(
    condition: Mapping[str, Any],
    params: Mapping[str, Any],
    as_of: dt.date,
    *,
    profile=ApplicantProfile,
    parameter_kinds: Mapping[str, str] | None = None,
    within=None,
    offense_flags: OffenseFlags | None = None,
) -> Expr:
    """A SQL boolean over `profile` (ApplicantProfile or an alias of it, which the enclosing query must select
    from) that is TRUE exactly for the profiles on which the engine finds `condition` true on `as_of`, with the
    dated parameter values `params`: ``evaluate_condition(condition, derive_facts(eligibility_facts(p, as_of),
    as_of), ...)``. A profile the engine cannot evaluate (see `assessable`) never matches. With `within` (see the
    module's docstring), exact only for the profiles it lists; with `offense_flags` (see `offense_flags`), the
    enclosing query must LEFT JOIN its table.

    Raises ConditionError for a condition outside the language, MissingParameter when it refers to a parameter
    that is not in `params` (even one that only some profiles would need)."""
    return and_(
        assessable(as_of, profile=profile),
        _condition(condition, params, as_of, profile, parameter_kinds, within, offense_flags),
    )


def candidate_profiles(
    condition: Mapping[str, Any],
    params: Mapping[str, Any],
    as_of: dt.date,
    *,
    parameter_kinds: Mapping[str, str] | None = None,
):
    """Queries of profile ids whose union includes every profile `condition` is true for on `as_of` (and maybe
    others), read from offense_disclosures and profile_citizenships only; None when the condition cannot be
    narrowed so. A list, so that callers union them all at one level (SQLite refuses nested compound selects).
    Raises as `compile_condition` does."""
    validated = _checked(condition, parameter_kinds)
    _Compiler(ApplicantProfile, params, as_of).node(validated, "facts", "condition")  # every parameter is known
    return _Compiler(ApplicantProfile, params, as_of).candidates(validated, "condition")


def _attr(rule: Any, name: str):
    return rule[name] if isinstance(rule, Mapping) else getattr(rule, name)


def outcome_expression(
    rules: Iterable[Any],
    params: Mapping[str, Any],
    as_of: dt.date,
    *,
    profile=ApplicantProfile,
    parameter_kinds: Mapping[str, str] | None = None,
    within=None,
    offense_flags: OffenseFlags | None = None,
):
    """A SQL CASE giving, for each `profile` row, the outcome `engine.evaluate(rules, eligibility_facts(p, as_of),
    as_of=as_of, params=params)` decides: 'ineligible' when an ineligible rule fires, else 'needs_review' when a
    needs_review rule fires, else 'eligible' (condition rules never change it). NULL for a profile the engine
    cannot evaluate (see `assessable`).

    `rules` are RuleSpec, Rule rows or mappings (code, condition, outcome). Raises ValueError for an unknown
    outcome, ConditionError (paths prefixed with the rule code, as the engine does) and MissingParameter as
    `compile_condition` does. With `within` and `offense_flags`, as `compile_condition`."""
    fired = []
    for rule in rules:
        outcome = rule_outcome(rule)
        expression = rule_condition(
            rule,
            params,
            as_of,
            profile=profile,
            parameter_kinds=parameter_kinds,
            within=within,
            offense_flags=offense_flags,
        )
        if outcome != "condition":  # condition rules never change the outcome
            fired.append((outcome, expression))
    return outcome_case(fired, as_of, profile=profile)


def rule_outcome(rule: Any) -> str:
    """The rule's outcome, checked (ValueError for an unknown one)."""
    code, outcome = _attr(rule, "code"), _attr(rule, "outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"rule {code}: outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    return outcome


def rule_condition(
    rule: Any,
    params: Mapping[str, Any],
    as_of: dt.date,
    *,
    profile=ApplicantProfile,
    parameter_kinds: Mapping[str, str] | None = None,
    within=None,
    offense_flags: OffenseFlags | None = None,
) -> Expr:
    """The rule's condition compiled (without the `assessable` test), error paths prefixed with the rule code."""
    try:
        return _condition(_attr(rule, "condition"), params, as_of, profile, parameter_kinds, within, offense_flags)
    except MissingParameter:
        raise
    except ConditionError as err:
        code = _attr(rule, "code")
        raise ConditionError([(f"{code}: {path}", message) for path, message in err.errors]) from None


def outcome_case(fired: Iterable[tuple[str, Expr]], as_of: dt.date, *, profile=ApplicantProfile):
    """The engine's outcome as a CASE, from (outcome, compiled condition) pairs of the rules that decide one:
    NULL where the engine refuses the profile, 'ineligible' when one of those fires, else 'needs_review' when one
    of those fires, else 'eligible'."""
    by_outcome: dict[str, list[Expr]] = {"ineligible": [], "needs_review": []}
    for outcome, expression in fired:
        by_outcome[outcome].append(expression)
    whens = [(not_(assessable(as_of, profile=profile)), null())]
    whens += [(or_(*exprs), outcome) for outcome, exprs in by_outcome.items() if exprs]
    return case(*whens, else_="eligible")
