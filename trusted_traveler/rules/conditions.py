"""The condition language of eligibility rules: structured JSON over eligibility facts, never text to evaluate.

A condition is one of five shapes. Nothing else is accepted; `validate_condition` (a marshmallow schema) refuses
anything outside this closed set and names the path of every problem, e.g. ``condition.all[1].where.op``.

    {"all": [C, ...]}                           true when every C is true (at least one C)
    {"any": [C, ...]}                           true when at least one C is true (at least one C)
    {"not": C}                                  true when C is false
    {"field": F, "op": OP, "value": V}          a comparison of one fact with a value
    {"exists": "offenses", "where": C}          true when at least one offense row makes C true;
                                                without "where", true when there is any offense at all

Facts (the top level of a rule):

    field                           type        ops
    age                             integer     eq ne lt lte gt gte (integer); in not_in (list of integers)
    citizenships                    countries   contains_any (non-empty list of ISO 3166-1 alpha-2 codes)
    lawful_permanent_resident,      boolean     is_true is_false (no value); eq ne (true/false)
    customs_immigration_violation,
    under_investigation,
    inadmissible_or_waiver,
    parent_member_or_applying,
    travels_internationally

Offense rows (only inside ``where``; ``exists`` cannot be nested):

    category                        category    eq ne (a category code); in not_in (list of category codes)
    status                          status      eq ne ("convicted" | "pending"); in not_in (list of them)
    date, released_on               date        within_years (a whole number of years, 0-150)

Values are literals of the type in the table or a reference to a dated parameter, ``{"param": KEY}``, resolved for
the program on the as-of date by the caller (rules.service) and passed in as ``params``. Known keys and the value type
each stands for are in PARAMETER_KINDS; a reference is accepted only where a literal of the same type would be.

Semantics (deliberately small, so that the same conditions compile to SQL over stored applications):

* ``age`` is the number of whole years from ``date_of_birth`` to ``as_of``: a person turns N on their birthday, and
  someone born on 29 February turns N on 1 March in a common year.
* ``eq ne lt lte gt gte`` are the usual comparisons; ``in`` / ``not_in`` are membership in the list;
  ``contains_any`` is true when the list fact and the value list share at least one element.
* ``within_years N`` is true when ``as_of - N years <= date <= as_of`` (both ends inclusive). ``as_of - N years`` is
  the same month and day N calendar years earlier; 29 February becomes 28 February in a common year. A date after
  ``as_of`` is never within the window. The cut-off is a plain date computed before evaluation, so SQL sees
  ``date BETWEEN :cutoff AND :as_of``.
* Missing values: a comparison whose fact is missing (``released_on`` is null) is FALSE, whatever the op (``ne``
  and ``not_in`` included). ``not`` then inverts that two-valued result, so ``{"not": {"field": "released_on",
  "op": "within_years", "value": 5}}`` is true for a row without a release date. (A SQL compiler must therefore
  wrap each comparison as ``COALESCE(cmp, FALSE)`` before applying NOT.)
* Boolean facts are never missing: they default to false (``travels_internationally`` to true) before evaluation.
* ``exists`` over an empty list of offenses is false. ``all`` / ``any`` take their children left to right and stop
  at the first one that decides the result. Evaluation has no side effects, so the order of children never changes
  the result; it only decides whether a parameter is needed at all: a parameter with no value in force is an error
  (MissingParameter) only when a comparison that uses it is reached. (A U.S. citizen does not need the
  partner-country list.)

Evaluation (`evaluate_condition`) is pure and deterministic: the same condition, facts, as-of date and parameters
always give the same answer.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pycountry
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trusted_traveler.errors import N_

# --- vocabulary -------------------------------------------------------------------------------------------------

PERMANENT_OFFENSES: tuple[str, ...] = (
    "espionage",
    "sedition",
    "treason",
    "terrorism",
    "transportation_security_incident",
    "hazmat_transport",
    "explosives",
    "murder",
    "bomb_threat",
    "rico_permanent",
)
"""49 CFR 1572.103(a): disqualifying no matter when the conviction happened."""

INTERIM_OFFENSES: tuple[str, ...] = (
    "firearms",
    "extortion",
    "fraud",
    "bribery",
    "smuggling",
    "immigration_violation",
    "drug_distribution",
    "arson",
    "kidnapping",
    "rape_sexual_abuse",
    "assault_intent_to_kill",
    "robbery",
    "seaport_fraudulent_entry",
    "rico_other",
)
"""49 CFR 1572.103(b): disqualifying within 7 years of conviction or 5 years of release."""

OTHER_OFFENSES: tuple[str, ...] = ("dui", "other_felony", "other_misdemeanor")

OFFENSE_CATEGORIES: tuple[str, ...] = PERMANENT_OFFENSES + INTERIM_OFFENSES + OTHER_OFFENSES
# Each category's name as people read it (the profile's offense list, the rules console's sentences); marked for
# translation, and translated where a traveler reads it (web/intake/forms.CATEGORY_LABELS).
OFFENSE_NAMES: dict[str, str] = {
    "espionage": N_("Espionage"),
    "sedition": N_("Sedition"),
    "treason": N_("Treason"),
    "terrorism": N_("Terrorism"),
    "transportation_security_incident": N_("A transportation security incident"),
    "hazmat_transport": N_("Improper transport of hazardous materials"),
    "explosives": N_("Unlawful use of explosives"),
    "murder": N_("Murder"),
    "bomb_threat": N_("A bomb threat"),
    "rico_permanent": N_("Racketeering (RICO) tied to these crimes"),
    "firearms": N_("Unlawful firearms or weapons"),
    "extortion": N_("Extortion"),
    "fraud": N_("Fraud or dishonesty"),
    "bribery": N_("Bribery"),
    "smuggling": N_("Smuggling"),
    "immigration_violation": N_("Immigration violation"),
    "drug_distribution": N_("Selling or importing drugs"),
    "arson": N_("Arson"),
    "kidnapping": N_("Kidnapping or hostage taking"),
    "rape_sexual_abuse": N_("Rape or sexual abuse"),
    "assault_intent_to_kill": N_("Assault with intent to kill"),
    "robbery": N_("Robbery"),
    "seaport_fraudulent_entry": N_("Entering a seaport by fraud"),
    "rico_other": N_("Other racketeering"),
    "dui": N_("Driving under the influence (DUI)"),
    "other_felony": N_("Another felony"),
    "other_misdemeanor": N_("Another misdemeanor"),
}
OFFENSE_STATUSES: tuple[str, ...] = ("convicted", "pending")

US_TERRITORIES: tuple[str, ...] = ("AS", "GU", "MP", "PR", "UM", "VI")
"""The U.S. territories that ISO 3166-1 also lists as countries (American Samoa, Guam, the Northern Mariana Islands,
Puerto Rico, the Minor Outlying Islands, the U.S. Virgin Islands; pycountry's "Outlying area" subdivisions of the
United States). They are part of the United States: their people are U.S. citizens or U.S. nationals, "US" in
`citizenships` (CONTRACTS.md section 1), never a country of citizenship of their own."""


def citizenship_code(code: str) -> str:
    """The country a citizenship code stands for: a U.S. territory's code is the United States ("US")."""
    return "US" if code in US_TERRITORIES else code


