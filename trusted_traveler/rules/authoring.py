"""Changing eligibility rules and settings as a program lead: drafts, edits checked when saved, review by a second
program lead, publication with an effective date, retirement. A published version never changes; every action
leaves an audit record, which together with the versions is the history (who, when, why)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.models import Account
from trusted_traveler.auth.roles import Permission
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.programs.service import parameter_value
from trusted_traveler.rules.conditions import PARAMETER_KINDS, ConditionError, is_param_ref, validate_condition
from trusted_traveler.rules.models import Parameter, Rule, RuleSet, RuleSetVersion
from trusted_traveler.rules.service import version_in_force

OUTCOMES = ("ineligible", "needs_review", "condition")
# The audit actions that change what a version says; whoever did one of them cannot approve it.
EDITS = (
    "rules.draft_started",
    "rules.rule_saved",
    "rules.rule_removed",
    "rules.parameter_proposed",
    "rules.parameter_withdrawn",
    "rules.submitted",
)


@dataclass(frozen=True)
class Setting:
    """A setting a program lead may propose in a draft: what it holds, the values it may take (low and high,
    inclusive; dollars for money), and the programs it applies to (None: one value shared by every program)."""

    kind: str  # money, years, days or countries
    low: Any = None
    high: Any = None
    programs: tuple[str, ...] | None = ("precheck", "global_entry")
    unit: str = ""

    @property
    def shared(self) -> bool:
        return self.programs is None

    def range_text(self) -> str:
        """The values it may take, in words (beside the field, and in the message when a value is refused)."""
        if self.kind == "money":
            return f"${self.low} to ${self.high}"
        if self.kind == "countries":
            return "two-letter country codes, not US"
        return f"{self.low} to {self.high} {self.kind}"


FEE_MAX = Decimal("500.00")
# Every setting a lead can change, with its range, justified by the domain brief (BRIEF.md):
# - fees: never negative ($0 is a real fee: a waived one); at most $500, four times the highest fee the brief
#   records (Global Entry $120, SENTRI $122.25, PreCheck $78-$85), so a slipped digit ($1200) is caught;
# - the minor's fee with a member parent is Global Entry's only (BRIEF 1.2: from Oct 1, 2024, $0);
# - a membership lasts 5 years in both programs (BRIEF 2): 1 to 10;
# - renewal windows: PreCheck 6 months, Global Entry 1 year early (BRIEF 2): 1 to 730 days;
# - the renewal grace period is Global Entry's only (BRIEF 2: 6 months grew to 24 months; PreCheck's is
#   unconfirmed and not a setting): 1 to 1095 days, room for one more extension beyond the 24 months known;
# - partner countries are Global Entry's only (BRIEF 1.1), never the United States itself;
# - the age of majority is one value for both programs (the profile's guardian step, the Global Entry consent and
#   the minor's fee read it); BRIEF 1.2 says under 18, and U.S. states set it at 18 to 21: 18 to 21.
SETTINGS: dict[str, Setting] = {
    "fee_new": Setting("money", Decimal("0.00"), FEE_MAX),
    "fee_renewal": Setting("money", Decimal("0.00"), FEE_MAX),
    "fee_minor_with_member_parent": Setting("money", Decimal("0.00"), FEE_MAX, ("global_entry",)),
    "validity_years": Setting("years", 1, 10),
    "renewal_window_days": Setting("days", 1, 730),
    "grace_period_days": Setting("days", 1, 1095, ("global_entry",)),
    "partner_countries": Setting("countries", programs=("global_entry",)),
    "age_of_majority": Setting("years", 18, 21, None),
}
# What each editable setting holds (checked when it is saved).
PARAMETER_TYPES = {key: setting.kind for key, setting in SETTINGS.items()}
PROGRAM_NAMES = {"precheck": "TSA PreCheck", "global_entry": "Global Entry"}


def setting_label(key: str) -> str:
    """A setting's name as leads read it ("grace period days")."""
    return key.replace("_", " ")


def applies_to(key: str, program_code: str) -> bool:
    """Whether a draft of `program_code` may propose `key`: a setting of that program, or a shared one."""
    setting = SETTINGS.get(key)
    return setting is not None and (setting.shared or program_code in setting.programs)


def settings_for(program_code: str) -> list[str]:
    """The settings a draft of the program may propose, its own first, then those shared by every program."""
    own = [k for k, s in SETTINGS.items() if not s.shared and program_code in s.programs]
    return own + [k for k, s in SETTINGS.items() if s.shared]


def _owners(key: str) -> str:
    """The programs a setting applies to, by name ("Global Entry")."""
    return " and ".join(PROGRAM_NAMES.get(code, code) for code in SETTINGS[key].programs or ())


def not_applicable(key: str, program_name: str) -> str:
    """Why a setting of another program cannot be part of this program's change."""
    owners = _owners(key)
    return (
        f"“{setting_label(key)}” applies to {owners} only, not to {program_name}: it cannot be part of a "
        f"{program_name} change. Change it in a {owners} draft."
    )


