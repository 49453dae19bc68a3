"""Eligibility checks: the published rule set in force on a date, its dated parameters, the engine and the fee.

`check_eligibility` answers with exactly the body of CONTRACTS.md section 1 (`POST /api/v1/eligibility/check`);
the application flow stores its per-program parts as an application's eligibility snapshot.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from trusted_traveler.errors import DomainError, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.programs.service import get_program, parameter_value
from trusted_traveler.rules.conditions import PARAMETER_KINDS, MissingParameter, parameters_used
from trusted_traveler.rules.engine import FactsError, ProgramResult, age_on, evaluate, recommend, rule_specs
from trusted_traveler.rules.models import Rule, RuleSet, RuleSetVersion

PROGRAM_CODES = ("precheck", "global_entry")
CENT = Decimal("0.01")


class NoRulesInForce(DomainError):
    """A program has no published rule set (or a parameter its rules need has no value) in force on the date."""

    code = "no_rules_in_force"

    def __init__(self, message: str, *, program: str, as_of: dt.date):
        super().__init__(message)
        self.program = program
        self.as_of = as_of


class InvalidFacts(DomainError):
    code = "invalid_facts"


def version_in_force(program: Program, as_of: dt.date) -> RuleSetVersion | None:
    """The published version with effective_from <= as_of < effective_until (open-ended when null); when several
    qualify, the latest effective_from wins (then the highest version number)."""
    stmt = (
        select(RuleSetVersion)
        .join(RuleSet, RuleSetVersion.rule_set_id == RuleSet.id)
        .where(
            RuleSet.program_id == program.id,
            RuleSetVersion.status == "published",
            RuleSetVersion.effective_from.is_not(None),
            RuleSetVersion.effective_from <= as_of,
            or_(RuleSetVersion.effective_until.is_(None), RuleSetVersion.effective_until > as_of),
        )
        .order_by(RuleSetVersion.effective_from.desc(), RuleSetVersion.number.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def rules_of(version: RuleSetVersion) -> list[Rule]:
    return list(db.session.scalars(select(Rule).where(Rule.version_id == version.id).order_by(Rule.position, Rule.id)))


def _param(program: Program, key: str, as_of: dt.date):
    """A dated parameter for the program, or the service-wide one (program_id NULL) when the program has none."""
    try:
        return parameter_value(program, key, as_of)
    except NotFound:
        return parameter_value(None, key, as_of)


def resolve_params(program: Program, keys: set[str], as_of: dt.date) -> dict[str, Any]:
    """The values in force on `as_of` of the parameters `keys`; one with no value in force is left out, and the
    engine raises MissingParameter only if a rule actually needs it for these facts."""
    params = {}
    for key in sorted(keys):
        try:
            params[key] = _param(program, key, as_of)
        except NotFound:
            continue
    return params


def fee(program: Program, facts: dict, as_of: dt.date, overrides: dict[str, Any] | None = None) -> Decimal:
    """The new-enrollment fee on `as_of`; a Global Entry applicant under the age of majority whose parent or
    guardian is a member or applying pays fee_minor_with_member_parent where that parameter is in force.
    `overrides` are values proposed in a draft, used instead of the ones in force."""
    overrides = overrides or {}

    def value(key: str, *, program_only: bool = True):
        if key in overrides:
            return overrides[key]
        return parameter_value(program, key, as_of) if program_only else _param(program, key, as_of)

    try:
        amount = value("fee_new")
        if program.code == "global_entry" and facts.get("parent_member_or_applying"):
            majority = value("age_of_majority", program_only=False)
            if age_on(facts["date_of_birth"], as_of) < majority:
                try:
                    amount = value("fee_minor_with_member_parent")
                except NotFound:
                    pass  # before the waiver existed, minors paid the full fee
    except NotFound:
        raise NoRulesInForce(
            f"No {program.name} fee is in force on {as_of.isoformat()}.", program=program.code, as_of=as_of
        ) from None
    return Decimal(str(amount)).quantize(CENT)


def check_program(
    program: Program,
    facts: dict,
    *,
    as_of: dt.date,
    language: str,
    version: RuleSetVersion | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict:
    """One program's answer by the version in force on `as_of`, or by `version` (a draft, say) with `overrides`
    (the settings it proposes) in place of the values in force."""
    version = version or version_in_force(program, as_of)
    if version is None:
        raise NoRulesInForce(
            f"No published {program.name} eligibility rules are in force on {as_of.isoformat()}.",
            program=program.code,
            as_of=as_of,
        )
    rules = rule_specs(rules_of(version))
    keys = set().union(*(parameters_used(r.condition) for r in rules)) if rules else set()
    params = resolve_params(program, keys, as_of)
    params.update({key: value for key, value in (overrides or {}).items() if key in keys})
    try:
        result: ProgramResult = evaluate(
            rules, facts, as_of=as_of, params=params, language=language, parameter_kinds=PARAMETER_KINDS
        )
    except FactsError as err:
        raise InvalidFacts(str(err)) from None
    except MissingParameter as err:
        raise NoRulesInForce(
            f"The {program.name} rules need the setting {err.key!r}, which has no value in force on "
            f"{as_of.isoformat()}.",
            program=program.code,
            as_of=as_of,
        ) from None
    return {
        "outcome": result.outcome,
        "fee": str(fee(program, facts, as_of, overrides)),
        "reasons": [r.as_dict() for r in result.reasons],
        "rule_set": version.label,
    }


def _language(language: str | None) -> str:
    base = (language or "en").lower().replace("_", "-").split("-")[0]
    return base if base in ("en", "es") else "en"


def check_eligibility(facts: dict, *, as_of: dt.date, language: str = "en") -> dict:
    """Both programs' eligibility for `facts` (CONTRACTS.md section 1 request fields, Python values) on `as_of`,
    as the CONTRACTS response body. Raises NoRulesInForce when a program has no published rules on `as_of`."""
    if not isinstance(facts.get("date_of_birth"), dt.date):
        raise InvalidFacts("date_of_birth is required.")
    if not facts.get("citizenships"):
        raise InvalidFacts("citizenships needs at least one country.")
    lang = _language(language)
    programs = {code: check_program(get_program(code), facts, as_of=as_of, language=lang) for code in PROGRAM_CODES}
    travels = facts.get("travels_internationally")
    recommended = recommend(
        {code: result["outcome"] for code, result in programs.items()},
        travels_internationally=True if travels is None else bool(travels),
    )
    return {"as_of": as_of.isoformat(), "programs": programs, "recommended_program": recommended}