BOOLEAN_FACTS: tuple[str, ...] = (
    "lawful_permanent_resident",
    "customs_immigration_violation",
    "under_investigation",
    "inadmissible_or_waiver",
    "parent_member_or_applying",
    "travels_internationally",
)

FACT_FIELDS: dict[str, str] = {"age": "integer", "citizenships": "countries"} | dict.fromkeys(BOOLEAN_FACTS, "boolean")
OFFENSE_FIELDS: dict[str, str] = {"category": "category", "status": "status", "date": "date", "released_on": "date"}
SCOPES: dict[str, dict[str, str]] = {"facts": FACT_FIELDS, "offense": OFFENSE_FIELDS}

# For each field type: the ops it allows and the kind of value each op takes (None: no value).
OPS_BY_TYPE: dict[str, dict[str, str | None]] = {
    "integer": {
        "eq": "integer",
        "ne": "integer",
        "lt": "integer",
        "lte": "integer",
        "gt": "integer",
        "gte": "integer",
        "in": "integer_list",
        "not_in": "integer_list",
    },
    "boolean": {"is_true": None, "is_false": None, "eq": "boolean", "ne": "boolean"},
    "countries": {"contains_any": "country_list"},
    "category": {"eq": "category", "ne": "category", "in": "category_list", "not_in": "category_list"},
    "status": {"eq": "status", "ne": "status", "in": "status_list", "not_in": "status_list"},
    "date": {"within_years": "years"},
}
OPS: tuple[str, ...] = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains_any",
    "is_true",
    "is_false",
    "within_years",
)