def not_for_rules(key: str, program_name: str) -> str:
    """Why a rule of this program cannot compare with a setting of another (it has no value for this program)."""
    return (
        f"“{setting_label(key)}” applies to {_owners(key)} only, so a {program_name} rule cannot use it: enter the "
        "values themselves, or choose no setting."
    )


# How far ahead a version may be dated: far enough for any announced change, near enough that a mistyped year
# (9999-12-31) is caught.
HORIZON_YEARS = 5


class RuleError(BusinessRuleViolation):
    """A rule or setting cannot be saved; `errors` maps a field to its message. A condition's problems are also
    kept one by one, each with the path of the part at fault (`condition_errors`), so that a form can say each beside
    the field it came from."""

    def __init__(self, errors: dict[str, str], condition_errors: list[tuple[str, str]] | None = None):
        self.errors = errors
        self.condition_errors = condition_errors or []
        super().__init__(" ".join(errors.values()))


class StaleVersion(BusinessRuleViolation):
    """The page a lead acted from showed an earlier revision of the version, so nothing was done. `changed` says who
    changed it and when; the message adds what to do next (a form that keeps what was typed says its own)."""

    def __init__(self, changed: str):
        self.changed = changed
        next_step = _("Nothing was done: review it again as it is now, below, before you act.")
        super().__init__(f"{changed} {next_step}")


def _require_lead(by) -> None:
    if by is None or not by.can(Permission.MANAGE_RULES):
        raise PermissionDenied("Only a program lead can change eligibility rules and settings.")


def _draft(version: RuleSetVersion) -> RuleSetVersion:
    if version.status != "draft":
        raise BusinessRuleViolation(f"{version.label} is {version.status.replace('_', ' ')}; only a draft can change.")
    return version


def _revised(version: RuleSetVersion) -> None:
    """Count a change to what the version says or to its state; its UPDATE also checks no other save came first."""
    version.revision += 1


def check_revision(version: RuleSetVersion, seen: str | None) -> None:
    """Refuse to act on `version` from a page that showed another revision of it (`seen`: the revision the page's
    form carries), naming who changed it since and when, from the audit record of the change."""
    if (seen or "").strip() == str(version.revision):
        return
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.object_type == "rule_set_version", AuditEvent.object_id.in_(_labels(version)))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        raise StaleVersion(_("This version changed after your page was loaded."))
    actor = db.session.get(Account, event.actor_id) if event.actor_id else None
    raise StaleVersion(
        _(
            "%(who)s changed this version at %(when)s UTC, after your page was loaded.",
            who=actor.label if actor else _("The system"),
            when=f"{event.created_at:%Y-%m-%d %H:%M}",
        )
    )


def get_version(label: str) -> RuleSetVersion:
    version = db.session.scalar(select(RuleSetVersion).where(RuleSetVersion.label == label))
    if version is None:
        raise NotFound(f"There is no rule-set version {label!r}.")
    return version


def formerly(label: str) -> RuleSetVersion | None:
    """The version that was a draft called `label` (`precheck-draft-2`) and has another label now, being published
    (`precheck-2026-12-03`); None when `label` names no such draft. A draft's label is its program and number, and
    numbers are never given twice within a rule set, so the old label leads to one version only."""
    program_code, sep, number = label.rpartition("-draft-")
    if not sep or not number.isdigit() or len(number) > 9:
        return None
    return db.session.scalar(
        select(RuleSetVersion)
        .join(RuleSet)
        .join(Program, Program.id == RuleSet.program_id)
        .where(Program.code == program_code, RuleSetVersion.number == int(number), RuleSetVersion.label != label)
    )


def open_draft(program: Program) -> RuleSetVersion | None:
    return db.session.scalar(
        select(RuleSetVersion)
        .join(RuleSet)
        .where(RuleSet.program_id == program.id, RuleSetVersion.status.in_(("draft", "in_review")))
    )


def latest_published(program: Program) -> RuleSetVersion | None:
    """The version in force once every published version has taken effect: the open-ended one with the latest
    effective date. A new change builds on it, not on today's version: a published future-dated change would
    otherwise be undone when the new one takes effect. A temporary version (with an end date) is left out: its
    changes end with it, and a later change must not carry them on; only when every version ends (data seeded
    so) is it the one with the latest effective date, so that a draft can still be started to follow them."""
    return version_in_force(program, dt.date.max) or db.session.scalar(
        select(RuleSetVersion)
        .join(RuleSet)
        .where(RuleSet.program_id == program.id, RuleSetVersion.status == "published")
        .order_by(RuleSetVersion.effective_from.desc(), RuleSetVersion.number.desc())
        .limit(1)
    )


