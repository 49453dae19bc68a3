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

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from trusted_traveler.caching import TTLCache
from trusted_traveler.errors import DomainError, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.programs.service import (
    get_program,
    list_programs,
    parameter_in_force_since,
    parameter_periods,
    parameter_value,
)
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


def _param_since(program: Program, key: str, as_of: dt.date) -> dt.date | None:
    """The day the value `_param` gives on `as_of` took effect (the program's own value, else the service-wide one)."""
    return parameter_in_force_since(program, key, as_of) or parameter_in_force_since(None, key, as_of)


def version_in_force_since(version: RuleSetVersion, as_of: dt.date) -> dt.date | None:
    """The day `version`, in force on `as_of`, took effect: its effective date, or later, the day a temporary version
    of the same rule set that had taken over from it ended, giving it back. None for a version never published."""
    if version.effective_from is None:
        return None
    gave_back = db.session.scalar(
        select(func.max(RuleSetVersion.effective_until)).where(
            RuleSetVersion.rule_set_id == version.rule_set_id,
            RuleSetVersion.id != version.id,
            RuleSetVersion.status == "published",
            RuleSetVersion.effective_from >= version.effective_from,
            RuleSetVersion.effective_until > version.effective_from,
            RuleSetVersion.effective_until <= as_of,
        )
    )
    return max(version.effective_from, gave_back) if gave_back else version.effective_from


@dataclass(frozen=True)
class RuleBook:
    """Everything one program's answer needs on a date, read from the database once: plain values, no ORM rows."""

    program_code: str
    program_name: str
    label: str
    rules: tuple[RuleSpec, ...]
    params: dict[str, Any]  # the settings the rules read (the program's, else the service-wide one)
    fees: dict[str, Any]  # FEE_KEYS in force; a key with no value in force is left out
    effective_from: dt.date | None = None  # the day the version took effect
    # The latest day, on or before the book's date, on which anything in it took effect: the version, a fee, or a
    # setting its rules read (said to the public, not the version's label: "Rules in effect since October 1, 2024").
    in_effect_since: dt.date | None = None


def _read_book(program: Program, version: RuleSetVersion, as_of: dt.date, overrides: dict[str, Any]) -> RuleBook:
    """The book of `version` on `as_of`; `overrides` (a version's proposed settings, tried before it is published)
    stand in for the values in force and count as taking effect with the version (on `as_of` for a draft)."""
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
    starts = version.effective_from or as_of  # a draft tried on a day counts from that day
    days = [version_in_force_since(version, as_of) or starts]
    for key in sorted((set(params) | set(fees)) - set(overrides)):
        days.append(parameter_in_force_since(program, key, as_of) if key in fees else _param_since(program, key, as_of))
    days.extend(starts for key in overrides if key in params or key in fees)
    since = min(max(day for day in days if day is not None), as_of)
    return RuleBook(program.code, program.name, version.label, rules, params, fees, version.effective_from, since)


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


def rules_in_effect_since(as_of: dt.date, *, also: tuple[str, ...] = ()) -> dt.date:
    """The latest day, on or before `as_of`, on which anything that shapes the programs' answers took effect: a rule
    version in force, a fee, or a setting the rules read (partner countries, the age of majority). What the public
    check says instead of the versions' labels ("Rules in effect since October 1, 2024"). From the books a check
    reads; `also` names other dated settings a page shows (the portal's renewal fees and windows), whose days this
    worker keeps as it keeps the books."""
    days = [book_in_force(code, as_of).in_effect_since or as_of for code in PROGRAM_CODES]
    if also:

        def read() -> tuple[dt.date | None, ...]:
            programs = [get_program(code) for code in PROGRAM_CODES]
            return tuple(_param_since(program, key, as_of) for program in programs for key in also)

        days.extend(_books.get(("since", tuple(also), as_of), BOOK_SECONDS, read))  # kept and forgotten as books are
    return max(day for day in days if day is not None)


