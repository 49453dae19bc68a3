"""WTForms: shape and required fields only. Business rules live in the services."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pycountry
import wtforms
from email_validator import EmailNotValidError, validate_email
from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, Select

from trusted_traveler.auth.roles import ROLE_LABELS, STAFF_ROLES
from trusted_traveler.db import service_today
from trusted_traveler.i18n import EXAMPLE_DATE, format_count, numeric_date, read_date
from trusted_traveler.rules.conditions import OFFENSE_NAMES, US_TERRITORIES

# Words of letters (any script's, never digits or symbols; the modifier letter ʼ is a letter), each maybe ending in a
# period ("St. John", "J. R. R.", "J.R.R."), joined by one space, or by a hyphen or an apostrophe (' or ’) between
# letters ("O’Brien", "Mary-Jane"). A name field runs single_spaces first, so "Ana  Lee" is "Ana Lee".
NAME_WORDS = re.compile(r"^[^\W\d_]+(?:(?:\. ?| |[\-'’])[^\W\d_]+)*\.?\Z")


def is_name(value: str) -> bool:
    """Whether `value` is a name as NAME_WORDS reads one, a combining mark (Unicode category M) counting as part of
    the letter before it. Fields compose accents (NFC) first, but some letters have no composed form: Yoruba's "ọ̀"
    (Adébáyọ̀), Lithuanian's "ą̃", and every vowel sign and virama of Devanagari or Thai (प्रिया, สมศักดิ์). A mark
    that follows no letter (at the start, after a space or a hyphen) is refused."""
    letters = []
    for char in value:
        if unicodedata.category(char).startswith("M"):
            if not letters or not letters[-1].isalpha():
                return False
            continue
        letters.append(char)
    return NAME_WORDS.match("".join(letters)) is not None


class NamePattern:
    """The validator of a person's name (is_name)."""

    message = _l("Use letters only, with spaces, hyphens or apostrophes between names.")

    def __call__(self, form, field):
        if not is_name(field.data or ""):
            raise ValidationError(self.message)


NAME_PATTERN = NamePattern()
# The row numbers a page writes into its fields' names ("addresses-0-line1", "remove:addresses:0"): ASCII digits, and
# no list has 1,000 rows. str.isdigit() also says yes to "²", which int() refuses, and int() refuses 4,300 digits.
ROW_INDEX = re.compile(r"[0-9]{1,3}")


class QuickSelect(Select):
    """WTForms' <select>, each plain option written directly: the same HTML, about three times faster to render.
    The officer queue's center filter and the profile's country lists are 50 to 250 options a page."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        label = escape(choice.label or choice.value)
        return f'<option {"selected " if choice.selected else ""}value="{escape(choice.value)}">{label}</option>'


# An answer that is none of the choices: only a changed or out-of-date page sends one. WTForms says "Not a valid
# choice."
NOT_A_CHOICE = _l("Choose one of the answers given.")


class SelectField(wtforms.SelectField):
    """The app's select field: WTForms' own, rendered by QuickSelect, with a plain message for an answer that is not
    one of its choices."""

    widget = QuickSelect()

    def __init__(self, *args, invalid_choice_message=NOT_A_CHOICE, **kwargs):
        super().__init__(*args, invalid_choice_message=invalid_choice_message, **kwargs)


class RadioField(wtforms.RadioField):
    """The app's radio buttons: WTForms' own, with the plain message for an answer that is not one of its choices."""

    def __init__(self, *args, invalid_choice_message=NOT_A_CHOICE, **kwargs):
        super().__init__(*args, invalid_choice_message=invalid_choice_message, **kwargs)


class CheckboxesField(wtforms.SelectMultipleField):
    """Tick boxes, one a choice (each an <input type=checkbox>; a <select>'s options would not post), with a plain
    message for a tick that is none of its choices, which only a changed or out-of-date page sends (WTForms says
    "'x' is not a valid choice for this field.")."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, invalid_choice_message=NOT_A_CHOICE, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_choice_message = invalid_choice_message

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.invalid_choice_message) from None


def clean_text(value):
    """Trim, compose accents (NFC), so "é" typed as e + combining accent is one letter, and make each line break a
    text area sends (CR LF, as every browser posts one) a single LF, as the browser's own count has it: otherwise an
    answer of 50 lines was 50 characters longer here than the page's character count said (AtMost)."""
    return unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip() if isinstance(value, str) else value


def text_or_none(value):
    """clean_text, and nothing typed (or only spaces) is no answer: None. Optional() lets "   " through unchecked,
    so without this it was saved as the answer, and 4,001 spaces reached a column of 4,000 (an error on PostgreSQL)."""
    value = clean_text(value)
    return None if value == "" else value