def periods_in_force(versions: list[RuleSetVersion]) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """For each published version of one rule set, the periods it is in force by `version_in_force`'s rule (the
    latest effective date among those whose window holds the day wins): an open-ended version ends where a later one
    takes over, and comes back when a temporary one ends. Each period is (from, until), until exclusive, None for
    open-ended. A version that is never in force has no periods."""
    published = [v for v in versions if v.status == "published" and v.effective_from is not None]
    days = sorted({d for v in published for d in (v.effective_from, v.effective_until) if d is not None})
    periods: dict[int, list[tuple[dt.date, dt.date | None]]] = {v.id: [] for v in published}
    for index, day in enumerate(days):
        holding = [
            v for v in published if v.effective_from <= day and (v.effective_until is None or day < v.effective_until)
        ]
        if not holding:
            continue
        winner = max(holding, key=lambda v: (v.effective_from, v.number))
        until = days[index + 1] if index + 1 < len(days) else None
        runs = periods[winner.id]
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], until)
        else:
            runs.append((day, until))
    return periods


def replaced_version(version: RuleSetVersion, *, today: dt.date) -> tuple[RuleSetVersion | None, dt.date]:
    """The published version that `version` takes over from, and the date it does: on its effective date once it
    has one (from today on); until then the latest published version, which a draft is copied from, from the day
    that one takes effect (or today). What a draft changes is measured against it, never against today's rules."""
    program = version.rule_set.program
    if version.effective_from is not None and version.effective_from >= today:
        return version_in_force(program, version.effective_from), version.effective_from
    base = latest_published(program)
    return base, max(today, base.effective_from) if base is not None else today


def start_draft(program: Program, *, by, today: dt.date) -> RuleSetVersion:
    """A new draft copying the latest published version (or the program's open draft, if there is one)."""
    _require_lead(by)
    existing = open_draft(program)
    if existing is not None:
        return existing
    base = latest_published(program)
    if base is None:
        raise BusinessRuleViolation(f"{program.name} has no published rules to start from.")
    number = (
        db.session.scalar(select(func.max(RuleSetVersion.number)).where(RuleSetVersion.rule_set_id == base.rule_set_id))
        + 1
    )
    draft = RuleSetVersion(
        rule_set_id=base.rule_set_id,
        number=number,
        label=f"{program.code}-draft-{number}",
        status="draft",
        created_by_id=by.id,
    )
    draft.rules = [
        Rule(
            code=r.code,
            position=r.position,
            condition=r.condition,
            outcome=r.outcome,
            message_en=r.message_en,
            message_es=r.message_es,
            citation=r.citation,
        )
        for r in base.rules
    ]
    db.session.add(draft)
    # Said now: after a failed flush the session reads nothing (the program's name, the lead's language) until the
    # view rolls it back.
    same_moment = _(
        "Another program lead started a change to %(program)s at the same moment. Continue it from the list below.",
        program=program.name,
    )
    try:
        db.session.flush()
    except IntegrityError:  # another lead started one at the same moment, with the same number
        raise BusinessRuleViolation(same_moment) from None
    record_event("rules.draft_started", "rule_set_version", draft.label, by=by, based_on=base.label)
    return draft


def save_rule(
    version: RuleSetVersion,
    *,
    by,
    code: str,
    condition: Any,
    outcome: str,
    message_en: str,
    message_es: str,
    citation: str | None,
    replaces: str | None = None,
    one_language_confirmed: bool = False,
) -> Rule:
    """Add a rule to a draft, or replace the rule called `replaces`. Everything is checked here, never later.

    Travelers read a rule's message in English or Spanish, so the two must say the same: a change to one message of
    an existing rule while the other stays as it was is refused (the error is on the other message), unless the lead
    confirms (`one_language_confirmed`) that the other still says the same, as after correcting a typo; the
    confirmation is in the audit record."""
    _require_lead(by)
    _draft(version)
    errors: dict[str, str] = {}
    previous = next((r for r in version.rules if r.code == replaces), None) if replaces else None
    only_changed = _one_message_changed(previous, message_en, message_es) if previous is not None else None
    if only_changed and not one_language_confirmed:
        other = "message_es" if only_changed == "en" else "message_en"
        errors[other] = (
            "You changed the English message but not this one: update the Spanish message to say the same, or "
            "tick the box below if it already does."
            if only_changed == "en"
            else "You changed the Spanish message but not this one: update the English message to say the same, "
            "or tick the box below if it already does."
        )
    code = (code or "").strip()
    if not code or not all(part.replace("_", "").isalnum() for part in code.split(".")):
        errors["code"] = "Give the rule a code of letters, digits, dots and underscores, like precheck.new_rule."
    elif code != replaces and any(r.code == code for r in version.rules):
        errors["code"] = f"This draft already has a rule called {code}."
    if outcome not in OUTCOMES:
        errors["outcome"] = "Choose what the rule does: ineligible, needs review, or a condition."
    if not (message_en or "").strip():
        errors["message_en"] = "Write the message in English that travelers will read."
    if not (message_es or "").strip():
        errors["message_es"] = "Write the message in Spanish that travelers will read."
    condition_errors: list[tuple[str, str]] = []
    try:
        condition = validate_condition(condition, parameters=PARAMETER_KINDS)
    except ConditionError as exc:
        errors["condition"] = "; ".join(f"{path}: {message}" for path, message in exc.errors)
        condition_errors = exc.errors
    else:
        condition_errors = value_problems(condition, program=version.rule_set.program.code)
        if condition_errors:
            errors["condition"] = "; ".join(f"{path}: {message}" for path, message in condition_errors)
    if errors:
        raise RuleError(errors, condition_errors)
    existing = previous
    if replaces and existing is None:
        raise NotFound(f"This draft has no rule called {replaces}.")
    if existing is None:
        existing = Rule(position=max((r.position for r in version.rules), default=0) + 1)
        version.rules.append(existing)
    existing.code, existing.condition, existing.outcome = code, condition, outcome
    existing.message_en, existing.message_es = message_en.strip(), message_es.strip()
    existing.citation = (citation or "").strip() or None
    _revised(version)
    db.session.flush()
    confirmed = {"other_language_unchanged": {"en": "es", "es": "en"}[only_changed]} if only_changed else {}
    record_event(
        "rules.rule_saved", "rule_set_version", version.label, by=by, rule=code, replaced=replaces, **confirmed
    )
    return existing


