"""`POST /api/v1/eligibility/check` (CONTRACTS.md section 1): public, JSON in and out, no CSRF token, rate-limited.

Bad input gets 400 ``{"errors": [{"field": "offenses[0].category", "message": "…"}]}`` naming every bad field, each
message in the request's language (Accept-Language), as the reasons of an answer are. The messages are lazy strings,
made into text inside `force_locale` (a message raised while loading is text at once: marshmallow splits a
validator's message into its items unless it is a str)."""

from __future__ import annotations

import datetime as dt
import re

import pycountry
from flask import request
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from trusted_traveler.api import bp
from trusted_traveler.api.common import ErrorsSchema, bad_request, read_json_body
from trusted_traveler.auth.policy import public
from trusted_traveler.db import service_today
from trusted_traveler.extensions import csrf, limiter
from trusted_traveler.i18n import browser_language
from trusted_traveler.rules.conditions import OFFENSE_CATEGORIES, OFFENSE_STATUSES, citizenship_code, flatten_errors
from trusted_traveler.rules.service import EARLIEST_DATE_OF_BIRTH, NoRulesInForce, check_eligibility

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_OFFENSES = 100
MAX_CITIZENSHIPS = 20
REQUIRED = {"required": _l("This field is required."), "null": _l("This field cannot be null.")}
TEXT = {"invalid": _l("Use a text value.")}
UNKNOWN_FIELD = _l("Unknown field.")


def parse_date(value) -> dt.date | None:
    """A strict YYYY-MM-DD date, or None."""
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


class StrictDate(fields.Date):
    """A real calendar date written exactly as YYYY-MM-DD."""

    default_error_messages = {"invalid": _l("Use a real date written as YYYY-MM-DD.")}

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = parse_date(value)
        if parsed is None:
            raise self.make_error("invalid")
        return parsed