PARAMETER_KINDS: dict[str, str] = {"partner_countries": "country_list", "age_of_majority": "integer"}
"""Dated parameters a condition may refer to with {"param": KEY}, and the kind of value each holds."""

MAX_YEARS = 150
MAX_INTEGER = 10**9  # ages in rules; far beyond any date of birth either way (rules/sql.py compares such ages too)
MAX_LIST = 500

KIND_DESCRIPTIONS = {
    "integer": f"a whole number from -{MAX_INTEGER:,} to {MAX_INTEGER:,}",
    "integer_list": f"a non-empty list of whole numbers from -{MAX_INTEGER:,} to {MAX_INTEGER:,}",
    "boolean": "true or false",
    "country_list": "a non-empty list of ISO 3166-1 alpha-2 country codes such as 'US'",
    "category": "an offense category code",
    "category_list": "a non-empty list of offense category codes",
    "status": "'convicted' or 'pending'",
    "status_list": "a non-empty list of 'convicted' and 'pending'",
    "years": f"a whole number of years from 0 to {MAX_YEARS}",
}


def is_country_code(code: object) -> bool:
    return (
        isinstance(code, str)
        and len(code) == 2
        and code.isupper()
        and pycountry.countries.get(alpha_2=code) is not None
    )


def _is_int(v: object) -> bool:
    """Bounded, so no rule holds a number a database cannot compare (10**19 is past SQLite's integers)."""
    return isinstance(v, int) and not isinstance(v, bool) and -MAX_INTEGER <= v <= MAX_INTEGER


def _list_of(v: object, item_ok) -> bool:
    return isinstance(v, list) and 0 < len(v) <= MAX_LIST and all(item_ok(x) for x in v)


KIND_CHECKS = {
    "integer": _is_int,
    "integer_list": lambda v: _list_of(v, _is_int),
    "boolean": lambda v: isinstance(v, bool),
    "country_list": lambda v: _list_of(v, is_country_code),
    "category": lambda v: v in OFFENSE_CATEGORIES,
    "category_list": lambda v: _list_of(v, lambda x: x in OFFENSE_CATEGORIES),
    "status": lambda v: v in OFFENSE_STATUSES,
    "status_list": lambda v: _list_of(v, lambda x: x in OFFENSE_STATUSES),
    "years": lambda v: _is_int(v) and 0 <= v <= MAX_YEARS,
}


def value_matches(kind: str, value: object) -> bool:
    """Whether `value` is a literal of `kind` (also used to check resolved parameter values)."""
    try:
        return bool(KIND_CHECKS[kind](value))
    except TypeError:  # an unhashable value tested for membership
        return False


def is_param_ref(value: object) -> bool:
    return isinstance(value, dict) and set(value) == {"param"}