# What a clause may compare with, beyond what the condition language accepts (any whole number, windows of 0 to
# 150 years): an age is 0 (infants enroll: BRIEF 1.2 says there is no minimum age) to 120 (beyond any living
# applicant), and "under 0" holds for nobody; a look-back window is 1 to 100 years (BRIEF 1.3's are 5 and 7; 0 would
# look back to today only).
AGE_RANGE = (0, 120)
WINDOW_RANGE = (1, 100)


def age_problem(op: str, value: Any) -> str | None:
    """Why `value` is not a sensible age to compare with by `op`, in plain words, or None."""
    values = value if isinstance(value, list) else [value]
    low, high = AGE_RANGE
    for number in values:
        if not isinstance(number, int) or isinstance(number, bool):
            continue  # a setting, or a type the condition language refuses on its own
        if number < low:
            return f"{number} is not a possible age: enter a whole number of years from {low} to {high}."
        if number > high:
            return f"No applicant is {number}: enter a whole number of years from {low} to {high}."
        if op == "lt" and number == 0:
            return "Nobody is under 0: enter an age from 1 to 120, or choose “is at most” 0 for babies."
    return None


def window_problem(value: Any) -> str | None:
    low, high = WINDOW_RANGE
    if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
        return f"Enter a number of years from {low} to {high}, or leave it empty to count offenses at any time."
    return None


def value_problems(condition: Any, path: str = "condition", *, program: str | None = None) -> list[tuple[str, str]]:
    """Values a valid condition compares with that make no sense for the fact they test (a negative age, a
    look-back of 0 years), or a setting that does not apply to `program` (a program code; a TSA PreCheck rule read
    Global Entry's partner countries, which have no value for PreCheck, and its impact preview failed), each with
    its path as the condition language names it (condition.all[1].value)."""
    if not isinstance(condition, dict):
        return []
    problems: list[tuple[str, str]] = []
    for combinator in ("all", "any"):
        for index, child in enumerate(condition.get(combinator) or []):
            problems += value_problems(child, f"{path}.{combinator}[{index}]", program=program)
    if "not" in condition:
        problems += value_problems(condition["not"], f"{path}.not", program=program)
    if "where" in condition:
        problems += value_problems(condition["where"], f"{path}.where", program=program)
    field, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    problem = None
    if is_param_ref(value) and program is not None and not applies_to(value["param"], program):
        problem = not_for_rules(value["param"], PROGRAM_NAMES.get(program, program))
    elif field == "age":
        problem = age_problem(op, value)
    elif op == "within_years":
        problem = window_problem(value)
    if problem:
        problems.append((f"{path}.value", problem))
    return problems


