"""The eligibility engine: pure and deterministic (no Flask, no database).

`evaluate(rules, facts, as_of=..., params=..., language=...)` applies one program's rules to one person's facts:

* every rule whose condition is true on `as_of` "fires";
* the outcome is ``ineligible`` if an ``ineligible`` rule fired, else ``needs_review`` if a ``needs_review`` rule
  fired, else ``eligible`` (a ``condition`` rule, such as a minor's parental consent, never changes the outcome);
* `reasons` lists every rule that fired, in rule order, with its message in `language` and its citation.

Conditions are in the language of rules.conditions and are validated before use.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trusted_traveler.rules.conditions import (
    BOOLEAN_FACTS,
    ConditionError,
    MissingParameter,
    age_on,
    canonical,
    evaluate_condition,
    validate_condition,
)

OUTCOMES = ("ineligible", "needs_review", "condition")
RESULTS = ("eligible", "ineligible", "needs_review")
LANGUAGES = ("en", "es")
BOOLEAN_DEFAULTS = dict.fromkeys(BOOLEAN_FACTS, False) | {"travels_internationally": True}


class FactsError(ValueError):
    """The facts cannot be evaluated (a required fact is missing or of the wrong type)."""


@dataclass(frozen=True)
class RuleSpec:
    code: str
    condition: Mapping[str, Any]
    outcome: str
    message_en: str
    message_es: str
    citation: str | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    citation: str | None

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "citation": self.citation}


@dataclass(frozen=True)
class ProgramResult:
    outcome: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def fired(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "reasons": [r.as_dict() for r in self.reasons]}


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise FactsError(f"{name} must be a date, not {value!r}.")


def _field(row: Any, name: str):
    """A value from a mapping or from an object with attributes (e.g. an OffenseDisclosure row)."""
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def derive_facts(data: Mapping[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The facts rules see, from the request-shaped `data` (CONTRACTS.md section 1 field names).

    `age` is computed from `date_of_birth` on `as_of` (or taken as given when there is no date of birth); booleans
    get their defaults; offenses (mappings or objects with those attributes) become plain rows with `released_on`
    None when absent.
    """
    facts: dict[str, Any] = {}
    if data.get("date_of_birth") is not None:
        dob = _date(data["date_of_birth"], "date_of_birth")
        if dob > as_of:
            raise FactsError("date_of_birth is after the as-of date.")
        facts["age"] = age_on(dob, as_of)
    elif isinstance(data.get("age"), int) and not isinstance(data.get("age"), bool):
        facts["age"] = data["age"]
    else:
        raise FactsError("date_of_birth is required.")
    citizenships = data.get("citizenships") or ()
    if isinstance(citizenships, str) or not all(isinstance(c, str) for c in citizenships):
        raise FactsError("citizenships must be a list of country codes.")
    facts["citizenships"] = sorted({c.upper() for c in citizenships})
    for name, default in BOOLEAN_DEFAULTS.items():
        value = data.get(name)
        facts[name] = default if value is None else bool(value)
    offenses = []
    for i, offense in enumerate(data.get("offenses") or ()):
        released = _field(offense, "released_on")
        offenses.append(
            {
                "category": _field(offense, "category"),
                "status": _field(offense, "status"),
                "date": _date(_field(offense, "date"), f"offenses[{i}].date"),
                "released_on": None if released is None else _date(released, f"offenses[{i}].released_on"),
            }
        )
    facts["offenses"] = offenses
    return facts


def _attr(rule: Any, name: str):
    return rule[name] if isinstance(rule, Mapping) else getattr(rule, name)


@functools.lru_cache(maxsize=512)
def _validated(condition_json: str, parameters_json: str | None) -> Mapping[str, Any]:
    parameters = None if parameters_json is None else json.loads(parameters_json)
    return validate_condition(json.loads(condition_json), parameters=parameters)


def evaluate(
    rules: Iterable[Any],
    facts: Mapping[str, Any],
    *,
    as_of: dt.date,
    params: Mapping[str, Any],
    language: str = "en",
    parameter_kinds: Mapping[str, str] | None = None,
) -> ProgramResult:
    """Apply `rules` (RuleSpec, Rule rows or mappings with code, condition, outcome, message_en, message_es,
    citation) to `facts` on `as_of`, with dated parameter values `params`. Raises ConditionError for a condition
    outside the language, MissingParameter when a rule reaches a parameter that is not in `params`, FactsError for
    unusable facts, ValueError for an unknown outcome or language."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    derived = derive_facts(facts, as_of)
    kinds_json = None if parameter_kinds is None else json.dumps(dict(parameter_kinds), sort_keys=True)
    reasons: list[Reason] = []
    fired_outcomes: set[str] = set()
    for rule in rules:
        code, outcome = _attr(rule, "code"), _attr(rule, "outcome")
        if outcome not in OUTCOMES:
            raise ValueError(f"rule {code}: outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        try:
            condition = _validated(canonical(_attr(rule, "condition")), kinds_json)
            fired = evaluate_condition(condition, derived, as_of=as_of, params=params)
        except MissingParameter:
            raise
        except ConditionError as err:
            raise ConditionError([(f"{code}: {path}", message) for path, message in err.errors]) from None
        if fired:
            fired_outcomes.add(outcome)
            message = _attr(rule, "message_es") if language == "es" else _attr(rule, "message_en")
            reasons.append(Reason(code=code, message=message, citation=_attr(rule, "citation")))
    if "ineligible" in fired_outcomes:
        result = "ineligible"
    elif "needs_review" in fired_outcomes:
        result = "needs_review"
    else:
        result = "eligible"
    return ProgramResult(outcome=result, reasons=tuple(reasons))


def recommend(results: Mapping[str, str], *, travels_internationally: bool) -> str | None:
    """CONTRACTS.md section 1: Global Entry (it includes PreCheck) for an eligible international traveler,
    otherwise PreCheck when eligible, otherwise none."""
    if results.get("global_entry") == "eligible" and travels_internationally:
        return "global_entry"
    if results.get("precheck") == "eligible":
        return "precheck"
    return None


def rule_specs(rows: Sequence[Any]) -> list[RuleSpec]:
    return [
        RuleSpec(
            code=_attr(r, "code"),
            condition=_attr(r, "condition"),
            outcome=_attr(r, "outcome"),
            message_en=_attr(r, "message_en"),
            message_es=_attr(r, "message_es"),
            citation=_attr(r, "citation"),
        )
        for r in rows
    ]
