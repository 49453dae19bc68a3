"""A readable copy of everything we hold about a traveler (/privacy/my-data): the very dict the JSON download is
made of (privacy.service.export_for), laid out as headings, lists of facts and tables, in the reader's language.

It walks that dict rather than the database, so the two cannot disagree: every key has a label here (LABELS; a
test fails when the export gains a key without one, and meanwhile the key is shown as it is), every value is shown
in words (a code by the words the traveler's pages use for it; a code this does not know, as it is), and nothing is
left out but the file's format number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from trusted_traveler.casework.reasons import BY_CODE as REASONS
from trusted_traveler.casework.states import public_label
from trusted_traveler.feedback.service import DRIVER_LABELS, TOUCHPOINT_LABELS
from trusted_traveler.i18n import format_count, format_day, format_size, zone_abbreviation
from trusted_traveler.web.forms import country_name, offense_name
from trusted_traveler.web.intake.forms import EMPLOYMENT_STATUSES, EYE_COLORS
from trusted_traveler.web.intake.views import TITLES as PROFILE_TOPICS
from trusted_traveler.web.paragraphs import LINE_BREAK, paragraphs
from trusted_traveler.web.portal.views import LETTER_TITLES

EMPTY = "—"
# Every key of the export, as the page names it. One label a key, wherever it is: a key means the same thing in
# every part of the export ("status" is a status, "kind" a kind), and the heading above says whose it is.
LABELS = {
    # the account
    "account": _l("Your account"),
    "email": _l("E-mail address"),
    "name": _l("Name"),
    "preferred_language": _l("Language"),
    "created_at": _l("Created on"),
    "last_sign_in_at": _l("Last signed in"),
    # the profile
    "profile": _l("Your profile"),
    "surname": _l("Surname"),
    "given_names": _l("Given names"),
    "middle_names": _l("Middle names"),
    "date_of_birth": _l("Date of birth"),
    "birth_city": _l("City or town of birth"),
    "birth_region": _l("State or province of birth"),
    "birth_country": _l("Country of birth"),
    "sex": _l("Sex"),
    "height_cm": _l("Height"),
    "eye_color": _l("Eye color"),
    "hair_color": _l("Hair color"),
    "lawful_permanent_resident": _l("U.S. permanent resident"),
    "phone": _l("Phone"),
    "mailing_same_as_residential": _l("Mailing address is the home address"),
    "mailing_line1": _l("Mailing address, line 1"),
    "mailing_line2": _l("Mailing address, line 2"),
    "mailing_city": _l("Mailing address, city or town"),
    "mailing_region": _l("Mailing address, state or region"),
    "mailing_postal_code": _l("Mailing address, ZIP or postal code"),
    "mailing_country": _l("Mailing address, country"),
    "customs_immigration_violation": _l("Ever found in violation of customs, immigration or agriculture law"),
    "under_investigation": _l("Under investigation by a law enforcement agency"),
    "inadmissible_or_waiver": _l("Ever inadmissible to the U.S., or granted a waiver or parole"),
    "background_details": _l("Your explanation"),
    "background_answered_at": _l("Background questions answered"),
    "guardian_surname": _l("Parent or guardian's surname"),
    "guardian_given_names": _l("Parent or guardian's given names"),
    "guardian_relationship": _l("Parent or guardian's relationship"),
    "guardian_email": _l("Parent or guardian's e-mail address"),
    "guardian_reference": _l("Parent or guardian's application or Known Traveler Number"),
    "guardian_consent_at": _l("Parent or guardian's consent given"),
    "updated_at": _l("Last changed"),
    "other_names": _l("Other names you have used"),
    "citizenships": _l("Citizenship"),
    "documents": _l("Identity documents"),
    "kind": _l("Kind"),
    "issuing_country": _l("Issued by"),
    "issuing_region": _l("Issuing state or region"),
    "number": _l("Number"),
    "number_last4": _l("Last four digits"),
    "issued_on": _l("Issued on"),
    "expires_on": _l("Expires"),
    "enhanced": _l("Enhanced driver's license"),
    "addresses": _l("Where you have lived"),
    "from_month": _l("From"),
    "to_month": _l("To"),
    "line1": _l("Address, line 1"),
    "line2": _l("Address, line 2"),
    "city": _l("City or town"),
    "region": _l("State or region"),
    "postal_code": _l("ZIP or postal code"),
    "country": _l("Country"),
    "employment": _l("Work and study"),
    "status": _l("Status"),
    "employer": _l("Employer or school"),
    "occupation": _l("Job title"),
    "countries_visited": _l("Countries visited"),
    "offenses": _l("Arrests, charges and convictions you told us about"),
    "category": _l("Offense"),
    "date": _l("Date"),
    "released_on": _l("Released on"),
    "details": _l("Details"),
    # applications
    "applications": _l("Your applications"),
    "reference": _l("Application number"),
    "program": _l("Program"),
    "fee": _l("Fee"),
    "fee_waiver_reason": _l("Fee waived because"),
    "attested_at": _l("You confirmed your answers"),
    "submitted_at": _l("Sent on"),
    "decided_at": _l("Decided on"),
    "eligibility": _l("Eligibility when you applied"),
    "outcome": _l("Outcome"),
    "reasons": _l("Reasons"),
    "code": _l("Code"),
    "message": _l("Message"),
    "citation": _l("Rule"),
    "rule_set": _l("Rules used"),
    "as_of": _l("Rules in force on"),
    "profile_as_submitted": _l("Your profile as you sent it"),
    "saved_at": _l("Profile last saved"),
    "facts": _l("What the eligibility rules read"),
    "parent_member_or_applying": _l("Parent or guardian is a Global Entry member or applying"),
    "travels_internationally": _l("Travels abroad"),
    "eligibility_after_a_change": _l("Eligibility after you changed your profile"),
    "problem": _l("Problem"),
    "checked_at": _l("Checked on"),
    "step": _l("Topic changed"),
    "fields": _l("Answers changed"),
    "status_history": _l("Status history"),
    "at": _l("When"),
    "your_statement": _l("What you wrote"),
    "information_requests": _l("Requests for information"),
    "due_on": _l("Answer by"),
    "answer": _l("Your answer"),
    "answered_at": _l("Answered on"),
    "letters": _l("Letters"),
    "reason_codes": _l("Reasons"),
    "explanation": _l("Explanation"),
    "issued_at": _l("Sent on"),
    "files_uploaded": _l("Files you sent"),
    "filename": _l("File name"),
    "purpose": _l("Sent with"),
    "size_bytes": _l("Size"),
    "uploaded_at": _l("Sent on"),
    "appointments": _l("Appointments"),
    "center": _l("Enrollment center"),
    "starts_at": _l("Date and time"),
    "booked_at": _l("Booked on"),
    "times_moved": _l("Times moved"),
    "checked_in_at": _l("Checked in on"),
    "cancelled_at": _l("Cancelled on"),
    "waitlist": _l("Waitlist places"),
    "centers": _l("Enrollment centers"),
    "earliest_date": _l("Earliest date"),
    "latest_date": _l("Latest date"),
    "joined_at": _l("Joined on"),
    "survey_answers": _l("Survey answers you gave with your name"),
    "about": _l("About"),
    "scores": _l("Scores"),
    "comment": _l("Comment"),
    # payments, memberships, notifications
    "payments": _l("Your payments"),
    "amount": _l("Amount"),
    "receipt_number": _l("Payment reference"),
    "started_at": _l("Started on"),
    "completed_at": _l("Completed on"),
    "failure_message": _l("Why it did not go through"),
    "items": _l("Paid for"),
    "application": _l("Application"),
    "memberships": _l("Your memberships"),
    "known_traveler_number": _l("Known Traveler Number"),
    "valid_from": _l("Valid from"),
    "valid_until": _l("Valid until"),
    "notifications": _l("Your notifications"),
    "title": _l("Title"),
    "body": _l("Message"),
    "link": _l("Link"),
    "read_at": _l("Read on"),
}
NOT_SHOWN = frozenset({"format_version", "exported_at"})  # about the file, not the person (exported_at heads the page)

# Codes in words, by the list they are in (the key above them) and their own key, or by their key alone.
WORDS: dict[tuple[str | None, str], Mapping[str, Any]] = {
    (None, "preferred_language"): {"en": "English", "es": "Español"},
    (None, "sex"): {"F": _l("Female"), "M": _l("Male"), "X": _l("X (unspecified or another gender identity)")},
    (None, "eye_color"): EYE_COLORS,
    (None, "guardian_relationship"): {
        "mother": _l("Mother"),
        "father": _l("Father"),
        "parent": _l("Parent"),
        "legal_guardian": _l("Legal guardian"),
    },
    (None, "outcome"): {
        "eligible": _l("Eligible"),
        "ineligible": _l("Not eligible"),
        "needs_review": _l("Needs review"),
    },
    (None, "fee_waiver_reason"): {"minor_with_member_parent": _l("a parent or guardian is a member or applying")},
    (None, "step"): PROFILE_TOPICS,
    (None, "about"): {code: _l(label) for code, label in TOUCHPOINT_LABELS.items()},
    (None, "purpose"): {
        "info_response": _l("An answer to a request for information"),
        "reconsideration": _l("A request to reconsider"),
    },
    ("applications", "kind"): {"new": _l("New"), "renewal": _l("Renewal")},
    ("documents", "kind"): {
        "passport": _l("Passport"),
        "permanent_resident_card": _l("Permanent Resident Card"),
        "drivers_license": _l("Driver's license"),
    },
    ("other_names", "kind"): {
        "previous": _l("Previous name"),
        "maiden": _l("Maiden name"),
        "alias": _l("Other name or alias"),
    },
    ("letters", "kind"): LETTER_TITLES,
    ("employment", "status"): dict(EMPLOYMENT_STATUSES),
    ("offenses", "status"): {"convicted": _l("Convicted"), "pending": _l("Charge still pending")},
    ("memberships", "status"): {"active": _l("Active"), "expired": _l("Expired"), "revoked": _l("Revoked")},
    ("payments", "status"): {
        "started": _l("Under way"),
        "completed": _l("Paid"),
        "declined": _l("Declined"),
        "failed": _l("Failed"),
        "refunded": _l("Refunded"),
        "abandoned": _l("Not finished"),
    },
    ("appointments", "status"): {
        "booked": _l("Booked"),
        "checked_in": _l("Checked in"),
        "completed": _l("Visit done"),
        "no_show": _l("Missed"),
        "cancelled": _l("Cancelled"),
    },
    ("waitlist", "status"): {
        "waiting": _l("Waiting"),
        "offered": _l("Offered a time"),
        "booked": _l("Booked a time"),
        "expired": _l("Ended"),
        "cancelled": _l("Left the waitlist"),
    },
}
PROGRAMS = {"precheck": "TSA PreCheck", "global_entry": "Global Entry"}
COUNTRY_KEYS = frozenset(
    {"birth_country", "mailing_country", "country", "issuing_country", "citizenships", "countries_visited"}
)
MONTH_KEYS = frozenset({"from_month", "to_month"})  # month and year: the day is not asked
AMOUNT_KEYS = frozenset({"fee", "amount"})
# A date or time the export holds as text (what an application kept when it was sent, a JSON column)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Table:
    heading: str | None  # None: the table is all its section has, under the section's heading
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    """A heading, its facts (label and value), then its parts: tables and smaller sections."""

    heading: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    parts: list[Section | Table] = field(default_factory=list)
    empty: str | None = None  # said in place of the facts and parts when there are none


def label(key: str) -> str:
    found = LABELS.get(key)
    return str(found) if found is not None else key.replace("_", " ").capitalize()


PARTS = ("account", "profile", "memberships", "applications", "payments", "notifications")  # in the page's order


def readable(data: Mapping[str, Any]) -> list[Section]:
    """The export's parts, each a section: the account, the profile, memberships, applications (a section each),
    payments and notifications; then any part the export gains later, as it is."""
    sections = [_section("account", data["account"], {})]
    if data["profile"] is None:
        sections.append(Section(label("profile"), empty=_("You have not started a profile.")))
    else:
        sections.append(_section("profile", data["profile"], {}))
    sections.append(_list_section("memberships", data["memberships"]))
    applications = Section(label("applications"), empty=None if data["applications"] else _("None."))
    for application in data["applications"]:
        program = application["program"]
        heading = _(
            "%(program)s application %(reference)s", program=_program(program), reference=application["reference"]
        )
        applications.parts.append(_section("applications", application, {"program": program}, heading))
    sections.append(applications)
    sections.append(_list_section("payments", data["payments"]))
    sections.append(_list_section("notifications", data["notifications"]))
    sections.extend(_part(key, value, {}) for key, value in data.items() if key not in {*PARTS, *NOT_SHOWN})
    return sections


def _section(key: str, values: Mapping[str, Any], context: dict, heading: str | None = None) -> Section:
    section = Section(heading or label(key))
    for name, value in values.items():
        if isinstance(value, Mapping) or (isinstance(value, list) and value and isinstance(value[0], Mapping)):
            section.parts.append(_part(name, value, {**context, "list": name}))
        else:
            section.facts.append((label(name), shown(name, value, {**context, "list": context.get("list", key)})))
    return section


def _part(key: str, value: Any, context: dict) -> Section | Table:
    if isinstance(value, Mapping):
        return _section(key, value, context)
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return _table(key, value, context)
    return Section(label(key), facts=[(label(key), shown(key, value, context))])


def _list_section(key: str, rows: list) -> Section:
    if not rows:
        return Section(label(key), empty=_("None."))
    table = _table(key, rows, {})
    table.heading = None
    return Section(label(key), parts=[table])


def _table(key: str, rows: list[Mapping[str, Any]], context: dict) -> Table:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    context = {**context, "list": key}
    return Table(
        heading=label(key),
        columns=[label(name) for name in columns],
        rows=[[shown(name, row.get(name), context) if name in row else "" for name in columns] for row in rows],
    )


def shown(key: str, value: Any, context: Mapping[str, Any]) -> str:
    """`value` of `key` as the page shows it, in the reader's language. `context`: the list it is in ("list") and
    the application's program ("program"), which name some codes."""
    if value is None or value == "":
        return _("Now") if key == "to_month" and context.get("list") in ("addresses", "employment") else EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return Markup("; ").join(shown(key, item, context) for item in value) if value else _("None")
    if isinstance(value, Mapping):
        if key == "scores":
            return "; ".join(f"{_(DRIVER_LABELS.get(k, k))}: {_('%(score)s of 5', score=v)}" for k, v in value.items())
        return Markup(", ").join(Markup("{}: {}").format(label(k), shown(k, v, context)) for k, v in value.items())
    if key in COUNTRY_KEYS:
        return country_name(value)
    if key == "program":
        return _program(value)
    if key == "fields":  # names of the profile's answers
        return label(value)
    if key == "status" and context.get("list") in ("applications", "status_history") and context.get("program"):
        try:
            return _(public_label(context["program"], value))
        except (KeyError, ValueError):
            return str(value)
    if key == "category":
        return offense_name(value)
    if key == "reason_codes":
        reason = REASONS.get(value)
        return _(reason.letter) if reason is not None else str(value)
    if key in AMOUNT_KEYS:
        return f"${value}"
    if key == "size_bytes" and isinstance(value, int):
        return format_size(value)
    if key == "height_cm" and isinstance(value, int):
        return _("%(cm)s cm", cm=format_count(value))
    words = WORDS.get((context.get("list"), key)) or WORDS.get((None, key))
    if words and isinstance(value, str) and value in words:
        return str(words[value])
    return _when(key, value)


def _when(key: str, value: Any) -> str:
    """A date or a time in words (a stored time in the service's zone, named); anything else as it is."""
    if isinstance(value, str) and ISO_DATE.match(value):  # kept as text in a JSON column
        try:
            value = dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return Markup("{} {}").format(format_day(value, "%B %-d, %Y, %-I:%M %p"), zone_abbreviation(value))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return format_day(value, "%B %Y" if key in MONTH_KEYS else "%B %-d, %Y")
    if isinstance(value, str) and LINE_BREAK.search(value):  # written on several lines: kept so
        return paragraphs(value, "margin-y-05")
    return str(value)


def _program(code: str) -> str:
    return PROGRAMS.get(code, code)
