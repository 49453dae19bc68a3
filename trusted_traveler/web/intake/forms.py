"""Forms for the guided intake. They check shape and required fields with specific messages; the services own the
rules. Page forms are `IntakeForm`s; sub-forms (one row of a list) are `RowForm`s: plain `wtforms.Form`, so only the
page form carries the CSRF token, but with the page form's translations of WTForms' own messages. In both, every text
field is trimmed and an empty one is None (web.forms.TextMeta), and a free-text field holds at most what its column
does (web.forms.fits: a longer answer is refused with its length and kept, never cut short by the browser).

No WTForms message of its own reaches a traveler: dates, whole numbers and choices are web.forms' PlainDateField,
WholeNumberField, SelectField and RadioField, each with a plain message of its own, and one message a field."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
import pycountry
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField,
    Form,
    FormField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from trusted_traveler.db import service_today
from trusted_traveler.profiles.models import (
    AddressPeriod,
    ApplicantProfile,
    EmploymentPeriod,
    OffenseDisclosure,
    OtherName,
)
from trusted_traveler.rules.conditions import OFFENSE_CATEGORIES, OFFENSE_NAMES
from trusted_traveler.web.forms import (
    NAME_PATTERN,
    US_CITIZENSHIP_HINT,
    FieldList,
    PlainDateField,
    RadioField,
    SelectField,
    ShownWhen,
    TextMeta,
    WholeNumberField,
    choices,
    citizenship_choices,
    country_choices,
    fits,
    single_spaces,
    validate_email_field,
)

YES_NO = choices([("yes", _l("Yes")), ("no", _l("No"))])
MONTH_RE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{4})\s*$|^\s*(\d{4})-(\d{2})\s*$")


def us_state_choices() -> list:
    states = sorted(
        ((s.code.split("-")[1], s.name) for s in pycountry.subdivisions.get(country_code="US")), key=lambda x: x[1]
    )
    return choices([("", _l("Select a state")), *states])


def parse_month(text: str | None) -> dt.date | None:
    match = MONTH_RE.match(text or "")
    if not match:
        return None
    month, year = (
        (int(match.group(1)), int(match.group(2))) if match.group(1) else (int(match.group(4)), int(match.group(3)))
    )
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        return None
    return dt.date(year, month, 1)


class MonthField(StringField):
    """A month typed as MM/YYYY (for example 04/2023). `short_label` names it where its label would say too much (a
    row's line in the error summary: "Address 1, From: ...")."""

    def __init__(self, label=None, validators=None, *, short_label=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.short_label = short_label

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.month = parse_month(self.data)

    def process_data(self, value):
        if isinstance(value, dt.date):
            self.data, self.month = value.strftime("%m/%Y"), value
        else:
            super().process_data(value)
            self.month = parse_month(self.data)


def month_required(form, field):
    if not (field.data or "").strip():
        raise ValidationError(_l("Enter the month, like 04/2023."))
    if field.month is None:
        raise ValidationError(_l("Enter the month as MM/YYYY, like 04/2023."))
    if field.month > service_today().replace(day=1):
        raise ValidationError(_l("This month is in the future. Enter a month up to this one."))


def month_optional(form, field):
    if (field.data or "").strip():
        month_required(form, field)


def date_in_past(form, field):
    if field.data and field.data > service_today():
        raise ValidationError(_l("This date is in the future. Enter a date up to today."))
    if field.data and field.data.year < 1900:
        raise ValidationError(_l("Enter a year after 1900."))


def date_in_future(form, field):
    if field.data and field.data <= service_today():
        raise ValidationError(_l("This document has expired. Enter a document that is still valid."))


# How far ahead an expiry date can be: no document of the kind is issued for longer, so a later date (9999) is a
# mistake. Passports are issued for 10 years at most (5 for a U.S. child), Permanent Resident Cards for 10 (2 for a
# conditional one); a few states' driver's licenses last until the holder is 65 (Arizona's), so 50 years.
PASSPORT_YEARS = 10
GREEN_CARD_YEARS = 10
LICENSE_YEARS = 50


def valid_for_at_most(years: int):
    """An expiry date at most `years` after today."""

    def check(form, field):
        today = service_today()
        latest = (today.year + years, today.month, today.day)  # compared as a tuple: 29 February has no date then
        if field.data and (field.data.year, field.data.month, field.data.day) > latest:
            raise ValidationError(
                _l(
                    "This date is more than %(years)s years away, longer than such a document lasts. Check the expiry "
                    "date on the document.",
                    years=years,
                )
            )

    return check


def valid_phone(form, field):
    try:
        number = phonenumbers.parse(field.data or "", "US")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_l("Enter a phone number, like 202-555-0123 or +44 20 7946 0958.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("This is not a valid phone number. Check the digits and the country code."))
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def document_number(pattern: str, message: str):
    regex = re.compile(pattern)

    def check(form, field):
        field.data = re.sub(r"[\s-]", "", (field.data or "")).upper()
        if field.data and not regex.fullmatch(field.data):
            raise ValidationError(message)

    return check


def require_when(form, condition: bool, field, message: str) -> bool:
    """Cross-field rule: `field` must be filled in when `condition` holds. (Done in Form.validate, because
    WTForms' Optional() stops a field's own validators when it is empty.)"""
    value = field.data
    empty = value is None or value is False or (isinstance(value, str) and not value.strip())
    if condition and empty:
        field.errors = [*field.errors, message]
        return False
    return True


# Where an address has a ZIP code: the United States and the territories the U.S. Postal Service serves (the Minor
# Outlying Islands have no ZIP codes of their own). 5 digits, or ZIP+4: 5 digits, a hyphen (or a space, or nothing)
# and 4 digits.
ZIP_CODE_PLACES = ("US", "AS", "GU", "MP", "PR", "VI")
ZIP_CODE = re.compile(r"([0-9]{5})(?:[- ]?([0-9]{4}))?")


def zip_code_checked(field, country: str | None) -> bool:
    """An address's postal code `field` in `country`: where ZIP codes are used (ZIP_CODE_PLACES), a ZIP code, kept
    as 12345 or 12345-6789; if not, a message beside it. Elsewhere any postal code is taken as written (they are
    letters and digits of many shapes: "K1A 0B1", "SW1A 1AA", "01000", and some places have none, so elsewhere it
    is optional). Every address where ZIP codes are used has one, so there it is needed."""
    if country not in ZIP_CODE_PLACES or field.errors:
        return True
    if not field.data:
        field.errors = [*field.errors, _l("Enter the ZIP code, like 20001. Every U.S. address has one.")]
        return False
    match = ZIP_CODE.fullmatch(field.data)
    if match is None:
        field.errors = [*field.errors, _l("Enter a 5-digit ZIP code, like 20001, or a ZIP+4 code, like 20001-1234.")]
        return False
    field.data = "-".join(part for part in match.groups() if part)
    return True


def text(label, column, *, required=None, **kwargs):
    """A text field for `column` (a model's String column), required with the message `required`, else optional."""
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(label, validators=[*validators, fits(column)], **kwargs)


def name_field(label, column, *, required=None):
    """A person's name as on a passport (NAME_PATTERN), its words one space apart."""
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(label, filters=[single_spaces], validators=[*validators, fits(column), NAME_PATTERN])


class IntakeForm(FlaskForm):
    """One page of the intake."""

    class Meta(TextMeta):
        pass


class RowForm(Form):
    """One row of a list on a page (a `FormField` in a `FieldList`). A sub-form makes its own meta, not the page
    form's, so without this any WTForms built-in message would stay English (the intake's fields give their own, but
    a field added later might not): here they come from the same translations FlaskForm uses (Flask-WTF's, in the
    request's language)."""

    class Meta(TextMeta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_translations


# --- Step forms ------------------------------------------------------------------------------------------------


OTHER_NAME_KINDS = [
    ("previous", _l("Previous name")),
    ("maiden", _l("Maiden name")),
    ("alias", _l("Other name or alias")),
]


class OtherNameForm(RowForm):
    given_names = name_field(_l("Given names"), OtherName.given_names)
    surname = name_field(_l("Surname"), OtherName.surname, required=_l("Enter the surname."))
    kind = SelectField(_l("Kind of name"), choices=choices(OTHER_NAME_KINDS))


class NamesForm(IntakeForm):
    given_names = name_field(
        _l("Given names (as on your passport)"),
        ApplicantProfile.given_names,
        required=_l("Enter your given names."),
    )
    middle_names = name_field(_l("Middle names (optional)"), ApplicantProfile.middle_names)
    surname = name_field(
        _l("Surname (as on your passport)"), ApplicantProfile.surname, required=_l("Enter your surname.")
    )
    other_names = FieldList(FormField(OtherNameForm), label=_l("Other names you have used"), max_entries=10)


EYE_COLORS = {  # the stored value stays English; the label is the traveler's language
    "Black": _l("Black"),
    "Blue": _l("Blue"),
    "Brown": _l("Brown"),
    "Gray": _l("Gray"),
    "Green": _l("Green"),
    "Hazel": _l("Hazel"),
    "Maroon": _l("Maroon"),
    "Multicolored": _l("Multicolored"),
    "Pink": _l("Pink"),
}


SEXES = [("F", _l("Female")), ("M", _l("Male")), ("X", _l("X (unspecified or another gender identity)"))]


class BirthForm(IntakeForm):
    date_of_birth = PlainDateField(
        _l("Date of birth"), validators=[InputRequired(_l("Enter your date of birth as a real date.")), date_in_past]
    )
    birth_city = text(
        _l("City or town of birth"),
        ApplicantProfile.birth_city,
        required=_l("Enter the city or town where you were born."),
    )
    birth_region = text(_l("State or province of birth (optional)"), ApplicantProfile.birth_region)
    birth_country = SelectField(
        _l("Country of birth"), validators=[DataRequired(_l("Choose the country where you were born."))]
    )
    sex = RadioField(
        _l("Sex (as on your passport)"),
        choices=choices(SEXES),
        validators=[DataRequired(_l("Choose the sex shown on your passport."))],
    )
    height_feet = WholeNumberField(
        _l("Height: feet"),
        1,
        8,
        message=_l("Enter feet as a whole number between 1 and 8."),
        required=_l("Enter your height in feet."),
    )
    height_inches = WholeNumberField(
        _l("Height: inches"),
        0,
        11,
        message=_l("Enter inches as a whole number between 0 and 11."),
        required=_l("Enter inches (0 if none)."),
    )
    eye_color = SelectField(
        _l("Eye color"),
        choices=choices(
            [
                ("", _l("Select")),
                *[(c, EYE_COLORS[c]) for c in EYE_COLORS],
            ]
        ),
        validators=[DataRequired(_l("Choose your eye color."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.birth_country.choices = country_choices()


class CitizenshipEntry(RowForm):
    country = SelectField(
        _l("Country"),
        description=US_CITIZENSHIP_HINT,
        validators=[DataRequired(_l("Choose a country or remove this row."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = citizenship_choices()


class CitizenshipForm(IntakeForm):
    citizenships = FieldList(
        FormField(CitizenshipEntry), label=_l("Countries of citizenship"), min_entries=1, max_entries=6
    )
    lawful_permanent_resident = RadioField(
        _l("Do you hold a U.S. Permanent Resident Card (green card)?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Say whether you hold a U.S. Permanent Resident Card."))],
    )

    def validate_citizenships(self, field):
        codes = [entry.country.data for entry in field if entry.country.data]
        if not codes:
            raise ValidationError(_l("Choose at least one country of citizenship."))
        if len(codes) != len(set(codes)):
            raise ValidationError(_l("You listed the same country twice. Remove one of them."))


class PassportEntry(RowForm):
    issuing_country = SelectField(
        _l("Issuing country"), validators=[DataRequired(_l("Choose the country that issued it."))]
    )
    number = StringField(
        _l("Passport number"),
        validators=[
            DataRequired(_l("Enter the passport number.")),
            document_number(r"[A-Z0-9]{6,12}", _l("A passport number has 6 to 12 letters and digits.")),
        ],
    )
    expires_on = PlainDateField(
        _l("Expiry date"),
        validators=[
            InputRequired(_l("Enter the expiry date.")),
            date_in_future,
            valid_for_at_most(PASSPORT_YEARS),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.issuing_country.choices = country_choices()

    def validate_number(self, field):
        if field.errors:  # not a passport number at all: that is said, not that it is not a U.S. one too
            return
        if self.issuing_country.data == "US" and field.data and not re.fullmatch(r"[A-Z]?\d{8,9}", field.data):
            raise ValidationError(_l("A U.S. passport number is 9 characters: 9 digits, or a letter and 8 digits."))


class DocumentsForm(IntakeForm):
    passports = FieldList(FormField(PassportEntry), label=_l("Passports"), max_entries=6)
    green_card_number = StringField(
        _l("Permanent Resident Card number (if you have one)"),
        validators=[
            Optional(),
            document_number(
                r"(A\d{8,9}|[A-Z]{3}\d{10})",
                _l("Enter the A-number (A and 8 or 9 digits) or the 13-character card number."),
            ),
        ],
    )
    green_card_expires = PlainDateField(
        _l("Card expiry date"), validators=[Optional(), date_in_future, valid_for_at_most(GREEN_CARD_YEARS)]
    )
    license_state = SelectField(_l("Driver's license: state (optional)"), validators=[Optional()])
    license_number = StringField(
        _l("Driver's license number"),
        validators=[
            Optional(),
            document_number(r"[A-Z0-9]{4,20}", _l("A license number has 4 to 20 letters and digits.")),
        ],
    )
    license_expires = PlainDateField(
        _l("License expiry date"), validators=[Optional(), date_in_future, valid_for_at_most(LICENSE_YEARS)]
    )
    license_enhanced = BooleanField(_l("This is an Enhanced Driver's License (EDL)"))

    def __init__(self, *args, holds_green_card: bool | None = None, **kwargs):
        """`holds_green_card`: the answer on the citizenship page to "Do you hold a U.S. Permanent Resident Card?",
        None while it is not given. After a "No" the card is not asked: its fields are not on the page, and a number
        or date sent all the same is neither checked nor kept (`asks_green_card`). After a "Yes" it is needed
        (green_card_agrees)."""
        super().__init__(*args, **kwargs)
        self.license_state.choices = us_state_choices()
        self.holds_green_card = holds_green_card
        if holds_green_card is False:
            del self.green_card_number
            del self.green_card_expires
        elif holds_green_card:
            self.green_card_number.label.text = _l("Permanent Resident Card number")

    @property
    def asks_green_card(self) -> bool:
        """Whether the page asks for a Permanent Resident Card (not after a "No" on the citizenship page)."""
        return self.green_card_number is not None

    def green_card(self) -> str | None:
        """The card's number as given, or None (none given, or not asked)."""
        return self.green_card_number.data if self.asks_green_card else None

    def green_card_agrees(self) -> bool:
        """After a "Yes" on the citizenship page, whether the card's number is here; if not, says so on the number.
        The answer decides, not the number: it is what the eligibility rules read, and the person gave it on purpose
        to a plain question (the card is what they bring to the interview). Taking one silently from the other would
        change an answer they did not change, so the page says which answer it is and where to change it. After a
        "No" no card is asked, so none is kept; before an answer the card is optional."""
        if not self.holds_green_card or self.green_card_number.data or self.green_card_number.errors:
            return True
        message = _l(
            "You said you hold a Permanent Resident Card (on the Citizenship page). Enter its number, or change that "
            "answer."
        )
        self.green_card_number.errors = [*self.green_card_number.errors, message]
        return False

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        ok &= require_when(
            self,
            bool(self.license_state.data),
            self.license_number,
            _l("Enter the license number, or clear the state."),
        )
        ok &= require_when(
            self, bool(self.license_number.data), self.license_state, _l("Choose the state that issued the license.")
        )
        if self.asks_green_card:
            ok &= require_when(
                self, bool(self.green_card_number.data), self.green_card_expires, _l("Enter the card's expiry date.")
            )
        ok &= self.green_card_agrees()
        if not self.passports.entries and not self.green_card() and not self.license_number.data:
            missing = (  # only the documents the page asks for
                _l("Add at least one document: a passport, a Permanent Resident Card or a license.")
                if self.asks_green_card
                else _l("Add at least one document: a passport or a license.")
            )
            self.passports.errors = [*self.passports.errors, missing]
            ok = False
        return ok


MAILING_FIELDS = (
    "mailing_line1",
    "mailing_line2",
    "mailing_city",
    "mailing_region",
    "mailing_postal_code",
    "mailing_country",
)


class ContactForm(IntakeForm):
    email = StringField(
        _l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address.")), validate_email_field]
    )
    phone = StringField(
        _l("Phone number"),
        validators=[DataRequired(_l("Enter a phone number.")), valid_phone],
        description=_l("Include the country code if it is not a U.S. number."),
    )
    mailing_same_as_residential = RadioField(
        _l("Is your mailing address the same as your home address?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Say whether your mailing address is your home address."))],
    )
    mailing_line1 = text(_l("Mailing address line 1"), ApplicantProfile.mailing_line1)
    mailing_line2 = text(_l("Mailing address line 2 (optional)"), ApplicantProfile.mailing_line2)
    mailing_city = text(_l("City"), ApplicantProfile.mailing_city)
    mailing_region = text(_l("State, province or region"), ApplicantProfile.mailing_region)
    mailing_postal_code = text(_l("ZIP or postal code"), ApplicantProfile.mailing_postal_code)
    mailing_country = SelectField(_l("Country"), validators=[Optional()])
    # The mailing address is asked only after a "No": the page hides it until then (app.js; without JavaScript it is
    # always shown, and after a "Yes" whatever is in it is ignored: neither checked nor kept).
    groups = (
        ShownWhen(
            "mailing-address",
            _l("Your mailing address"),
            "mailing_same_as_residential=no",
            tuple(MAILING_FIELDS),
        ),
    )

    def __init__(self, *args, home_address: str | None = None, **kwargs):
        """`home_address`: the address the person lives at now, as the page "Where you have lived" has it (None
        while it is not given), which the mailing address question names."""
        super().__init__(*args, **kwargs)
        self.mailing_country.choices = country_choices()
        self.mailing_same_as_residential.description = (
            _l("Your home address is the one you live at now: %(address)s.", address=home_address)
            if home_address
            else _l("Your home address is the one you live at now. You give it on the page “Where you have lived”.")
        )

    def validate(self, extra_validators=None):
        if self.mailing_same_as_residential.data == "yes":  # not asked: whatever was sent is no answer
            for name in MAILING_FIELDS:
                field = getattr(self, name)
                field.data, field.raw_data = ("" if field.type == "SelectField" else None), []
        ok = super().validate(extra_validators)
        different = self.mailing_same_as_residential.data == "no"
        for field, message in (
            (self.mailing_line1, _l("Enter the first line of your mailing address.")),
            (self.mailing_city, _l("Enter the city or town of your mailing address.")),
            (self.mailing_country, _l("Choose the country of your mailing address.")),
        ):
            ok &= require_when(self, different, field, message)
        return ok & (not different or zip_code_checked(self.mailing_postal_code, self.mailing_country.data))


class HistoryForm(IntakeForm):
    """A page of dated periods (addresses, work and study) in the list `rows`. `born_on`, the person's date of birth
    when known, is the earliest month a period can begin or end in."""

    rows = ""

    def __init__(self, *args, born_on: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.born_on = born_on

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.born_on is None:
            return ok
        born = self.born_on.replace(day=1)
        message = _l(
            "This month is before your date of birth. Enter %(month)s or a later month.", month=born.strftime("%m/%Y")
        )
        for entry in getattr(self, self.rows):
            # the start month, or the end month when the start is missing (an end before birth has a start before it)
            field = entry.from_month if entry.from_month.month is not None else entry.to_month
            if field.month is not None and field.month < born and not field.errors:
                field.errors.append(message)
                ok = False
        return ok


class AddressEntry(RowForm):
    from_month = MonthField(_l("From (MM/YYYY)"), validators=[month_required], short_label=_l("From"))
    to_month = MonthField(
        _l("To (MM/YYYY), or leave empty if you live there now"), validators=[month_optional], short_label=_l("To")
    )
    line1 = text(_l("Street address"), AddressPeriod.line1, required=_l("Enter the street address."))
    line2 = text(_l("Apartment, suite (optional)"), AddressPeriod.line2)
    city = text(_l("City or town"), AddressPeriod.city, required=_l("Enter the city or town."))
    region = text(_l("State, province or region"), AddressPeriod.region)
    postal_code = text(_l("ZIP or postal code"), AddressPeriod.postal_code)
    country = SelectField(_l("Country"), validators=[DataRequired(_l("Choose the country."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return ok & zip_code_checked(self.postal_code, self.country.data)

    def validate_to_month(self, field):
        if field.month and self.from_month.month and field.month < self.from_month.month:
            raise ValidationError(_l("The end month is before the start month."))


class AddressesForm(HistoryForm):
    rows = "addresses"
    addresses = FieldList(FormField(AddressEntry), label=_l("Addresses"), min_entries=1, max_entries=30)

    def validate_addresses(self, field):
        current = [e for e in field if not (e.to_month.data or "").strip()]
        if len(current) > 1:
            raise ValidationError(_l("Only one address can be where you live now. Add an end month to the others."))


EMPLOYMENT_STATUSES = [
    ("employed", _l("Employed")),
    ("self_employed", _l("Self-employed")),
    ("unemployed", _l("Not working")),
    ("student", _l("Student")),
    ("retired", _l("Retired")),
]


class EmploymentEntry(RowForm):
    from_month = MonthField(_l("From (MM/YYYY)"), validators=[month_required], short_label=_l("From"))
    to_month = MonthField(
        _l("To (MM/YYYY), or leave empty if this is now"), validators=[month_optional], short_label=_l("To")
    )
    status = SelectField(
        _l("What were you doing?"),
        choices=choices([("", _l("Select")), *EMPLOYMENT_STATUSES]),
        validators=[DataRequired(_l("Choose what you were doing."))],
    )
    employer = text(_l("Employer or school"), EmploymentPeriod.employer)
    occupation = text(_l("Job title (optional)"), EmploymentPeriod.occupation)
    city = text(_l("City"), EmploymentPeriod.city)
    country = SelectField(_l("Country"), validators=[Optional()])
    phone = StringField(_l("Employer phone (optional)"), validators=[Optional(), valid_phone])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return ok & require_when(
            self,
            self.status.data in ("employed", "self_employed", "student"),
            self.employer,
            _l("Enter the employer or school."),
        )

    def validate_to_month(self, field):
        if field.month and self.from_month.month and field.month < self.from_month.month:
            raise ValidationError(_l("The end month is before the start month."))


class EmploymentForm(HistoryForm):
    rows = "employment"
    employment = FieldList(FormField(EmploymentEntry), label=_l("Work and study"), min_entries=1, max_entries=30)


class CountryEntry(RowForm):
    country = SelectField(_l("Country"), validators=[DataRequired(_l("Choose a country or remove this row."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class TravelForm(IntakeForm):
    travelled = RadioField(
        _l("Have you been to any country other than the United States in the last 5 years?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Say whether you have travelled abroad in the last 5 years."))],
    )
    countries = FieldList(FormField(CountryEntry), label=_l("Countries you visited"), max_entries=60)

    def validate(self, extra_validators=None):
        if self.travelled.data == "no":
            self.countries.entries.clear()
        return super().validate(extra_validators)

    def validate_countries(self, field):
        codes = [e.country.data for e in field if e.country.data]
        if self.travelled.data == "yes" and not codes:
            raise ValidationError(_l("Add the countries you visited."))
        if len(codes) != len(set(codes)):
            raise ValidationError(_l("You listed the same country twice. Remove one of them."))


CATEGORY_LABELS = {code: _l(name) for code, name in OFFENSE_NAMES.items()}  # the names, in the reader's language
OFFENSE_STATUSES = [("convicted", _l("Convicted")), ("pending", _l("Charge still pending"))]


class OffenseEntry(RowForm):
    category = SelectField(
        _l("What was it?"),
        choices=choices([("", _l("Select")), *[(c, CATEGORY_LABELS[c]) for c in OFFENSE_CATEGORIES]]),
        validators=[DataRequired(_l("Choose what the conviction or charge was for."))],
    )
    status = SelectField(
        _l("Where does it stand?"),
        choices=choices([("", _l("Select")), *OFFENSE_STATUSES]),
        validators=[DataRequired(_l("Say whether you were convicted or the charge is pending."))],
    )
    date = PlainDateField(
        _l("Date of conviction (or of the charge)"), validators=[InputRequired(_l("Enter the date.")), date_in_past]
    )
    released_on = PlainDateField(
        _l("Date released from prison or jail (if any)"), validators=[Optional(), date_in_past]
    )
    details = TextAreaField(_l("Details (optional)"), validators=[Optional(), fits(OffenseDisclosure.details)])
    born_on: dt.date | None = None  # the person's date of birth when known (given by prepare_offenses)

    def validate_date(self, field):
        """The rules count years from this date, so one before birth (a mistyped year) would decide eligibility."""
        if field.data and self.born_on and field.data < self.born_on:
            raise ValidationError(
                _l("This date is before your date of birth (%(born)s). Check the date.", born=self.born_on.isoformat())
            )

    def validate_released_on(self, field):
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError(_l("The release date is before the conviction date."))


# The background questions, asked the same way in the intake and in the public check (factories, so each form keeps
# its own field order).
def has_offenses_field():
    return RadioField(
        _l("Have you ever been convicted of a crime, or are you charged with one now, in any country?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Answer the question about convictions and charges."))],
        description=_l(
            "Include expunged convictions and driving under the influence. If you were arrested but the charge was "
            "dropped or dismissed, or you were acquitted, answer No. For Global Entry, CBP can still refuse an "
            "applicant for any arrest: its background check finds them, so bring the court papers to your interview."
        ),
    )


class OffenseFacts(OffenseEntry):
    """An offense as the anonymous public check asks it: what the rules read, and no free-text details (nothing
    there is saved, so nothing sensitive is asked)."""

    details = None


def offenses_field(entry=OffenseEntry):
    # shown only after a "yes" to has_offenses: the page hides it with JavaScript while the answer is not "yes"
    # (without JavaScript it stays shown, and rows left after a "no" are ignored: prepare_offenses)
    return FieldList(
        FormField(entry),
        label=_l("Convictions and pending charges"),
        max_entries=20,
        render_kw={"data-shown-when": "has_offenses=yes"},
    )


def customs_field():
    return RadioField(
        _l("Have you ever broken customs, immigration or agriculture laws in any country?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Answer the question about customs and immigration."))],
    )


def investigation_field():
    return RadioField(
        _l("Are you under investigation by any police or law enforcement agency, in any country?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Answer the question about investigations."))],
    )


def inadmissible_field():
    return RadioField(
        _l("Have you ever been refused entry to the U.S., or given a waiver of inadmissibility or parole?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Answer the question about entry to the U.S."))],
    )


def prepare_offenses(form, born_on: dt.date | None) -> None:
    """Before validation: rows left from an earlier "yes" are neither checked nor saved after a "no", and each row
    is given the person's date of birth (`born_on`, when known), before which none can be dated."""
    if form.has_offenses.data == "no":
        form.offenses.entries.clear()
    for entry in form.offenses:
        entry.form.born_on = born_on


def offenses_listed(form) -> bool:
    """After validation: a "yes" needs at least one row."""
    if form.has_offenses.data == "yes" and not form.offenses.entries:
        form.offenses.errors = [*form.offenses.errors, _l("Add each conviction or pending charge.")]
        return False
    return True


class BackgroundForm(IntakeForm):
    has_offenses = has_offenses_field()
    offenses = offenses_field()
    customs_immigration_violation = customs_field()
    under_investigation = investigation_field()
    inadmissible_or_waiver = inadmissible_field()
    background_details = TextAreaField(
        _l("Tell us more about any 'yes' answer"), validators=[Optional(), fits(ApplicantProfile.background_details)]
    )

    def __init__(self, *args, born_on: dt.date | None = None, **kwargs):
        """`born_on`: the person's date of birth when known (no offense can be dated before it)."""
        super().__init__(*args, **kwargs)
        self.born_on = born_on

    def validate(self, extra_validators=None):
        prepare_offenses(self, self.born_on)
        ok = super().validate(extra_validators) & offenses_listed(self)
        flags = (self.customs_immigration_violation, self.under_investigation, self.inadmissible_or_waiver)
        return ok & require_when(
            self,
            any(f.data == "yes" for f in flags),
            self.background_details,
            _l("Tell us more about each question you answered 'yes'."),
        )


GUARDIAN_RELATIONSHIPS = [
    ("mother", _l("Mother")),
    ("father", _l("Father")),
    ("parent", _l("Parent")),
    ("legal_guardian", _l("Legal guardian")),
]


class GuardianForm(IntakeForm):
    guardian_given_names = name_field(
        _l("Parent or guardian's given names"),
        ApplicantProfile.guardian_given_names,
        required=_l("Enter your parent or guardian's given names."),
    )
    guardian_surname = name_field(
        _l("Parent or guardian's surname"),
        ApplicantProfile.guardian_surname,
        required=_l("Enter your parent or guardian's surname."),
    )
    guardian_relationship = SelectField(
        _l("Relationship"),
        choices=choices([("", _l("Select")), *GUARDIAN_RELATIONSHIPS]),
        validators=[DataRequired(_l("Choose how they are related to you."))],
    )
    guardian_email = StringField(
        _l("Parent or guardian's e-mail address"),
        validators=[DataRequired(_l("Enter their e-mail address.")), validate_email_field],
    )
    # Only a Global Entry number means something here (BRIEF.md section 1.2): it waives a minor's Global Entry fee.
    # A parent's PreCheck waives nothing (profiles.service.guardian_for refuses its number), but a child 17 or under
    # travelling with them may not need PreCheck of their own, which the hint says.
    guardian_reference = StringField(
        _l("Their Global Entry application reference or Known Traveler Number (optional)"),
        validators=[Optional(), fits(ApplicantProfile.guardian_reference)],
        description=_l(
            "Global Entry only: if your parent or guardian is a Global Entry member or is applying now, you pay no "
            "Global Entry fee. We look for their number together with the surname above, as written on their "
            "application. Their TSA PreCheck number changes nothing here. But you may not need TSA PreCheck of "
            "your own: children 17 and under can go through the PreCheck lane with a parent or guardian who has it "
            "(from age 13, when on the same reservation)."
        ),
    )
    consent = BooleanField(
        _l("My parent or guardian agrees to this application"),
        validators=[DataRequired(_l("Your parent or guardian must agree to this application."))],
    )