def _same_text(a: str | None, b: str | None) -> bool:
    """Two messages say the same when only their spacing differs."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


def _one_message_changed(rule: Rule, message_en: str | None, message_es: str | None) -> str | None:
    """ "en" or "es" when exactly that message of `rule` is changed (and both are written), else None."""
    if not (message_en or "").strip() or not (message_es or "").strip():
        return None  # a missing message is refused on its own
    en_changed = not _same_text(rule.message_en, message_en)
    es_changed = not _same_text(rule.message_es, message_es)
    if en_changed == es_changed:
        return None
    return "en" if en_changed else "es"


def remove_rule(version: RuleSetVersion, code: str, *, by) -> None:
    _require_lead(by)
    _draft(version)
    rule = next((r for r in version.rules if r.code == code), None)
    if rule is None:
        raise NotFound(f"This draft has no rule called {code}.")
    version.rules.remove(rule)
    _revised(version)
    db.session.flush()
    record_event("rules.rule_removed", "rule_set_version", version.label, by=by, rule=code)


def parse_parameter(key: str, raw: Any) -> Any:
    """The typed value of a setting from what a person entered, or RuleError saying what is wrong and which values
    the setting may take (SETTINGS). Every message starts with the setting's name ("Age of majority: …"): it is read
    beside the value's field, in the form's error summary, and among a draft's problems, where no field names it."""
    setting = SETTINGS.get(key)
    if setting is None:
        raise RuleError({"key": f"{key!r} is not a setting that can be changed here."})
    kind = setting.kind
    name = setting_label(key).capitalize()
    text = raw if not isinstance(raw, str) else raw.strip()
    if kind == "money":
        try:
            typed = Decimal(str(text).lstrip("$"))
            amount = typed.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise RuleError({"value": f"{name}: Enter an amount in dollars, like 78.00."}) from None
        if not typed.is_finite() or amount != typed:  # NaN; or fractions of a cent, which would be rounded away
            raise RuleError({"value": f"{name}: Enter an amount in dollars and cents, like 78.00."})
        if amount < setting.low or amount > setting.high:
            why = (
                "a fee cannot be negative"
                if amount < 0
                else "the programs' fees are $0 to about $120: check for a slipped digit"
            )
            raise RuleError({"value": f"{name}: Enter an amount between ${setting.low} and ${setting.high} ({why})."})
        return str(amount)
    if kind in ("years", "days"):
        try:
            number = int(str(text))
        except ValueError:
            raise RuleError(
                {"value": f"{name}: Enter a whole number of {kind} from {setting.low} to {setting.high}."}
            ) from None
        low, high = setting.low, setting.high
        if not low <= number <= high:
            raise RuleError(
                {
                    "value": f"{name}: "
                    + (
                        _("Enter a number of years between %(low)s and %(high)s.", low=low, high=high)
                        if kind == "years"
                        else _("Enter a number of days between %(low)s and %(high)s.", low=low, high=high)
                    )
                }
            )
        return number
    codes = [c.strip().upper() for c in (text if isinstance(text, list) else str(text).replace(";", ",").split(","))]
    codes = [c for c in codes if c]
    unknown = [c for c in codes if pycountry.countries.get(alpha_2=c) is None]
    if not codes or unknown:
        raise RuleError(
            {
                "value": f"{name}: Enter two-letter country codes separated by commas, like GB, MX"
                + (f" ({', '.join(unknown)} is not a country code)." if unknown else ".")
            }
        )
    if "US" in codes:
        raise RuleError(
            {
                "value": f"{name}: The United States is not a partner country: its citizens apply on their own. "
                "Remove US."
            }
        )
    return sorted(set(codes))


def propose_parameter(version: RuleSetVersion, key: str, raw_value: Any, *, by, reference: str | None) -> Parameter:
    """Propose a new value of a setting in a draft; it takes effect with the version, on its effective date. Only a
    setting of the draft's program, or one shared by every program (which then changes both: the draft's page, its
    impact preview and the confirmation page say so), is accepted."""
    _require_lead(by)
    _draft(version)
    program = version.rule_set.program
    if key in SETTINGS and not applies_to(key, program.code):
        raise RuleError({"key": not_applicable(key, program.name)})
    value = parse_parameter(key, raw_value)
    if not (reference or "").strip():
        raise RuleError({"reference": "Say where this value comes from (a regulation, notice or decision)."})
    program_id = None if SETTINGS[key].shared else version.rule_set.program_id
    proposal = db.session.scalar(select(Parameter).where(Parameter.version_id == version.id, Parameter.key == key))
    if proposal is None:
        proposal = Parameter(version_id=version.id, key=key, program_id=program_id, effective_from=dt.date.max)
        db.session.add(proposal)
    proposal.value, proposal.reference, proposal.created_by_id = value, reference.strip(), by.id
    _revised(version)
    db.session.flush()
    record_event("rules.parameter_proposed", "rule_set_version", version.label, by=by, key=key, value=value)
    return proposal


def proposal_problems(version: RuleSetVersion) -> list[str]:
    """What is wrong with the settings a version proposes, as they are checked now (a draft saved before a check
    existed may hold a setting of another program, or a value out of range): each must be withdrawn or proposed
    again before the version is sent for review or published."""
    program = version.rule_set.program
    problems = []
    for proposal in proposals(version):
        if proposal.key not in SETTINGS:
            problems.append(f"“{setting_label(proposal.key)}” is not a setting that can be changed here: withdraw it.")
        elif not applies_to(proposal.key, program.code):
            problems.append(f"{not_applicable(proposal.key, program.name)} Withdraw it from this draft.")
        else:
            try:
                parse_parameter(proposal.key, proposal.value)
            except RuleError as exc:
                problems.append(f"{' '.join(exc.errors.values())} Propose it again, or withdraw it.")
    return problems


def withdraw_parameter(version: RuleSetVersion, key: str, *, by) -> None:
    _require_lead(by)
    _draft(version)
    proposal = db.session.scalar(select(Parameter).where(Parameter.version_id == version.id, Parameter.key == key))
    if proposal is not None:
        db.session.delete(proposal)
        _revised(version)
        db.session.flush()
        record_event("rules.parameter_withdrawn", "rule_set_version", version.label, by=by, key=key)


