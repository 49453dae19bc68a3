"""Eligibility checks: the published rule set in force on a date, its dated parameters, the engine and the fee.

`check_eligibility` answers with exactly the body of CONTRACTS.md section 1 (`POST /api/v1/eligibility/check`);
the application flow stores its per-program parts as an application's eligibility snapshot.

What a check needs from the database (the version in force, its rules, the settings they read, the fees) is read
once per program and date into a `RuleBook` of plain values, and each worker keeps it for up to a minute
(`BOOK_SECONDS`): the public check then runs no query at all. A flush that touches a program, rule set, version,
rule or parameter forgets the books of its own process at once; other workers pick the change up within the
minute. A version is published for a date, so the minute only matters for a change that takes effect the same day.
A dated parameter's periods over time (`parameter_periods_in_force`, which memberships.service's grace period SQL is
built from) are kept and forgotten the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from trusted_traveler.caching import TTLCache
from trusted_traveler.errors import DomainError, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.programs.service import get_program, list_programs, parameter_periods, parameter_value
from trusted_traveler.rules.conditions import PARAMETER_KINDS, MissingParameter, parameters_used
from trusted_traveler.rules.engine import FactsError, ProgramResult, RuleSpec, age_on, evaluate, recommend, rule_specs
from trusted_traveler.rules.models import Parameter, Rule, RuleSet, RuleSetVersion

PROGRAM_CODES = ("precheck", "global_entry")
CENT = Decimal("0.01")
FEE_KEYS = ("fee_new", "fee_minor_with_member_parent")  # the program's own values only
BOOK_SECONDS = 60
_books = TTLCache(maxsize=64)  # keyed by program and date: a caller chooses the date
_periods = TTLCache(maxsize=16)  # keyed by parameter


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


@dataclass(frozen=True)
class RuleBook:
    """Everything one program's answer needs on a date, read from the database once: plain values, no ORM rows."""

    program_code: str
    program_name: str
    label: str
    rules: tuple[RuleSpec, ...]
    params: dict[str, Any]  # the settings the rules read (the program's, else the service-wide one)
    fees: dict[str, Any]  # FEE_KEYS in force; a key with no value in force is left out
    effective_from: dt.date | None = None  # the day the version took effect (said to the public, not its label)


def _read_book(program: Program, version: RuleSetVersion, as_of: dt.date, overrides: dict[str, Any]) -> RuleBook:
    rules = tuple(rule_specs(rules_of(version)))
    keys = set().union(*(parameters_used(r.condition) for r in rules)) if rules else set()
    params = resolve_params(program, keys | {"age_of_majority"}, as_of)
    params.update({key: value for key, value in overrides.items() if key in keys | {"age_of_majority"}})
    fees = {}
    for key in FEE_KEYS:
        try:
            fees[key] = overrides[key] if key in overrides else parameter_value(program, key, as_of)
        except NotFound:
            continue
    return RuleBook(program.code, program.name, version.label, rules, params, fees, version.effective_from)


def _no_rules(program_name: str, program_code: str, as_of: dt.date) -> NoRulesInForce:
    return NoRulesInForce(
        f"No published {program_name} eligibility rules are in force on {as_of.isoformat()}.",
        program=program_code,
        as_of=as_of,
    )


def book_in_force(program_code: str, as_of: dt.date) -> RuleBook:
    """The program's rule book on `as_of`, kept by this worker for up to BOOK_SECONDS."""

    def read() -> RuleBook:
        program = get_program(program_code)
        version = version_in_force(program, as_of)
        if version is None:  # raised, not kept: rules published later count at once
            raise _no_rules(program.name, program.code, as_of)
        return _read_book(program, version, as_of, {})

    return _books.get((program_code, as_of), BOOK_SECONDS, read)


def parameter_periods_in_force(key: str) -> dict[int, tuple[tuple[dt.date, dt.date | None, Any], ...]]:
    """Every program's periods of the dated parameter `key` (programs.service.parameter_periods: from, until, value),
    by program id in program order, kept by this worker for up to BOOK_SECONDS as the books are: for a statement that
    compares each row's date with the value in force on it (memberships.service.within_grace_period)."""
    return _periods.get(
        key, BOOK_SECONDS, lambda: {program.id: tuple(parameter_periods(program, key)) for program in list_programs()}
    )


def _forget_books() -> None:
    _books.clear()
    _periods.clear()