class StrictBoolean(fields.Boolean):
    """JSON true or false only (not "yes", 1 or "true")."""

    default_error_messages = {"invalid": _l("Use true or false.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class CountryCode(fields.String):
    """A citizenship's ISO 3166-1 alpha-2 code. A U.S. territory's own code (PR, GU, VI, AS, MP, UM) is "US": its
    people are U.S. citizens or nationals (rules.conditions.US_TERRITORIES)."""

    default_error_messages = {"invalid": _l("Use a two-letter ISO 3166-1 country code, such as US.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValidationError(
                _(
                    "%(code)s is not a known ISO 3166-1 alpha-2 country code. Use a code such as US or MX.",
                    code=repr(value),
                )
            )
        return citizenship_code(code)


def offense_category(value: str) -> None:
    if value not in OFFENSE_CATEGORIES:
        raise ValidationError(_("%(category)s is not a known offense category.", category=repr(value)))


def _flag(description: str, default: bool = False) -> StrictBoolean:
    return StrictBoolean(
        load_default=default,
        allow_none=True,
        metadata={"description": f"{description} Default: {str(default).lower()}."},
    )


class OffenseSchema(Schema):
    error_messages = {"type": _l("Each offense must be a JSON object."), "unknown": UNKNOWN_FIELD}

    category = fields.String(
        required=True,
        error_messages=REQUIRED | TEXT,
        validate=offense_category,
        metadata={"enum": list(OFFENSE_CATEGORIES), "description": "offense category code (CONTRACTS.md section 1)"},
    )
    status = fields.String(
        required=True,
        error_messages=REQUIRED | TEXT,
        validate=validate.OneOf(OFFENSE_STATUSES, error=_l("Use 'convicted' or 'pending'.")),
        metadata={"enum": list(OFFENSE_STATUSES)},
    )
    date = StrictDate(
        required=True,
        error_messages=REQUIRED,
        metadata={"description": "conviction date, or the charge date when pending"},
    )
    released_on = StrictDate(
        allow_none=True, load_default=None, metadata={"description": "release from incarceration, if any"}
    )


class EligibilityCheckSchema(Schema):
    error_messages = {"unknown": UNKNOWN_FIELD}

    as_of = StrictDate(
        allow_none=True,
        metadata={
            "description": "date on which rules, parameters and look-back windows apply; default today, the "
            "service's date (U.S. Eastern time unless configured otherwise), not UTC's"
        },
    )
    date_of_birth = StrictDate(
        required=True,
        error_messages=REQUIRED,
        metadata={"description": "from 1900-01-01 (an earlier date is refused as a mistake) to as_of"},
    )
    citizenships = fields.List(
        CountryCode(),
        required=True,
        error_messages=REQUIRED | {"invalid": _l('Give a list of country codes, such as ["US"].')},
        validate=validate.Length(
            min=1, max=MAX_CITIZENSHIPS, error=_l("Give between 1 and %(most)s country codes.", most=MAX_CITIZENSHIPS)
        ),
        metadata={
            "description": 'ISO 3166-1 alpha-2 codes; "US" for U.S. citizens and nationals (a U.S. territory\'s own '
            'code, such as "PR" or "GU", counts as "US")'
        },
    )
    lawful_permanent_resident = _flag("Holds a U.S. Permanent Resident Card.")
    offenses = fields.List(
        fields.Nested(OffenseSchema),
        allow_none=True,
        load_default=list,
        error_messages={"invalid": _l("Give a list of offense objects.")},
        validate=validate.Length(max=MAX_OFFENSES, error=_l("Give at most %(most)s offenses.", most=MAX_OFFENSES)),
    )
    customs_immigration_violation = _flag("Ever found in violation of customs, immigration or agriculture law.")
    under_investigation = _flag("Subject of a law-enforcement investigation, any country.")
    inadmissible_or_waiver = _flag("Inadmissible, or ever granted a waiver of inadmissibility or parole.")
    parent_member_or_applying = _flag("For a minor: a parent or guardian is a Global Entry member or applying.")
    travels_internationally = _flag("Used only for the recommendation.", default=True)


class ReasonSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True, metadata={"description": "plain language, in the request's language"})
    citation = fields.String(allow_none=True)


class ProgramCheckSchema(Schema):
    outcome = fields.String(required=True, metadata={"enum": ["eligible", "ineligible", "needs_review"]})
    fee = fields.String(required=True, metadata={"description": "U.S. dollars, e.g. 78.00", "example": "78.00"})
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)
    rule_set = fields.String(required=True, metadata={"example": "precheck-2026-11-01"})


class ProgramChecksSchema(Schema):
    precheck = fields.Nested(ProgramCheckSchema, required=True)
    global_entry = fields.Nested(ProgramCheckSchema, required=True)


class EligibilityResultSchema(Schema):
    as_of = fields.String(required=True, metadata={"format": "date"})
    programs = fields.Nested(ProgramChecksSchema, required=True)
    recommended_program = fields.String(
        required=True, allow_none=True, metadata={"enum": ["global_entry", "precheck", None]}
    )


CHECK_SCHEMA = EligibilityCheckSchema()  # built once: a schema holds no state between loads
FIELD_ORDER = list(EligibilityCheckSchema._declared_fields) + list(OffenseSchema._declared_fields)


def _sort_key(path: str):
    parts = re.findall(r"[A-Za-z_]+|\[\d+\]", path)
    return [
        (0, int(p[1:-1]), "") if p.startswith("[") else (1, FIELD_ORDER.index(p) if p in FIELD_ORDER else 99, p)
        for p in parts
    ]


def _cross_field_errors(body: dict, as_of: dt.date | None, today: dt.date) -> dict[str, LazyString]:
    """Dates in the future (as_of after today; the others after as_of, or after today when as_of is itself in the
    future, so that each is named at once), a date of birth before EARLIEST_DATE_OF_BIRTH (1900-01-01: an
    implausible age, a mistyped year) and released_on before date."""
    errors: dict[str, LazyString] = {}
    limit = min(as_of, today) if as_of else today

    def too_late(field: str) -> LazyString:
        if limit < today:
            return _l("%(field)s cannot be after the as_of date (%(as_of)s).", field=field, as_of=limit.isoformat())
        return _l("%(field)s cannot be after today.", field=field)

    if as_of and as_of > today:
        errors["as_of"] = _l("as_of cannot be in the future.")
    dob = parse_date(body.get("date_of_birth"))
    if dob and dob > limit:
        errors["date_of_birth"] = too_late("date_of_birth")
    elif dob and dob < EARLIEST_DATE_OF_BIRTH:
        errors["date_of_birth"] = _l(
            "date_of_birth cannot be before %(earliest)s. Check the year.", earliest=EARLIEST_DATE_OF_BIRTH.isoformat()
        )
    offenses = body.get("offenses")
    for i, offense in enumerate(offenses if isinstance(offenses, list) else []):
        if not isinstance(offense, dict):
            continue
        date, released = parse_date(offense.get("date")), parse_date(offense.get("released_on"))
        if date and date > limit:
            errors[f"offenses[{i}].date"] = too_late("date")
        if released and released > limit:
            errors[f"offenses[{i}].released_on"] = too_late("released_on")
        elif released and date and released < date:
            errors[f"offenses[{i}].released_on"] = _l("released_on cannot be before date.")
    return errors


def _bad_request(errors: dict[str, list]):
    """400 naming every bad field; the messages (lazy strings) made into text now, in the language in force."""
    return bad_request({field: [str(m) for m in messages] for field, messages in errors.items()}, sort_key=_sort_key)


@csrf.exempt
@bp.route("/eligibility/check", methods=["POST"])
@limiter.limit("60/minute")
@bp.doc(
    summary="Check eligibility for TSA PreCheck and Global Entry",
    requestBody={"required": True, "content": {"application/json": {"schema": EligibilityCheckSchema}}},
)
@bp.response(200, EligibilityResultSchema, description="The outcome, fee and reasons for each program")
@bp.alt_response(400, schema=ErrorsSchema, description="Bad input: every bad field is named")
@bp.alt_response(429, description="Too many requests; see Retry-After")
@public
def check_eligibility_view():
    """Public eligibility check, applying the published rule set in force on `as_of` (default: today, the service's
    date: U.S. Eastern time unless configured otherwise).

    No sign-in and no CSRF token are needed; it changes nothing. Send `Accept-Language: es` for Spanish messages (the
    reasons and, for bad input, the 400's messages).
    """
    language = browser_language(request.accept_languages)
    with force_locale(language):
        return _check(read_json_body(), language)


def _check(body, language: str):
    """The check of `body` (the request's JSON, or None), its messages in `language`."""
    if not isinstance(body, dict):
        return _bad_request({"body": [_l("Send a JSON object with the fields of the eligibility check.")]})
    errors: dict[str, list[str]] = {}
    data = None
    try:
        data = CHECK_SCHEMA.load(body)
    except ValidationError as err:
        for path, message in flatten_errors(err.messages):
            path = re.sub(r"^citizenships\[\d+\]$", "citizenships", path) or "body"
            errors.setdefault(path, []).append(message)
    today = service_today()
    for path, message in _cross_field_errors(body, parse_date(body.get("as_of")), today).items():
        errors.setdefault(path, [message])
    if errors:
        return _bad_request(errors)
    as_of = data.pop("as_of", None) or today
    facts = {key: value for key, value in data.items() if value is not None}
    facts["offenses"] = data.get("offenses") or []
    try:
        return check_eligibility(facts, as_of=as_of, language=language)
    except NoRulesInForce:
        return _bad_request({"as_of": [_l("No eligibility rules are in force on %(date)s.", date=as_of.isoformat())]})