def proposals(version: RuleSetVersion) -> list[Parameter]:
    return list(db.session.scalars(select(Parameter).where(Parameter.version_id == version.id).order_by(Parameter.key)))


def shown_value(value: Any) -> str:
    """A setting's value as a lead reads it (partner countries: "GB, MX")."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def value_on(program, key: str, day: dt.date) -> str | None:
    """A setting's value in force for `program` (None: a shared one) on `day`, as a lead reads it (None: none)."""
    try:
        return shown_value(parameter_value(program, key, day))
    except NotFound:
        return None


def said_day(day: dt.date) -> str:
    """A day as the rules console's sentences say it: "January 1, 2027"."""
    return f"{day:%B %-d, %Y}"


def _before(key: str, on: dt.date) -> str | None:
    """The shared setting's value in force the day before `on`, as a lead reads it (None: none in force)."""
    return value_on(None, key, on - dt.timedelta(days=1))


def _timeline(before: str | None, changes: list[tuple[str, dt.date]]) -> str:
    """The values a shared setting takes, in order: "18 until December 31, 2026; 19 from January 1, 2027; 21 from
    February 1, 2027 (for both programs)". `changes` are (value, first day), by date; a value equal to the one
    before it is no change, and is left out."""
    parts, held = [], before
    for value, on in changes:
        if value == held:
            continue
        if not parts:
            last = said_day(on - dt.timedelta(days=1))
            parts.append(f"{before} until {last}" if before is not None else f"no value until {last}")
        parts.append(f"{value} from {said_day(on)}")
        held = value
    return ("; ".join(parts) or f"{before} throughout") + " (for both programs)"


def _clash(version: RuleSetVersion, mine: Parameter, other: RuleSetVersion, theirs: Parameter) -> str:
    """One other version proposing the same shared setting, in plain words: its program, label and state (a draft,
    in review, or published and not in effect yet: it "sets" the value), when it takes effect against this one
    (before, after, the same day), and what the setting is, day by day, once both are published. A setting's value
    is the one with the latest effective date (programs.service.parameter_value; on the same date, the one added
    to its draft later), for both programs: the earlier one is overridden from the later one's date, not combined
    with it. This version is a draft or in review (only those are warned)."""
    name = setting_label(mine.key)
    mine_on = version.effective_from if version.status == "in_review" else None
    theirs_on = other.effective_from if other.status in ("in_review", "published") else None
    mine_value, theirs_value = shown_value(mine.value), shown_value(theirs.value)
    program = other.rule_set.program.name
    if mine_on is None or theirs_on is None:
        order = ""
    elif theirs_on < mine_on:
        order = ", before this one"
    elif theirs_on > mine_on:
        order = ", after this one"
    else:
        order = ", the same day as this one"
    if other.status == "published":
        said = (
            f"A version already published, not in effect yet, also changes the {name}: {program}'s {other.label} "
            f"sets {theirs_value} from {said_day(theirs_on)}{order}"
        )
        if_both, its = "Once this one is published", "its"
    else:
        state = (
            f"in review, to take effect on {said_day(theirs_on)}{order}"
            if theirs_on
            else "a draft, with no effective date yet"
        )
        said = (
            f"Another unpublished version also changes the {name}: {program}'s {other.label} ({state}) "
            f"proposes {theirs_value}"
        )
        if_both, its = "If both are published", "this one's"
    said += f"; this one proposes {mine_value}" + (f" from {said_day(mine_on)}." if mine_on else ".")
    if theirs_value == mine_value:
        return f"{said} The values are the same, so neither overrides the other."
    if mine_on is None or theirs_on is None:
        return (
            f"{said} {if_both}, the one that takes effect later overrides the other for both programs from its "
            f"effective date: {its} {mine_value} is overridden if it takes effect before {other.label}, and "
            f"overrides {theirs_value} if it takes effect after."
        )
    before = _before(mine.key, min(mine_on, theirs_on))
    if mine_on == theirs_on:
        mine_wins = mine.id > theirs.id
        winner, loser = (mine_value, theirs_value) if mine_wins else (theirs_value, mine_value)
        whose = its if mine_wins else f"{other.label}'s"
        verdict = (
            f"{if_both}, {whose} {winner}, added to its draft later, holds for both programs from {said_day(mine_on)} "
            f"(the same day: {loser} never applies)"
        )
        timeline = _timeline(before, [(winner, mine_on)])
    elif mine_on < theirs_on:
        verdict = (
            f"{if_both}, {its} {mine_value} holds only until {said_day(theirs_on - dt.timedelta(days=1))}: "
            f"{other.label}'s {theirs_value} overrides it for both programs from {said_day(theirs_on)}"
        )
        timeline = _timeline(before, [(mine_value, mine_on), (theirs_value, theirs_on)])
    else:
        verdict = (
            f"{if_both}, {its} {mine_value} overrides {other.label}'s {theirs_value} for both programs from "
            f"{said_day(mine_on)}"
        )
        timeline = _timeline(before, [(theirs_value, theirs_on), (mine_value, mine_on)])
    return f"{said} {verdict}. The {name} would then be: {timeline}."