@event.listens_for(Session, "after_flush")
def _forget_changed_books(session, _context) -> None:
    """A flush that writes rules, settings or programs makes this worker read its books (and parameter periods)
    again, and again when that transaction ends: a book read inside it may hold what a rollback then takes back."""
    kinds = (Program, RuleSet, RuleSetVersion, Rule, Parameter)
    if any(isinstance(obj, kinds) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["rule_books_stale"] = True
        _forget_books()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_books_read_in_transaction(session, *_args) -> None:
    if session.info.pop("rule_books_stale", False):
        _forget_books()


def fee(book: RuleBook, facts: dict, as_of: dt.date) -> Decimal:
    """The new-enrollment fee on `as_of`; a Global Entry applicant under the age of majority whose parent or
    guardian is a member or applying pays fee_minor_with_member_parent where that parameter is in force."""
    if "fee_new" not in book.fees:
        raise NoRulesInForce(
            f"No {book.program_name} fee is in force on {as_of.isoformat()}.", program=book.program_code, as_of=as_of
        )
    amount = book.fees["fee_new"]
    if book.program_code == "global_entry" and facts.get("parent_member_or_applying"):
        majority = book.params.get("age_of_majority")
        if majority is None:
            raise NoRulesInForce(
                f"No {book.program_name} fee is in force on {as_of.isoformat()}.",
                program=book.program_code,
                as_of=as_of,
            )
        if age_on(facts["date_of_birth"], as_of) < majority:
            amount = book.fees.get("fee_minor_with_member_parent", amount)  # before the waiver, the full fee
    return Decimal(str(amount)).quantize(CENT)


def answer(book: RuleBook, facts: dict, *, as_of: dt.date, language: str) -> dict:
    """One program's answer (the CONTRACTS.md section 1 per-program body) by the rules and settings of `book`."""
    try:
        result: ProgramResult = evaluate(
            list(book.rules), facts, as_of=as_of, params=book.params, language=language, parameter_kinds=PARAMETER_KINDS
        )
    except FactsError as err:
        raise InvalidFacts(str(err)) from None
    except MissingParameter as err:
        raise NoRulesInForce(
            f"The {book.program_name} rules need the setting {err.key!r}, which has no value in force on "
            f"{as_of.isoformat()}.",
            program=book.program_code,
            as_of=as_of,
        ) from None
    return {
        "outcome": result.outcome,
        "fee": str(fee(book, facts, as_of)),
        "reasons": [r.as_dict() for r in result.reasons],
        "rule_set": book.label,
    }


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
    (the settings it proposes) in place of the values in force. Read afresh: the rules console compares them."""
    version = version or version_in_force(program, as_of)
    if version is None:
        raise _no_rules(program.name, program.code, as_of)
    book = _read_book(program, version, as_of, overrides or {})
    return answer(book, facts, as_of=as_of, language=language)


def _language(language: str | None) -> str:
    base = (language or "en").lower().replace("_", "-").split("-")[0]
    return base if base in ("en", "es") else "en"


def reason_messages(program_code: str, reasons: list[dict], *, as_of: dt.date, language: str | None) -> list[str]:
    """The messages of `reasons` (an answer's, as kept in an application's eligibility snapshot) in `language`,
    from the rules in force on `as_of` (the day of the answer): a snapshot keeps the messages in the language it
    was judged in, and a notice about it is written in its reader's. A reason whose rule cannot be found (no
    longer in force that day) keeps the message it was given."""
    try:
        rules = {rule.code: rule for rule in book_in_force(program_code, as_of).rules}
    except NoRulesInForce:
        rules = {}
    lang = _language(language)
    return [getattr(rules[r["code"]], f"message_{lang}") if r.get("code") in rules else r["message"] for r in reasons]


def rules_in_effect_since(as_of: dt.date) -> dt.date:
    """The day the newest of the programs' rule versions in force on `as_of` took effect: what the public check says
    instead of the versions' labels ("Rules in effect since November 1, 2026"). From the books a check reads."""
    return max(book_in_force(code, as_of).effective_from or as_of for code in PROGRAM_CODES)


def check_eligibility(facts: dict, *, as_of: dt.date, language: str = "en") -> dict:
    """Both programs' eligibility for `facts` (CONTRACTS.md section 1 request fields, Python values) on `as_of`,
    as the CONTRACTS response body. Raises NoRulesInForce when a program has no published rules on `as_of`."""
    return _checked(lambda code: book_in_force(code, as_of), facts, as_of=as_of, language=language)


def _checked(book_for, facts: dict, *, as_of: dt.date, language: str) -> dict:
    """The CONTRACTS section 1 body from each program's book (`book_for(code)`, read in program order)."""
    if not isinstance(facts.get("date_of_birth"), dt.date):
        raise InvalidFacts("date_of_birth is required.")
    if not facts.get("citizenships"):
        raise InvalidFacts("citizenships needs at least one country.")
    lang = _language(language)
    programs = {code: answer(book_for(code), facts, as_of=as_of, language=lang) for code in PROGRAM_CODES}
    travels = facts.get("travels_internationally")
    recommended = recommend(
        {code: result["outcome"] for code, result in programs.items()},
        travels_internationally=True if travels is None else bool(travels),
    )
    return {"as_of": as_of.isoformat(), "programs": programs, "recommended_program": recommended}


def proposed_settings(version: RuleSetVersion) -> list[Parameter]:
    """The settings `version` proposes (its own `parameters` rows): in force from its effective date once published,
    stand-ins for the values in force while it is a draft or in review."""
    return list(db.session.scalars(select(Parameter).where(Parameter.version_id == version.id).order_by(Parameter.key)))


def check_eligibility_with(
    version: RuleSetVersion, facts: dict, *, as_of: dt.date, language: str = "en"
) -> tuple[dict, dt.date]:
    """What `check_eligibility` would answer on `as_of` were `version` (of any status: a draft, one in review, one
    published to take effect later) the version of its program in force then, with the settings it proposes: the
    same body, through the same engine and fees, and the day "Rules in effect since" would name. The other program
    answers by its version in force on `as_of`, with any service-wide setting `version` proposes (the age of
    majority), as it would once `version` is published. Read afresh, never kept: the rules console's trial, which
    the public check cannot give (its `as_of` cannot be in the future, and it reads published versions only)."""
    tried = version.rule_set.program
    proposed = proposed_settings(version)
    shared = {p.key: p.value for p in proposed if p.program_id is None}
    books: dict[str, RuleBook] = {}

    def book_for(code: str) -> RuleBook:
        if code == tried.code:
            books[code] = _read_book(tried, version, as_of, {p.key: p.value for p in proposed})
        elif shared:
            program = get_program(code)
            in_force = version_in_force(program, as_of)
            if in_force is None:
                raise _no_rules(program.name, program.code, as_of)
            books[code] = _read_book(program, in_force, as_of, shared)
        else:
            books[code] = book_in_force(code, as_of)
        return books[code]

    body = _checked(book_for, facts, as_of=as_of, language=language)
    return body, max(book.effective_from or as_of for book in books.values())