# The earliest plausible date of birth: an earlier one (0001-01-01, a year typed as 19) is a mistake, and would make
# an applicant well over a hundred years old. The API and the public check's form both refuse it.
EARLIEST_DATE_OF_BIRTH = dt.date(1900, 1, 1)


def _time_limits(node: Any, params: dict[str, Any], found: dict[str, set[int]]) -> dict[str, set[int]]:
    """The year counts a condition compares dates (within_years) and ages with: the days its answer can change on."""
    if isinstance(node, dict):
        if "op" in node and "field" in node:
            value = node.get("value")
            if isinstance(value, dict) and "param" in value:
                value = params.get(value["param"])
            if isinstance(value, int) and not isinstance(value, bool):
                if node["op"] == "within_years":
                    found["date"].add(value)
                elif node["field"] == "age":
                    found["age"].update({value, value + 1})  # lt/gte change on a birthday, lte/gt a year on
        for child in node.values():
            _time_limits(child, params, found)
    elif isinstance(node, list):
        for child in node:
            _time_limits(child, params, found)
    return found


def _years_after(day: dt.date, years: int) -> dt.date | None:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year, or past the calendar's end
        return day.replace(year=day.year + years, day=28) if day.year + years <= dt.MAXYEAR else None


def can_apply_from(program_code: str, facts: dict, *, as_of: dt.date) -> dt.date | None:
    """For facts the program's rules in force on `as_of` find ineligible: the first later day on which, by those same
    rules and settings and the answers given, they no longer would, when only time passing changes the answer (the
    look-back windows: 7 years after a conviction, 5 after a release). None when time alone never changes it (a
    citizenship, a permanent offense, a pending charge), or the answer is not ineligible."""
    book = book_in_force(program_code, as_of)
    found: dict[str, set[int]] = {"date": set(), "age": set()}
    for rule in book.rules:
        _time_limits(rule.condition, book.params, found)
    days: set[dt.date | None] = set()
    for offense in facts.get("offenses") or ():
        for day in (offense.get("date"), offense.get("released_on")):
            if isinstance(day, dt.date):
                # a window of N years ends the day after its last day (rules.conditions: both ends inclusive)
                last_days = (_years_after(day, years) for years in found["date"])
                days.update(last + dt.timedelta(days=1) for last in last_days if last and last < dt.date.max)
    born = facts.get("date_of_birth")
    if isinstance(born, dt.date):
        days.update(_years_after(born, years) for years in found["age"])  # a birthday
    if answer(book, facts, as_of=as_of, language="en")["outcome"] != "ineligible":
        return None
    for day in sorted(day for day in days if day is not None and day > as_of):
        if answer(book, facts, as_of=day, language="en")["outcome"] != "ineligible":
            return day
    return None


def partner_country_citizen(facts: dict, *, as_of: dt.date) -> bool:
    """Someone who may apply for Global Entry only as a citizen of a partner country (not a U.S. citizen or national,
    nor a lawful permanent resident): TSA PreCheck is not open to them on its own, and their own country's program
    usually has to vet them first (BRIEF.md 1.1)."""
    if "US" in (facts.get("citizenships") or ()) or facts.get("lawful_permanent_resident"):
        return False
    book = book_in_force("global_entry", as_of)
    partners = book.params.get("partner_countries")
    if partners is None:
        try:
            partners = _param(get_program("global_entry"), "partner_countries", as_of)
        except NotFound:
            return False
    return bool(set(facts.get("citizenships") or ()) & set(partners))


def family_settings(as_of: dt.date) -> dict[str, Any]:
    """What the public page says about children, from the settings in force on `as_of`: the age of majority (under
    it, a Global Entry applicant needs consent) and the Global Entry fee of a minor whose parent or guardian is a
    member or applying (None before that waiver took effect)."""
    book = book_in_force("global_entry", as_of)
    minor_fee = book.fees.get("fee_minor_with_member_parent")
    return {
        "age_of_majority": book.params.get("age_of_majority", 18),
        "minor_fee": None if minor_fee is None else Decimal(str(minor_fee)).quantize(CENT),
    }


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
    return body, max(book.in_effect_since or as_of for book in books.values())