class ConditionError(ValueError):
    """A condition is not valid, or cannot be evaluated. `errors` is a list of (path, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))


# --- validation: a marshmallow schema per node shape ------------------------------------------------------------


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_of(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


class ConditionField(fields.Field):
    """One condition node. Dispatches on its keys to the schema of that shape, for the scope it sits in."""

    default_error_messages = {
        "invalid": "A condition must be a JSON object.",
        "shape": "A condition must have one of the keys all, any, not, exists, or field and op.",
        "nested_exists": "'exists' can only be used at the top level of a rule, not inside 'where'.",
    }

    def __init__(self, *, scope: str, parameters: tuple[tuple[str, str], ...], **kwargs):
        super().__init__(**kwargs)
        self.scope = scope
        self.parameters = parameters

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        shapes = _shape_schemas(self.scope, self.parameters)
        if "field" in value or "op" in value:
            shape = "comparison"
        else:
            shape = next((key for key in ("all", "any", "not", "exists") if key in value), None)
        if shape is None:
            raise self.make_error("shape")
        if shape == "exists" and self.scope != "facts":
            raise self.make_error("nested_exists")
        return shapes[shape]().load(value)


class _ComparisonBase(Schema):
    scope: str = "facts"
    parameters: tuple[tuple[str, str], ...] = ()

    field = fields.Raw(required=True)
    op = fields.Raw(required=True)
    value = fields.Raw(allow_none=True)

    @validates_schema
    def _check(self, data, **kwargs):
        allowed = SCOPES[self.scope]
        field, op = data["field"], data["op"]
        errors: dict[str, list[str]] = {}
        if not isinstance(field, str) or field not in allowed:
            where = "an offense row (inside 'where')" if self.scope == "offense" else "the facts"
            errors["field"] = [f"Unknown field {_short(field)}. Fields of {where}: {_one_of(allowed)}."]
        if not isinstance(op, str) or op not in OPS:
            errors["op"] = [f"Unknown op {_short(op)}. Ops: {_one_of(OPS)}."]
        if errors:
            raise ValidationError(errors)
        field_type = allowed[field]
        ops = OPS_BY_TYPE[field_type]
        if op not in ops:
            raise ValidationError(
                f"The op {op!r} cannot be used with {field!r} ({field_type}); use one of {_one_of(ops)}.", "op"
            )
        kind = ops[op]
        if kind is None:
            if "value" in data:
                raise ValidationError(f"The op {op!r} takes no value; remove 'value'.", "value")
            return
        if "value" not in data:
            raise ValidationError(f"The op {op!r} needs a value: {KIND_DESCRIPTIONS[kind]}.", "value")
        value = data["value"]
        if isinstance(value, dict):
            if not is_param_ref(value):
                raise ValidationError('A value object must be a parameter reference: {"param": KEY}.', "value")
            key = value["param"]
            known = dict(self.parameters)
            if not isinstance(key, str) or key not in known:
                raise ValidationError(
                    {"param": [f"Unknown parameter {_short(key)}. Parameters: {_one_of(known) or 'none'}."]}, "value"
                )
            if known[key] != kind:
                raise ValidationError(
                    f"The parameter {key!r} holds {KIND_DESCRIPTIONS[known[key]]}, but {field!r} {op!r} needs "
                    f"{KIND_DESCRIPTIONS[kind]}.",
                    "value",
                )
            return
        if not value_matches(kind, value):
            raise ValidationError(
                f"Wrong value for {field!r} {op!r}: expected {KIND_DESCRIPTIONS[kind]}, got {_short(value)}.", "value"
            )


@functools.cache
def _shape_schemas(scope: str, parameters: tuple[tuple[str, str], ...]) -> dict[str, type[Schema]]:
    def node(**kwargs):
        return ConditionField(scope=scope, parameters=parameters, **kwargs)

    def children():
        return fields.List(node(), required=True, validate=validate.Length(min=1, error="Give at least one condition."))

    return {
        "all": Schema.from_dict({"all": children()}, name=f"All_{scope}"),
        "any": Schema.from_dict({"any": children()}, name=f"Any_{scope}"),
        "not": Schema.from_dict({"not": node(required=True)}, name=f"Not_{scope}"),
        "exists": Schema.from_dict(
            {
                "exists": fields.String(
                    required=True, validate=validate.OneOf(["offenses"], error="Only 'offenses' can be used.")
                ),
                "where": ConditionField(scope="offense", parameters=parameters),
            },
            name="Exists",
        ),
        "comparison": type(f"Comparison_{scope}", (_ComparisonBase,), {"scope": scope, "parameters": parameters}),
    }


def condition_schema(parameters: Mapping[str, str] | None = None) -> Schema:
    """The marshmallow schema of a rule's condition: ``{"condition": C}``."""
    params = tuple(sorted((PARAMETER_KINDS if parameters is None else parameters).items()))
    cls = Schema.from_dict({"condition": ConditionField(scope="facts", parameters=params, required=True)})
    return cls()