def shared_setting_clashes(version: RuleSetVersion, *, today: dt.date) -> list[str]:
    """For each setting shared by every program that `version` proposes, every other version of the other program
    that proposes it too and is not in force yet: a draft, one in review, or one published to take effect after
    `today` (a program has one open version at a time), said in plain words (_clash). The console warns on the
    version's page, its impact preview and the confirmation page; it does not refuse publication: the latest
    effective date decides, as for every setting, and the lead is told which value that is."""
    mine = {p.key: p for p in proposals(version) if p.key in SETTINGS and SETTINGS[p.key].shared}
    if not mine:
        return []
    waiting = or_(
        RuleSetVersion.status.in_(("draft", "in_review")),
        and_(RuleSetVersion.status == "published", RuleSetVersion.effective_from > today),
    )
    others = db.session.execute(
        select(Parameter, RuleSetVersion)
        .join(RuleSetVersion, Parameter.version_id == RuleSetVersion.id)
        .where(Parameter.key.in_(mine), RuleSetVersion.id != version.id, waiting)
        .order_by(Parameter.key, RuleSetVersion.id)
    ).all()
    return [_clash(version, mine[theirs.key], other, theirs) for theirs, other in others]


def published_versions(rule_set_id: int, *, excluding: int | None = None) -> list[RuleSetVersion]:
    """A rule set's published versions (but `excluding`), by effective date."""
    stmt = select(RuleSetVersion).where(RuleSetVersion.rule_set_id == rule_set_id, RuleSetVersion.status == "published")
    if excluding is not None:
        stmt = stmt.where(RuleSetVersion.id != excluding)
    return list(db.session.scalars(stmt.order_by(RuleSetVersion.effective_from)))


def check_dates(
    version: RuleSetVersion, effective_from: dt.date, effective_until: dt.date | None, today: dt.date
) -> None:
    """Refuse dates in the past or beyond the horizon, an empty window, a clash with another version, or a gap in
    time. A clash: the same start as another published version; a start inside another's dated period; or, for a
    version with an end date, another's start inside its period (an open-ended version ends where the next begins,
    so it swallows nothing)."""
    if effective_from < today:
        raise RuleError({"effective_from": "The effective date cannot be in the past: history is never rewritten."})
    horizon = dt.date(today.year + HORIZON_YEARS, today.month, min(today.day, 28) if today.month == 2 else today.day)
    for field, day in (("effective_from", effective_from), ("effective_until", effective_until)):
        if day is not None and day > horizon:
            raise RuleError(
                {
                    field: _(
                        "Choose a date at most %(years)s years ahead, on or before %(horizon)s.",
                        years=HORIZON_YEARS,
                        horizon=horizon.isoformat(),
                    )
                }
            )
    if effective_until is not None and effective_until <= effective_from:
        raise RuleError({"effective_until": "The end date must be after the effective date."})
    others = published_versions(version.rule_set_id, excluding=version.id)
    for other in others:
        if other.effective_from == effective_from:
            raise RuleError(
                {
                    "effective_from": f"{other.label} already takes effect on {effective_from}. "
                    "Choose another date, or retire that version first."
                }
            )
        if other.effective_until and other.effective_from < effective_from < other.effective_until:
            raise RuleError(
                {
                    "effective_from": f"{effective_from} falls inside {other.label}, which runs from "
                    f"{other.effective_from} until {other.effective_until}."
                }
            )
        if effective_until is not None and effective_from < other.effective_from < effective_until:
            raise RuleError(
                {
                    "effective_until": _(
                        "%(label)s takes effect on %(starts)s, inside the period you chose (%(begin)s until "
                        "%(end)s): the two would overlap. End this version on or before %(starts)s, or leave the "
                        "end date empty and it ends when that version begins.",
                        label=other.label,
                        starts=other.effective_from.isoformat(),
                        begin=effective_from.isoformat(),
                        end=effective_until.isoformat(),
                    )
                }
            )
    if effective_until is not None:
        later = [
            o
            for o in others
            if o.effective_from <= effective_until
            and (o.effective_until is None or o.effective_until > effective_until)
        ]
        if not later:
            raise RuleError(
                {
                    "effective_until": f"No published version takes over on {effective_until}: the "
                    "program would have no rules from then on. Leave the end date empty."
                }
            )


def submit_for_review(
    version: RuleSetVersion, *, by, effective_from: dt.date, effective_until: dt.date | None, note: str, today: dt.date
) -> None:
    _require_lead(by)
    _draft(version)
    if not (note or "").strip():
        raise RuleError({"note": "Say why this change is being made; it goes into the history."})
    if not version.rules:
        raise RuleError({"rules": "A version needs at least one rule."})
    problems = proposal_problems(version)
    if problems:
        raise RuleError({"settings": " ".join(problems)})
    check_dates(version, effective_from, effective_until, today)
    version.status, version.effective_from, version.effective_until = "in_review", effective_from, effective_until
    version.change_note, version.submitted_by_id = note.strip(), by.id
    _revised(version)
    db.session.flush()
    record_event(
        "rules.submitted",
        "rule_set_version",
        version.label,
        by=by,
        effective_from=str(effective_from),
        note=note.strip(),
    )