def single_spaces(value):
    """A name's words one space apart: a double space, a tab or a non-breaking space between them is one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


class AtMost:
    """At most `most` characters, counted as the database counts them (one per Unicode code point, as PostgreSQL's
    varchar and Python's len do) in the answer as it is kept: after the field's filters, so trimmed, accents composed
    and a line break one character (clean_text). A longer answer is refused with a message that says how long it may
    be and how long it is, and is shown again whole.

    It sets no `maxlength` on the control (WTForms' Length does): a browser cuts a longer paste at maxlength without
    a word, and counts in UTF-16 units, so an emoji took two of the 4,000. Instead the page says the limit under a text
    area and app.js counts as this does, live (the `data-most` attribute, field_attrs; character_limit)."""

    def __init__(self, most: int):
        self.most = most

    def __call__(self, form, field):
        count = len(field.data) if isinstance(field.data, str) else 0
        if count > self.most:
            raise ValidationError(
                _(
                    "Shorten this to %(most)s characters or fewer: it has %(count)s.",
                    most=format_count(self.most),
                    count=format_count(count),
                )
            )


def character_limit(field) -> int | None:
    """The most characters `field` takes (its AtMost), or None."""
    return next((v.most for v in field.validators if isinstance(v, AtMost)), None)


def fits(column) -> AtMost:
    """At most as many characters as `column` (a model's String column) holds: a longer answer is a message beside
    its field, not a database error, nor cut short by the browser."""
    return AtMost(column.type.length)


class TextMeta:
    """A form's Meta part (mixed into a form's `class Meta`): every text field of the form (StringField and its kinds:
    text areas, month fields) gets `text_or_none` after its own filters, so no text field can be forgotten. The CSRF
    token is left alone."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(field_class, CSRFTokenField):
            options = {**options, "filters": [*unbound_field.kwargs.get("filters", ()), text_or_none]}
        return super().bind_field(form, unbound_field, options)


class FieldList(wtforms.FieldList):
    """The app's list of rows: WTForms' own, reading only the row numbers a page writes (ROW_INDEX). WTForms' passes
    any index str.isdigit() accepts to int(): "addresses-²-line1" or a 4,300-digit index was a 500. Such names are
    ignored, as any name the form does not know is. (The same class name: pages test `type == "FieldList"`.)
    `names_its_rows`: its rows' messages already say which row and field they are about (a center's weekly hours:
    "Tuesday, closing time: …"), so the error summary puts no row name in front of them."""

    def __init__(self, *args, names_its_rows: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.names_its_rows = names_its_rows

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if ROW_INDEX.fullmatch(index):
                    yield int(index)


@dataclass(frozen=True)
class ShownWhen:
    """Fields of a form asked only after one answer to a question on the same page (`when`: "question=answer"). The
    page shows them as one group, a fieldset `id` under `legend`, which app.js hides until that answer is chosen
    (data-shown-when); without JavaScript it is always shown, and the form ignores the fields after another answer.
    A form lists its groups in `groups`."""

    id: str
    legend: Any
    when: str
    fields: tuple[str, ...]


def laid_out(form) -> list[tuple[str, Any, list]]:
    """A form's fields in page order as the page shows them (templates/_macros/forms.html, all_fields): ("field",
    field, []) each, but for each of the form's groups (ShownWhen) one ("group", group, its fields) where its first
    field is. The CSRF token is left out."""
    groups = getattr(form, "groups", ())
    owner = {name: group for group in groups for name in group.fields}
    items: list[tuple[str, Any, list]] = []
    for field in form:
        if field.type == "CSRFTokenField":
            continue
        group = owner.get(field.short_name)
        if group is None:
            items.append(("field", field, []))
        elif field.short_name == next(name for name in group.fields if name in form):
            items.append(("group", group, [form[name] for name in group.fields if name in form]))
    return items


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def search_args(form) -> dict[str, str]:
    """A search form's fields as they came in the query string, for the links that page through its results. Only
    the form's own fields, and only those given: any other name could be one url_for reads itself (`_external`,
    `_scheme`, `_anchor`, `_method`), which would give a 500 or a link to another site."""
    return {field.name: field.raw_data[0] for field in form if field.raw_data and field.raw_data[0]}


def country_choices(blank: str = _l("Select a country")) -> list[SelectChoice]:
    """Every country, named and sorted in the traveler's language (Babel's CLDR names; pycountry's in English)."""
    locale = get_locale()
    names = locale.territories if locale is not None and locale.language != "en" else {}
    countries = sorted(
        ((c.alpha_2, names.get(c.alpha_2) or getattr(c, "common_name", c.name)) for c in pycountry.countries),
        key=lambda x: x[1] if not names else alphabetical(x[1]),
    )
    return choices([("", blank), *countries])


def alphabetical(name: str) -> str:
    """A name's key in a list sorted as a dictionary sorts it: accents set aside ("Bélgica" before "Bermudas"), then
    case. (Decomposed, an accent is a mark of its own, which would sort after every letter.)"""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def country_name(code: str | None) -> str:
    """A country's name in the reader's language, as country_choices names it ("Mexico", "México"); a code that
    names no country is shown as it is. Pages that show a stored code (the profile's summary) use it."""
    if not code:
        return ""
    locale = get_locale()
    if locale is not None and locale.language != "en" and locale.territories.get(code):
        return locale.territories[code]
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", country.name) if country is not None else code


def offense_name(code: str) -> str:
    """An offense category's name in the reader's language ("Other racketeering"); a code that names none is shown
    as it is. Pages that show a stored category (the officer's case page) use it."""
    return _(OFFENSE_NAMES[code]) if code in OFFENSE_NAMES else code


US_CITIZENSHIP_HINT = _l(
    "Puerto Rico, Guam, the U.S. Virgin Islands, the Northern Mariana Islands and American Samoa are part of the "
    "United States. If you are a U.S. citizen or a U.S. national, choose United States."
)


def citizenship_choices(blank: str = _l("Select a country")) -> list[SelectChoice]:
    """The countries a person can be a citizen of: every country but the U.S. territories ISO 3166-1 lists too, whose
    people are U.S. citizens or U.S. nationals and choose the United States (rules.conditions.US_TERRITORIES). Shown
    with US_CITIZENSHIP_HINT, so someone from Puerto Rico or American Samoa knows where to look."""
    return [choice for choice in country_choices(blank) if choice.value not in US_TERRITORIES]


def apply_list_action(form, lists, action: str) -> bool:
    """Handle an "Add another" / "Remove" button (`add:NAME` or `remove:NAME:INDEX`) on one of `lists`. Returns
    True when the post was such a button: the page is shown again with a row more or less and nothing lost."""
    kind, _, rest = (action or "").partition(":")
    name, _, index = rest.partition(":")
    if kind not in ("add", "remove") or name not in lists:
        return False
    field = getattr(form, name)
    row = None  # the row the person lands on, by its index: the new one, or the one now where a row was removed
    if kind == "add" and len(field.entries) < (field.max_entries or 100):
        field.append_entry()
        row = len(field.entries) - 1
    elif kind == "remove" and ROW_INDEX.fullmatch(index) and int(index) < len(field.entries):
        field.entries.pop(int(index))
        g.list_change = {"list": field.id, "removed": int(index)}
        row = min(int(index), len(field.entries) - 1) if field.entries else None
    _land_on(field, row)
    return True


def _land_on(field, row: int | None) -> None:
    """Focus, on the page shown again, the first control of `row` (autofocus: no script needed; the browser scrolls
    to it), or with no such row the list's "Add" button (templates/_macros/forms.html, field_list)."""
    controls = (
        [sub for sub in field.entries[row].form if sub.type not in ("CSRFTokenField", "HiddenField")]
        if row is not None and hasattr(field.entries[row], "form")
        else []
    )
    if controls:
        g.focus_field = controls[0].id
    else:
        g.focus_field = f"{field.id}-add"


def list_change(field) -> dict | None:
    """What the last "Remove" did to this list ({"list": id, "removed": index}), for the page to say so."""
    change = g.get("list_change")
    return change if change and change["list"] == field.id else None


def validate_email_field(form, field):
    try:
        field.data = validate_email(field.data or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(_l("Enter a real e-mail address, like name@example.com.")) from exc


class ReadOrStop:
    """A field whose answer could not be read (its process_formdata raised) says that one thing: its validators, which
    would only add a second message about the same answer ("Enter feet between 1 and 8." after "5.5" could not be
    read), are not run."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        super().pre_validate(form)


class PlainDateField(ReadOrStop, DateField):
    """A date field (shown as a browser's date field), read as such a field sends it (2024-04-12) or as the reader's
    language writes a date in digits (i18n.read_date: 04/12/2024 in English), which someone whose browser has no
    date field may type. Anything else, such as a year of five digits, which a browser's date field lets one type, is
    one plain message with an example written as the field shows dates, never WTForms' "Not a valid date value."."""

    def process_formdata(self, valuelist):
        text = " ".join(valuelist) if valuelist else ""  # only spaces is an answer that is no date (InputRequired)
        self.data = read_date(text) if text else None
        if text and self.data is None:
            raise ValueError(
                _("Enter a real date, with a 4-digit year, like %(date)s.", date=numeric_date(EXAMPLE_DATE))
            )


class WholeNumberField(ReadOrStop, IntegerField):
    """A whole number from `low` to `high`, with one message (`message`) for any answer that is not one: "5.5",
    "five" and 12 all hear "Enter feet as a whole number between 1 and 8.", never WTForms' "Not a valid integer
    value." nor two messages at once. Empty is `required`, or no answer when `required` is None (an optional one)."""

    def __init__(self, label, low: int, high: int, *, message, required: str | None, **kwargs):
        first = InputRequired(required) if required is not None else Optional()
        super().__init__(label, validators=[first, NumberRange(low, high, message)], **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(self.message) from exc


class DevSignInForm(FlaskForm):
    email = StringField(
        _l("E-mail address"), validators=[DataRequired(_l("Enter an e-mail address.")), validate_email_field]
    )
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass


class ActionForm(FlaskForm):
    """A button that changes something: CSRF plus the version the person saw (optimistic locking)."""

    version = HiddenField(validators=[DataRequired()])
    # a note of only spaces is none: the letter said "The officer adds:" over nothing
    note = TextAreaField(_l("Note (optional)"), filters=[text_or_none], validators=[Optional(), AtMost(2000)])


FILES_HINT = _l("PDF, Word (DOCX), PNG or JPEG. Up to 5 files, 5 MB each and 9 MB in all.")


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Write your answer.")),
            AtMost(4000),
        ],
    )
    files = MultipleFileField(_l("Documents (optional)"))


class ReconsiderForm(FlaskForm):
    statement = TextAreaField(
        _l("Why should we look at this again?"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Tell us why we should look at your case again.")),
            AtMost(4000),
        ],
    )
    files = MultipleFileField(_l("Documents that support your request (optional)"))


class ApplyForm(FlaskForm):
    programs = SelectMultipleField(
        _l("Which programs do you want to apply for?"),
        choices=choices([("precheck", "TSA PreCheck"), ("global_entry", "Global Entry")]),
        validators=[DataRequired(_l("Choose at least one program."))],
    )


def declaration_field():
    """The declaration at checkout: a tick box, under the page's "Declaration" heading, that can be ticked and
    unticked again (a single radio button could not be), and must be ticked to go on. It posts "y"; "yes" is read as
    ticked too."""
    return BooleanField(
        _l("I confirm that the information I have given is true and complete."),
        validators=[DataRequired(_l("Confirm the declaration to continue."))],
    )


class AttestForm(FlaskForm):
    confirm = declaration_field()


class ReusedAnswersAttestForm(FlaskForm):
    """Check your answers when its answers were sent before, with an earlier application (a renewal, or the other
    program): the traveler confirms they are still right, under them, then makes the declaration. The fields are in
    the page's order, which the error summary follows."""

    still_right = BooleanField(
        _l("These answers are still right"),
        validators=[DataRequired(_l("Confirm that these answers are still right, or change the ones that are not."))],
    )
    confirm = declaration_field()


class SandboxCardForm(FlaskForm):
    cardholder = StringField(
        _l("Name on card"), validators=[DataRequired(_l("Enter the name on the card.")), AtMost(100)]
    )
    card_number = StringField(
        _l("Card number"),
        validators=[
            DataRequired(_l("Enter the card number.")),
            Regexp(r"^[0-9 ]{12,23}\Z", message=_l("Enter the card number using digits only.")),
        ],
        filters=[clean_text],  # a pasted number's trailing space or newline is not part of it
        render_kw={"autocomplete": "cc-number", "inputmode": "numeric"},
    )
    expiry = StringField(
        _l("Expiry date (MM/YY)"),
        validators=[
            DataRequired(_l("Enter the expiry date.")),
            Regexp(r"^(0[1-9]|1[0-2])/\d{2}\Z", message=_l("Enter the expiry date as MM/YY, like 04/29.")),
        ],
        filters=[clean_text],
        render_kw={"autocomplete": "cc-exp"},
    )
    security_code = StringField(
        _l("Security code"),
        validators=[
            DataRequired(_l("Enter the security code.")),
            Regexp(r"^\d{3,4}\Z", message=_l("Enter the 3 or 4 digit security code.")),
        ],
        filters=[clean_text],
        render_kw={"autocomplete": "cc-csc", "inputmode": "numeric"},
    )

    def validate_expiry(self, field):
        if field.errors:  # not MM/YY (31/02, say): that one message, not "expired" too
            return
        if field.data and len(field.data) == 5 and field.data[:2].isdigit() and field.data[3:].isdigit():
            month, year = int(field.data[:2]), 2000 + int(field.data[3:])
            today = service_today()
            if (year, month) < (today.year, today.month):
                raise ValidationError(_l("This card has expired. Use a card with a future expiry date."))


class GrantRoleForm(FlaskForm):
    email = StringField(
        "E-mail address of the person",
        validators=[DataRequired("Enter an e-mail address."), validate_email_field],
    )
    role = SelectField(
        "Role",
        choices=choices([("", "Select a role"), *[(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES]]),
        validators=[DataRequired("Choose a role.")],
    )


class RevokeRoleForm(FlaskForm):
    email = HiddenField(validators=[DataRequired()])
    role = HiddenField(validators=[DataRequired()])
