"""Forms for program leads. A rule's condition is edited as clauses (nobody types JSON): each clause tests one fact
or asks whether the applicant has an offense matching categories, status and look-back windows; the clauses are
combined with "all" or "any", optionally negated. `build_condition` and `clauses_of` convert both ways; a condition
the form cannot express is left as it is and shown in plain words."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from trusted_traveler.rules.authoring import (
    OUTCOMES,
    SETTINGS,
    WINDOW_RANGE,
    age_problem,
    setting_label,
    settings_for,
)
from trusted_traveler.rules.conditions import OFFENSE_CATEGORIES, is_country_code
from trusted_traveler.web.forms import AtMost, CheckboxesField, FieldList, SelectField, choices
from trusted_traveler.web.forms import RadioField as AppRadioField
from trusted_traveler.web.intake.forms import CATEGORY_LABELS
from trusted_traveler.web.public.forms import WhichProgramForm

FLAGS = (
    "lawful_permanent_resident",
    "customs_immigration_violation",
    "under_investigation",
    "inadmissible_or_waiver",
    "parent_member_or_applying",
    "travels_internationally",
)
FACT_LABELS = {
    "age": "Age in years",
    "citizenships": "Citizenship",
    "lawful_permanent_resident": "Holds a U.S. Permanent Resident Card",
    "customs_immigration_violation": "Broke customs, immigration or agriculture law",
    "under_investigation": "Under investigation",
    "inadmissible_or_waiver": "Refused entry, or given a waiver or parole",
    "parent_member_or_applying": "A parent or guardian is a Global Entry member or applying",
    "travels_internationally": "Travels abroad",
}
OPS = {
    "is_true": "is yes",
    "is_false": "is no",
    "lt": "is under",
    "lte": "is at most",
    "gt": "is over",
    "gte": "is at least",
    "eq": "is exactly",
    "contains_any": "includes any of",
}

# The fields of a clause that only one kind of clause reads (the rule form shows each group under its own heading).
FACT_ONLY = ("field", "op", "value", "parameter")
WINDOW_MESSAGE = (
    f"Enter a number of years from {WINDOW_RANGE[0]} to {WINDOW_RANGE[1]}, or leave it empty to count offenses at "
    "any time."
)
OFFENSE_ONLY = ("categories", "statuses", "date_within_years", "released_within_years")


class ClauseForm(Form):
    kind = SelectField(
        "This clause tests",
        choices=choices([("fact", "a fact about the applicant"), ("offense", "whether the applicant has an offense")]),
    )
    field = SelectField("Fact", choices=choices(FACT_LABELS.items()), default="age")
    op = SelectField("Test", choices=choices(OPS.items()), default="is_true")
    value = StringField(
        "Value",
        validators=[Optional(), Length(max=2000)],
        description="A whole number of years from 0 to 120 for age; two-letter country codes separated by commas "
        "for citizenship.",
    )
    parameter = SelectField(
        "Or use the setting",
        choices=choices(
            [
                ("", "No setting: use the value above"),
                ("age_of_majority", "age of majority"),
                ("partner_countries", "partner countries"),
            ]
        ),
    )
    categories = CheckboxesField(
        "Offense categories (none ticked: any)",
        choices=choices([(c, CATEGORY_LABELS[c]) for c in OFFENSE_CATEGORIES]),
    )
    statuses = CheckboxesField(
        "Status (none ticked: either)",
        choices=choices([("convicted", "Convicted"), ("pending", "Pending")]),
    )
    date_within_years = IntegerField(
        "Convicted or charged within this many years (optional)",
        validators=[Optional(), NumberRange(*WINDOW_RANGE, WINDOW_MESSAGE)],
        description=f"{WINDOW_RANGE[0]} to {WINDOW_RANGE[1]} years; empty: at any time.",
    )
    released_within_years = IntegerField(
        "Or released within this many years (optional)",
        validators=[Optional(), NumberRange(*WINDOW_RANGE, WINDOW_MESSAGE)],
        description=f"{WINDOW_RANGE[0]} to {WINDOW_RANGE[1]} years; empty: at any time.",
    )


class SeenRevision(FlaskForm):
    """A form that changes a draft or a version in review carries the revision of the version its page showed
    (RuleSetVersion.revision); one sent from a page older than the version is refused (authoring.check_revision)."""

    revision = HiddenField()


class RuleForm(SeenRevision):
    code = StringField(
        "Rule code",
        validators=[DataRequired("Give the rule a code."), Length(max=80)],
        description="Letters, digits, dots and underscores, like precheck.new_rule.",
    )
    outcome = SelectField(
        "When it applies, the applicant is", choices=choices([(o, o.replace("_", " ")) for o in OUTCOMES])
    )
    negate = RadioField(
        "The rule applies",
        choices=choices([("no", "when the clauses below hold"), ("yes", "when the clauses below do NOT hold")]),
        default="no",
    )
    combine = RadioField(
        "Combine the clauses", choices=choices([("all", "all must hold"), ("any", "any may hold")]), default="all"
    )
    clauses = FieldList(FormField(ClauseForm), label="Clauses", min_entries=1, max_entries=12)
    message_en = TextAreaField("Message in English", validators=[Length(max=1000)])
    message_es = TextAreaField("Message in Spanish", validators=[Length(max=1000)])
    one_language_only = BooleanField(
        "I changed the message in one language only: the other message already says the same"
    )
    citation = StringField("Legal citation", validators=[Length(max=200)])
    original_code = HiddenField()


def _number_or_codes(clause: ClauseForm) -> Any:
    if clause.parameter.data:
        return {"param": clause.parameter.data}
    raw = (clause.value.data or "").strip()
    if clause.field.data == "age":
        # a non-number is reported by the validator; \d is what int() reads (str.isdigit also takes "²")
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    return [c.strip().upper() for c in raw.replace(";", ",").split(",") if c.strip()]


def _clause_condition(clause: ClauseForm) -> dict:
    if clause.kind.data == "offense":
        parts: list[dict] = []
        statuses = clause.statuses.data or []
        if len(statuses) == 1:
            parts.append({"field": "status", "op": "eq", "value": statuses[0]})
        categories = clause.categories.data or []
        if len(categories) == 1:
            parts.append({"field": "category", "op": "eq", "value": categories[0]})
        elif categories:
            parts.append({"field": "category", "op": "in", "value": list(categories)})
        windows = [
            {"field": name, "op": "within_years", "value": getattr(clause, f"{name}_within_years").data}
            for name in ("date", "released")
            if getattr(clause, f"{name}_within_years").data is not None
        ]
        for window in windows:
            window["field"] = "released_on" if window["field"] == "released" else "date"
        if len(windows) == 2:
            parts.append({"any": windows})
        elif windows:
            parts.append(windows[0])
        if not parts:
            return {"exists": "offenses"}
        return {"exists": "offenses", "where": parts[0] if len(parts) == 1 else {"all": parts}}
    field, op = clause.field.data, clause.op.data
    if field in FLAGS:
        return {"field": field, "op": op}
    return {"field": field, "op": op, "value": _number_or_codes(clause)}


def build_condition(form: RuleForm) -> dict:
    items = [_clause_condition(entry.form) for entry in form.clauses]
    body = items[0] if len(items) == 1 else {form.combine.data or "all": items}
    return {"not": body} if form.negate.data == "yes" else body


def _offense_clause(cond: dict) -> dict | None:
    data: dict[str, Any] = {"kind": "offense", "categories": [], "statuses": []}
    where = cond.get("where")
    parts = [] if where is None else (where["all"] if "all" in where else [where])
    for part in parts:
        windows = part.get("any", [part]) if "any" in part else [part]
        for p in windows:
            field, op, value = p.get("field"), p.get("op"), p.get("value")
            if field == "status" and op == "eq":
                data["statuses"] = [value]
            elif field == "category" and op in ("eq", "in"):
                data["categories"] = [value] if op == "eq" else list(value)
            elif field in ("date", "released_on") and op == "within_years" and isinstance(value, int):
                data["date_within_years" if field == "date" else "released_within_years"] = value
            else:
                return None
    return data


def _fact_clause(cond: dict) -> dict | None:
    field, op, value = cond.get("field"), cond.get("op"), cond.get("value")
    if field not in FACT_LABELS or op not in OPS:
        return None
    data = {"kind": "fact", "field": field, "op": op, "parameter": "", "value": ""}
    if isinstance(value, dict) and "param" in value:
        data["parameter"] = value["param"]
    elif isinstance(value, list):
        data["value"] = ", ".join(value)
    elif value is not None and not isinstance(value, bool):
        data["value"] = str(value)
    return data


def clauses_of(condition: dict) -> dict | None:
    """Form data for a condition, or None when the clause form cannot express it."""
    negate = "not" in condition
    body = condition["not"] if negate else condition
    combine = "any" if "any" in body else "all"
    items = body.get(combine) if combine in body else [body]
    clauses = []
    for item in items:
        clause = _offense_clause(item) if "exists" in item else _fact_clause(item) if "field" in item else None
        if clause is None:
            return None
        clauses.append(clause)
    return {"negate": "yes" if negate else "no", "combine": combine, "clauses": clauses}


def setting_choice(key: str) -> str:
    """A setting as the form offers it: its name, the values it may take, and, for one shared by every program,
    that changing it changes both."""
    setting = SETTINGS[key]
    shared = " — shared by TSA PreCheck and Global Entry: changes both" if setting.shared else ""
    return f"{setting_label(key)} ({setting.range_text()}){shared}"


class ParameterForm(SeenRevision):
    key = SelectField(
        "Setting",
        choices=choices([("", "Choose a setting"), *[(k, setting_choice(k)) for k in SETTINGS]]),
        validators=[DataRequired("Choose the setting to change.")],
    )
    value = StringField(
        "New value",
        validators=[DataRequired("Enter the new value.")],
        description="Dollars for fees (78.00); whole numbers for years and days; "
        "country codes separated by commas for partner countries.",
    )
    reference = StringField("Source", validators=[DataRequired("Say where the new value comes from."), AtMost(500)])

    def for_program(self, program) -> ParameterForm:
        """Offer only the settings that apply to `program` (its own and the shared ones), each with its range, and
        say beside the value which values each may take. Called as the form is shown, once every error is on it."""
        keys = settings_for(program.code)
        self.key.choices = choices([("", "Choose a setting"), *[(k, setting_choice(k)) for k in keys]])
        ranges = "; ".join(f"{setting_label(k)}: {SETTINGS[k].range_text()}" for k in keys)
        self.value.description = (
            f"Dollars for fees (78.00); whole numbers for years and days; country codes separated by commas for "
            f"partner countries. Allowed for {program.name}: {ranges}."
        )
        self._name_errors()
        return self

    def _name_errors(self) -> None:
        """Every error starts with what it is about, beside the field and in the error summary alike: the value's
        by the setting chosen ("Age of majority: …"; authoring.parse_parameter's already do), the others by their
        field. A message that already starts so is left as it is."""
        key = self.key.data if isinstance(self.key.data, str) and self.key.data in SETTINGS else None
        names = (
            (self.key, "Setting"),
            (self.value, setting_label(key).capitalize() if key else "New value"),
            (self.reference, "Source"),
        )
        for field, name in names:
            field.errors = [m if str(m).startswith(f"{name}:") else f"{name}: {m}" for m in field.errors]


class SubmitForm(SeenRevision):
    effective_from = DateField("Takes effect on", validators=[InputRequired("Enter the date it takes effect.")])
    effective_until = DateField("Ends on (optional)", validators=[Optional()])
    note = TextAreaField(
        "Why this change", validators=[DataRequired("Say why this change is being made."), Length(max=2000)]
    )


class NoteForm(FlaskForm):
    note = TextAreaField("Reason", validators=[Length(max=2000)])


class VersionActionForm(SeenRevision, NoteForm):
    """A button on a version's page that changes it: remove a rule, withdraw a setting, approve, send back (with
    NoteForm's reason)."""


AGE_OPS = ("lt", "lte", "gt", "gte", "eq")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _clause_problems(clause: ClauseForm) -> list[tuple[Any, str]]:
    """What is wrong with one fact clause, in plain words, each with the field it is about."""
    if clause.kind.data == "offense":
        return []  # its fields are choices and bounded numbers, checked by their validators
    field, op, setting = clause.field.data, clause.op.data, clause.parameter.data
    raw = (clause.value.data or "").strip()
    if field in FLAGS:
        if op not in ("is_true", "is_false"):
            return [(clause.op, "For a yes-or-no fact, choose “is yes” or “is no”.")]
        return []
    problems: list[tuple[Any, str]] = []
    if field == "age":
        if op not in AGE_OPS:
            problems.append((clause.op, "For age, choose is under, is at most, is over, is at least or is exactly."))
        if setting and setting != "age_of_majority":
            problems.append(
                (
                    clause.parameter,
                    "That setting is a list of countries, not an age: choose “age of majority” or no setting.",
                )
            )
        elif not setting and not raw:
            problems.append((clause.value, "Enter an age, like 18, or choose the “age of majority” setting."))
        elif not setting and not re.fullmatch(r"-?\d+", raw):  # what _number_or_codes reads as a number
            problems.append((clause.value, f"{raw} is not an age. Enter a whole number of years, like 18."))
        elif not setting and (problem := age_problem(op, int(raw))):
            problems.append((clause.value, problem))
        return problems
    if op != "contains_any":
        problems.append((clause.op, "For citizenship, choose “includes any of”."))
    if setting and setting != "partner_countries":
        problems.append(
            (
                clause.parameter,
                "That setting is an age, not a list of countries: choose “partner countries” or no setting.",
            )
        )
    elif not setting:
        codes = _number_or_codes(clause)
        unknown = [code for code in codes if not is_country_code(code)]
        if not codes:
            problems.append((clause.value, "Enter one or more two-letter country codes, like CA for Canada."))
        elif unknown:
            are = "is not a country code" if len(unknown) == 1 else "are not country codes"
            problems.append((clause.value, f"{_and(unknown)} {are}. Use two letters, like CA for Canada."))
    return problems


def plain_clause_errors(form: RuleForm) -> list[tuple[Any, str]]:
    """Every problem of the form's clauses, in plain words, each with the field at fault; the condition language's
    own messages (rules.conditions, written for developers) are shown only for what these do not cover."""
    return [problem for entry in form.clauses for problem in _clause_problems(entry.form)]


def clause_error_field(form: RuleForm, path: str) -> Any:
    """The form field a condition error's path points at (``condition.not.any[1].value``: clause 2's value), or
    None when the path names no clause of the form."""
    match = re.fullmatch(r"condition(?:\.not)?(?:\.(?:all|any)\[(\d+)\])?(.*)", path)
    if match is None:
        return None
    index, rest = int(match.group(1) or 0), match.group(2)
    if index >= len(form.clauses.entries):
        return None
    clause = form.clauses.entries[index].form
    if rest.startswith(".where"):
        return clause.categories
    if rest.startswith(".value"):
        return clause.parameter if clause.parameter.data else clause.value
    return {".op": clause.op, ".field": clause.field}.get(rest, clause.kind)


class PublishForm(SeenRevision):
    """The confirmation page's "Publish": the revision of the version it showed, and the version it compared it
    with (rules.publication.replaced_token). Publishing needs both, so a press anywhere else publishes nothing."""

    replaced = HiddenField()


ANSWER_LANGUAGES = (("en", "English"), ("es", "Español"))


class TrialForm(WhichProgramForm):
    """The public check's questions (WhichProgramForm, the same facts), with the version to answer by, the day to
    answer on and the language of the answer. The choices of version are set by the view
    (rules.trial.versions_to_try)."""

    version = SelectField("Rules to answer by", validators=[DataRequired("Choose the version to try.")])
    as_of = DateField(
        "Answer as on",
        validators=[Optional()],
        description="Leave empty for the first day the version would be in force: its effective date, or today.",
    )
    language = AppRadioField("Language of the answer", choices=choices(ANSWER_LANGUAGES), default="en")

    HEADER = ("version", "as_of", "language")  # shown first, under their own heading