def flatten_errors(messages: Any, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict as (path, message) pairs: {"a": {0: {"b": [m]}}} -> ("a[0].b", m)."""
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, sub in messages.items():
            if key == "_schema":
                sub_path = path
            elif isinstance(key, int):
                sub_path = f"{path}[{key}]"
            else:
                sub_path = f"{path}.{key}" if path else str(key)
            out.extend(flatten_errors(sub, sub_path))
        return out
    if isinstance(messages, list | tuple):
        out = []
        for item in messages:
            out.extend(flatten_errors(item, path) if isinstance(item, dict | list) else [(path, str(item))])
        return out
    return [(path, str(messages))]


def validate_condition(condition: Any, *, parameters: Mapping[str, str] | None = None) -> dict:
    """Check `condition` against the language; return it (normalized) or raise ConditionError naming each path."""
    try:
        return condition_schema(parameters).load({"condition": condition})["condition"]
    except ValidationError as err:
        raise ConditionError(flatten_errors(err.messages)) from None


def parameters_used(condition: Any) -> set[str]:
    """The parameter keys a (valid) condition refers to."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if is_param_ref(node):
                found.add(node["param"])
            else:
                for child in node.values():
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(condition)
    return found


def canonical(condition: Any) -> str:
    """A stable JSON text of a condition (values JSON cannot hold become strings, which validation then refuses)."""
    return json.dumps(condition, sort_keys=True, separators=(",", ":"), default=repr)


# --- evaluation -------------------------------------------------------------------------------------------------


def years_before(day: dt.date, years: int) -> dt.date:
    """The same month and day `years` calendar years earlier (29 February -> 28 February)."""
    year = day.year - years
    if year < dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def age_on(date_of_birth: dt.date, as_of: dt.date) -> int:
    """Whole years from `date_of_birth` to `as_of` (born 29 February: a year older on 1 March in a common year)."""
    return as_of.year - date_of_birth.year - ((as_of.month, as_of.day) < (date_of_birth.month, date_of_birth.day))


class MissingParameter(ConditionError):
    """A comparison needs a dated parameter that has no value in force (not in `params`)."""

    def __init__(self, key: str, path: str):
        self.key = key
        super().__init__([(path, f"The parameter {key!r} has no value in force.")])


def resolve_value(value: Any, kind: str, params: Mapping[str, Any], path: str):
    """A literal, or the value of a parameter reference (the engine and the SQL compiler resolve alike)."""
    if not is_param_ref(value):
        return value
    key = value["param"]
    if key not in params:
        raise MissingParameter(key, path)
    resolved = params[key]
    if not value_matches(kind, resolved):
        raise ConditionError([(path, f"The parameter {key!r} does not hold {KIND_DESCRIPTIONS[kind]}.")])
    return resolved


def _compare(field_type: str, op: str, actual: Any, expected: Any, as_of: dt.date) -> bool:
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if actual is None:
        return False
    if op == "within_years":
        return years_before(as_of, expected) <= actual <= as_of
    if op == "contains_any":
        return not set(actual).isdisjoint(expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "lt":
        return actual < expected
    if op == "lte":
        return actual <= expected
    if op == "gt":
        return actual > expected
    if op == "gte":
        return actual >= expected
    raise ConditionError([("op", f"Unknown op {op!r}.")])  # unreachable for validated conditions


def evaluate_condition(
    condition: Mapping[str, Any],
    facts: Mapping[str, Any],
    *,
    as_of: dt.date,
    params: Mapping[str, Any],
    scope: str = "facts",
    path: str = "condition",
) -> bool:
    """The truth of a VALIDATED condition over derived facts (see rules.engine.derive_facts) on `as_of`."""
    if "all" in condition:
        return all(
            evaluate_condition(c, facts, as_of=as_of, params=params, scope=scope, path=f"{path}.all[{i}]")
            for i, c in enumerate(condition["all"])
        )
    if "any" in condition:
        return any(
            evaluate_condition(c, facts, as_of=as_of, params=params, scope=scope, path=f"{path}.any[{i}]")
            for i, c in enumerate(condition["any"])
        )
    if "not" in condition:
        return not evaluate_condition(
            condition["not"], facts, as_of=as_of, params=params, scope=scope, path=f"{path}.not"
        )
    if "exists" in condition:
        where = condition.get("where")
        rows = facts.get(condition["exists"]) or ()
        if where is None:
            return bool(rows)
        return any(
            evaluate_condition(where, row, as_of=as_of, params=params, scope="offense", path=f"{path}.where")
            for row in rows
        )
    field, op = condition["field"], condition["op"]
    field_type = SCOPES[scope][field]
    kind = OPS_BY_TYPE[field_type][op]
    expected = None if kind is None else resolve_value(condition["value"], kind, params, f"{path}.value")
    return _compare(field_type, op, facts.get(field), expected, as_of)
