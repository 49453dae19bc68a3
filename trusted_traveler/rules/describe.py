"""Conditions in plain words, so program leads read rules (and later, their differences) without reading JSON."""

from __future__ import annotations

from typing import Any

from trusted_traveler.rules.conditions import OFFENSE_NAMES

FLAG_PHRASES = {
    "lawful_permanent_resident": "holds a U.S. Permanent Resident Card",
    "customs_immigration_violation": "has broken customs, immigration or agriculture law",
    "under_investigation": "is under investigation",
    "inadmissible_or_waiver": "was refused entry to the U.S. or given a waiver or parole",
    "parent_member_or_applying": "has a parent or guardian who is a Global Entry member or is applying",
    "travels_internationally": "travels abroad",
}
AGE_OPS = {
    "eq": "is {}",
    "ne": "is not {}",
    "lt": "is under {}",
    "lte": "is {} or under",
    "gt": "is over {}",
    "gte": "is {} or over",
    "in": "is one of {}",
    "not_in": "is none of {}",
}
ROW_FIELDS = {"category": "the offense", "status": "its status", "date": "its date", "released_on": "the release"}


def _value(value: Any) -> str:
    if isinstance(value, dict) and "param" in value:
        return f"the current “{value['param'].replace('_', ' ')}” setting"
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value).replace("_", " ")


def _comparison(cond: dict, *, row: bool) -> str:
    field, op, value = cond["field"], cond["op"], cond.get("value")
    if row:
        subject = ROW_FIELDS.get(field, field)
        if op == "within_years":
            return f"{subject} was within the last {_value(value)} years"
        verb = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of"}.get(op, op)
        if field == "category":  # by name ("Other racketeering"), not by code
            names = [OFFENSE_NAMES.get(v, str(v)) for v in (value if isinstance(value, list) else [value])]
            return f"{subject} {verb} " + ", ".join(f"“{name}”" for name in names)
        return f"{subject} {verb} {_value(value)}"
    if field == "age":
        return "the applicant " + AGE_OPS[op].format(_value(value)) + " years old"
    if field == "citizenships":
        return f"the applicant is a citizen of any of: {_value(value)}"
    phrase = FLAG_PHRASES.get(field, field.replace("_", " "))
    positive = op == "is_true" or (op == "eq" and value is True) or (op == "ne" and value is False)
    return f"the applicant {phrase}" if positive else f"it is not true that the applicant {phrase}"


def describe(cond: dict, *, row: bool = False) -> str:
    """One sentence (without a full stop) for a validated condition."""
    if "all" in cond:
        return " and ".join(_wrap(c, row) for c in cond["all"])
    if "any" in cond:
        return " or ".join(_wrap(c, row) for c in cond["any"])
    if "not" in cond:
        return f"not ({describe(cond['not'], row=row)})"
    if "exists" in cond:
        where = cond.get("where")
        return "the applicant has any offense" + (f" where {describe(where, row=True)}" if where else "")
    return _comparison(cond, row=row)


def _wrap(cond: dict, row: bool) -> str:
    text = describe(cond, row=row)
    return f"({text})" if ("all" in cond or "any" in cond) else text


LANGUAGES = {"en": "English", "es": "Spanish"}


def _shown(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def describe_event(action: str, details: dict[str, Any] | None) -> str:
    """The details of one event in a version's history, in plain words (the audit log keeps them as data)."""
    d = dict(details or {})
    parts: list[str] = []
    if d.get("based_on"):
        parts.append(f"Copied from {d.pop('based_on')}.")
    if action == "rules.rule_saved" and d.get("rule"):
        rule, replaced = d.pop("rule"), d.pop("replaced", None)
        if replaced is None:
            parts.append(f"Added rule {rule}.")
        elif replaced == rule:
            parts.append(f"Changed rule {rule}.")
        else:
            parts.append(f"Changed rule {replaced}, now called {rule}.")
    elif d.get("rule"):
        parts.append(f"Rule {d.pop('rule')}.")
    if d.get("other_language_unchanged") in LANGUAGES:
        other = d.pop("other_language_unchanged")
        changed = LANGUAGES["en" if other == "es" else "es"]
        parts.append(
            f"Only the {changed} message changed; the lead confirmed the {LANGUAGES[other]} one says the same."
        )
    if d.get("key"):
        key = d.pop("key").replace("_", " ")
        parts.append(f"{key.capitalize()}: {_shown(d.pop('value'))}." if "value" in d else f"{key.capitalize()}.")
    if d.get("effective_from"):
        parts.append(f"Takes effect on {d.pop('effective_from')}.")
    if d.get("note"):
        parts.append(f"Reason: {d.pop('note')}")
    d.pop("replaced", None)
    parts.extend(f"{k.replace('_', ' ').capitalize()}: {_shown(v)}." for k, v in d.items() if v not in (None, "", []))
    return " ".join(parts)