def return_to_draft(version: RuleSetVersion, *, by, note: str) -> None:
    _require_lead(by)
    if version.status != "in_review":
        raise BusinessRuleViolation("Only a version in review can be sent back.")
    version.status = "draft"
    _revised(version)
    db.session.flush()
    record_event("rules.returned", "rule_set_version", version.label, by=by, note=(note or "").strip())


def approval_refusal(version: RuleSetVersion, by) -> str | None:
    """Why `by` may not approve `version` (two-person rule: whoever started, edited or sent it cannot), or None. The
    version's page uses it too, so it offers approval only to a lead who may give it."""
    if version.submitted_by_id == by.id or version.created_by_id == by.id:
        return "A second program lead must approve: you cannot approve a change you made."
    if by.id in editors(version):
        return (
            "A second program lead must approve: you edited this version, so you cannot approve it. "
            "Ask a program lead who has not changed it."
        )
    return None


def published_label(version: RuleSetVersion) -> str:
    """The label a version in review is published under: its program and effective date (`precheck-2027-01-01`),
    with its number after it when another version has had that label (one retired before it took effect)."""
    label = f"{version.rule_set.program.code}-{version.effective_from:%Y-%m-%d}"
    taken = select(RuleSetVersion.id).where(RuleSetVersion.label == label, RuleSetVersion.id != version.id)
    return f"{label}-v{version.number}" if db.session.scalar(taken) is not None else label


def approve_and_publish(version: RuleSetVersion, *, by, today: dt.date) -> None:
    """The second program lead's approval publishes the version; it takes effect on its effective date."""
    _require_lead(by)
    if version.status != "in_review":
        raise BusinessRuleViolation("Only a version in review can be approved.")
    refusal = approval_refusal(version, by)
    if refusal:
        raise BusinessRuleViolation(refusal)
    check_dates(version, version.effective_from, version.effective_until, today)
    problems = proposal_problems(version)
    if problems:
        raise BusinessRuleViolation(" ".join(problems) + " Send it back to the draft to fix the settings.")
    label = published_label(version)
    for proposal in proposals(version):
        proposal.effective_from = version.effective_from
    version.label, version.status, version.approved_by_id, version.published_at = label, "published", by.id, utcnow()
    _revised(version)
    db.session.flush()
    record_event("rules.published", "rule_set_version", label, by=by, effective_from=str(version.effective_from))


def retire(version: RuleSetVersion, *, by, note: str, today: dt.date) -> None:
    """Withdraw a published version that has not taken effect yet. One that has is refused: its rules and settings
    gave answers and fees on the days behind us, and later versions build on it; a new version changes what it says
    from a new date instead. Refused too when the program would have no rules on some day from today on: in force
    is constant between the dates versions start and end, so checking those dates (and today) checks every day."""
    _require_lead(by)
    if version.status != "published":
        raise BusinessRuleViolation("Only a published version can be retired.")
    if version.effective_from <= today:
        raise RuleError(
            {
                "note": f"{version.label} took effect on {version.effective_from}: retiring it would rewrite "
                "history. Publish a new version that changes what you need from a new date instead."
            }
        )
    if not (note or "").strip():
        raise RuleError({"note": "Say why this version is retired."})
    others = published_versions(version.rule_set_id, excluding=version.id)
    boundaries = {today} | {d for o in (*others, version) for d in (o.effective_from, o.effective_until) if d}
    for day in sorted(d for d in boundaries if d >= today):
        if not any(o.effective_from <= day and (o.effective_until is None or day < o.effective_until) for o in others):
            raise RuleError(
                {"note": f"Retiring this version would leave the program with no rules in force from {day}."}
            )
    version.status = "retired"
    _revised(version)
    db.session.flush()
    record_event("rules.retired", "rule_set_version", version.label, by=by, note=note.strip())


def _labels(version: RuleSetVersion) -> set[str]:
    """Every label the version has had: its draft label, and the one it was published under."""
    return {version.label, f"{version.rule_set.program.code}-draft-{version.number}"}


def history(version: RuleSetVersion) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "rule_set_version", AuditEvent.object_id.in_(_labels(version)))
            .order_by(AuditEvent.id)
        )
    )


def editors(version: RuleSetVersion) -> set[int]:
    """The accounts that changed what the version says (started it, saved or removed a rule, proposed or withdrew a
    setting, or sent it for review), read from the audit log, which records every edit. None of them may approve
    it: otherwise a lead could edit a colleague's draft, let the colleague submit it, and approve their own edits."""
    return set(
        db.session.scalars(
            select(AuditEvent.actor_id).where(
                AuditEvent.object_type == "rule_set_version",
                AuditEvent.object_id.in_(_labels(version)),
                AuditEvent.action.in_(EDITS),
                AuditEvent.actor_id.is_not(None),
            )
        )
    )
