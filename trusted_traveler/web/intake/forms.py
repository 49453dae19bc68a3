"""Forms for the guided intake. They check shape and required fields with specific messages; the services own the
rules. Sub-forms (one row of a list) are plain `wtforms.Form`, so only the page form carries the CSRF token."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
import pycountry
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from trusted_traveler.rules.conditions import OFFENSE_CATEGORIES
from trusted_traveler.web.forms import NAME_PATTERN, choices, clean_text, country_choices, validate_email_field

YES_NO = choices([("yes", "Yes"), ("no", "No")])
MONTH_RE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{4})\s*$|^\s*(\d{4})-(\d{2})\s*$")


def us_state_choices() -> list:
    states = sorted(
        ((s.code.split("-")[1], s.name) for s in pycountry.subdivisions.get(country_code="US")), key=lambda x: x[1]
    )
    return choices([("", "Select a state"), *states])


def today() -> dt.date:
    return dt.date.today()


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
    """A month typed as MM/YYYY (for example 04/2023)."""

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
        raise ValidationError("Enter the month, like 04/2023.")
    if field.month is None:
        raise ValidationError("Enter the month as MM/YYYY, like 04/2023.")
    if field.month > today().replace(day=1):
        raise ValidationError("This month is in the future. Enter a month up to this one.")


def month_optional(form, field):
    if (field.data or "").strip():
        month_required(form, field)


def date_in_past(form, field):
    if field.data and field.data > today():
        raise ValidationError("This date is in the future. Enter a date up to today.")
    if field.data and field.data.year < 1900:
        raise ValidationError("Enter a year after 1900.")


def date_in_future(form, field):
    if field.data and field.data <= today():
        raise ValidationError("This document has expired. Enter a document that is still valid.")


def valid_phone(form, field):
    try:
        number = phonenumbers.parse(field.data or "", "US")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a phone number, like 202-555-0123 or +44 20 7946 0958.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This is not a valid phone number. Check the digits and the country code.")
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


def text(label, *, required=None, max_length=100, **kwargs):
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(label, filters=[clean_text], validators=[*validators, Length(max=max_length)], **kwargs)


# --- Step forms ------------------------------------------------------------------------------------------------


class OtherNameForm(Form):
    given_names = StringField(
        "Given names", filters=[clean_text], validators=[Optional(), Length(max=100), NAME_PATTERN]
    )
    surname = StringField(
        "Surname", filters=[clean_text], validators=[DataRequired("Enter the surname."), Length(max=100), NAME_PATTERN]
    )
    kind = SelectField(
        "Kind of name",
        choices=choices([("previous", "Previous name"), ("maiden", "Maiden name"), ("alias", "Other name or alias")]),
    )


class NamesForm(FlaskForm):
    given_names = StringField(
        "Given names (as on your passport)",
        filters=[clean_text],
        validators=[DataRequired("Enter your given names."), Length(max=100), NAME_PATTERN],
    )
    middle_names = StringField(
        "Middle names (optional)", filters=[clean_text], validators=[Optional(), Length(max=100), NAME_PATTERN]
    )
    surname = StringField(
        "Surname (as on your passport)",
        filters=[clean_text],
        validators=[DataRequired("Enter your surname."), Length(max=100), NAME_PATTERN],
    )
    other_names = FieldList(FormField(OtherNameForm), label="Other names you have used", max_entries=10)


class BirthForm(FlaskForm):
    date_of_birth = DateField(
        "Date of birth", validators=[InputRequired("Enter your date of birth as a real date."), date_in_past]
    )
    birth_city = text("City or town of birth", required="Enter the city or town where you were born.")
    birth_region = text("State or province of birth (optional)")
    birth_country = SelectField(
        "Country of birth", validators=[DataRequired("Choose the country where you were born.")]
    )
    sex = RadioField(
        "Sex (as on your passport)",
        choices=choices([("F", "Female"), ("M", "Male"), ("X", "X (unspecified or another gender identity)")]),
        validators=[DataRequired("Choose the sex shown on your passport.")],
    )
    height_feet = IntegerField(
        "Height: feet",
        validators=[InputRequired("Enter your height in feet."), NumberRange(1, 8, "Enter feet between 1 and 8.")],
    )
    height_inches = IntegerField(
        "Height: inches",
        validators=[InputRequired("Enter inches (0 if none)."), NumberRange(0, 11, "Enter inches between 0 and 11.")],
    )
    eye_color = SelectField(
        "Eye color",
        choices=choices(
            [
                ("", "Select"),
                *[
                    (c, c)
                    for c in ("Black", "Blue", "Brown", "Gray", "Green", "Hazel", "Maroon", "Multicolored", "Pink")
                ],
            ]
        ),
        validators=[DataRequired("Choose your eye color.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.birth_country.choices = country_choices()


class CitizenshipEntry(Form):
    country = SelectField("Country", validators=[DataRequired("Choose a country or remove this row.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class CitizenshipForm(FlaskForm):
    citizenships = FieldList(
        FormField(CitizenshipEntry), label="Countries of citizenship", min_entries=1, max_entries=6
    )
    lawful_permanent_resident = RadioField(
        "Do you hold a U.S. Permanent Resident Card (green card)?",
        choices=YES_NO,
        validators=[DataRequired("Say whether you hold a U.S. Permanent Resident Card.")],
    )

    def validate_citizenships(self, field):
        codes = [entry.country.data for entry in field if entry.country.data]
        if not codes:
            raise ValidationError("Choose at least one country of citizenship.")
        if len(codes) != len(set(codes)):
            raise ValidationError("You listed the same country twice. Remove one of them.")


class PassportEntry(Form):
    issuing_country = SelectField("Issuing country", validators=[DataRequired("Choose the country that issued it.")])
    number = StringField(
        "Passport number",
        validators=[
            DataRequired("Enter the passport number."),
            document_number(r"[A-Z0-9]{6,12}", "A passport number has 6 to 12 letters and digits."),
        ],
    )
    expires_on = DateField("Expiry date", validators=[InputRequired("Enter the expiry date."), date_in_future])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.issuing_country.choices = country_choices()

    def validate_number(self, field):
        if self.issuing_country.data == "US" and field.data and not re.fullmatch(r"[A-Z]?\d{8,9}", field.data):
            raise ValidationError("A U.S. passport number is 9 characters: 9 digits, or a letter and 8 digits.")


class DocumentsForm(FlaskForm):
    passports = FieldList(FormField(PassportEntry), label="Passports", max_entries=6)
    green_card_number = StringField(
        "Permanent Resident Card number (optional)",
        validators=[
            Optional(),
            document_number(
                r"(A\d{8,9}|[A-Z]{3}\d{10})",
                "Enter the A-number (A and 8 or 9 digits) or the 13-character card number.",
            ),
        ],
    )
    green_card_expires = DateField("Card expiry date", validators=[Optional(), date_in_future])
    license_state = SelectField("Driver's license: state (optional)", validators=[Optional()])
    license_number = StringField(
        "Driver's license number",
        validators=[Optional(), document_number(r"[A-Z0-9]{4,20}", "A license number has 4 to 20 letters and digits.")],
    )
    license_expires = DateField("License expiry date", validators=[Optional(), date_in_future])
    license_enhanced = BooleanField("This is an Enhanced Driver's License (EDL)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.license_state.choices = us_state_choices()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        ok &= require_when(
            self, bool(self.license_state.data), self.license_number, "Enter the license number, or clear the state."
        )
        ok &= require_when(
            self, bool(self.license_number.data), self.license_state, "Choose the state that issued the license."
        )
        ok &= require_when(
            self, bool(self.green_card_number.data), self.green_card_expires, "Enter the card's expiry date."
        )
        if not self.passports.entries and not self.green_card_number.data and not self.license_number.data:
            self.passports.errors = [
                *self.passports.errors,
                "Add at least one document: a passport, a Permanent Resident Card or a license.",
            ]
            ok = False
        return ok


class ContactForm(FlaskForm):
    email = StringField("E-mail address", validators=[DataRequired("Enter your e-mail address."), validate_email_field])
    phone = StringField(
        "Phone number",
        validators=[DataRequired("Enter a phone number."), valid_phone],
        description="Include the country code if it is not a U.S. number.",
    )
    mailing_same_as_residential = RadioField(
        "Is your mailing address the same as your home address?",
        choices=YES_NO,
        validators=[DataRequired("Say whether your mailing address is your home address.")],
    )
    mailing_line1 = text("Mailing address line 1", max_length=200)
    mailing_line2 = text("Mailing address line 2 (optional)", max_length=200)
    mailing_city = text("City")
    mailing_region = text("State, province or region")
    mailing_postal_code = text("ZIP or postal code", max_length=20)
    mailing_country = SelectField("Country", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mailing_country.choices = country_choices()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        different = self.mailing_same_as_residential.data == "no"
        for field in (self.mailing_line1, self.mailing_city, self.mailing_country):
            ok &= require_when(self, different, field, f"Enter the {field.label.text.lower()} of your mailing address.")
        return ok


class AddressEntry(Form):
    from_month = MonthField("From (MM/YYYY)", validators=[month_required])
    to_month = MonthField("To (MM/YYYY), or leave empty if you live there now", validators=[month_optional])
    line1 = text("Street address", required="Enter the street address.", max_length=200)
    line2 = text("Apartment, suite (optional)", max_length=200)
    city = text("City or town", required="Enter the city or town.")
    region = text("State, province or region")
    postal_code = text("ZIP or postal code", max_length=20)
    country = SelectField("Country", validators=[DataRequired("Choose the country.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate_to_month(self, field):
        if field.month and self.from_month.month and field.month < self.from_month.month:
            raise ValidationError("The end month is before the start month.")


class AddressesForm(FlaskForm):
    addresses = FieldList(FormField(AddressEntry), label="Addresses", min_entries=1, max_entries=30)

    def validate_addresses(self, field):
        current = [e for e in field if not (e.to_month.data or "").strip()]
        if len(current) > 1:
            raise ValidationError("Only one address can be where you live now. Add an end month to the others.")


EMPLOYMENT_STATUSES = [
    ("employed", "Employed"),
    ("self_employed", "Self-employed"),
    ("unemployed", "Not working"),
    ("student", "Student"),
    ("retired", "Retired"),
]


class EmploymentEntry(Form):
    from_month = MonthField("From (MM/YYYY)", validators=[month_required])
    to_month = MonthField("To (MM/YYYY), or leave empty if this is now", validators=[month_optional])
    status = SelectField(
        "What were you doing?",
        choices=choices([("", "Select"), *EMPLOYMENT_STATUSES]),
        validators=[DataRequired("Choose what you were doing.")],
    )
    employer = text("Employer or school", max_length=200)
    occupation = text("Job title (optional)", max_length=200)
    city = text("City")
    country = SelectField("Country", validators=[Optional()])
    phone = StringField("Employer phone (optional)", validators=[Optional(), valid_phone])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return ok & require_when(
            self,
            self.status.data in ("employed", "self_employed", "student"),
            self.employer,
            "Enter the employer or school.",
        )

    def validate_to_month(self, field):
        if field.month and self.from_month.month and field.month < self.from_month.month:
            raise ValidationError("The end month is before the start month.")


class EmploymentForm(FlaskForm):
    employment = FieldList(FormField(EmploymentEntry), label="Work and study", min_entries=1, max_entries=30)


class CountryEntry(Form):
    country = SelectField("Country", validators=[DataRequired("Choose a country or remove this row.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class TravelForm(FlaskForm):
    travelled = RadioField(
        "Have you been to any country other than the United States in the last 5 years?",
        choices=YES_NO,
        validators=[DataRequired("Say whether you have travelled abroad in the last 5 years.")],
    )
    countries = FieldList(FormField(CountryEntry), label="Countries you visited", max_entries=60)

    def validate(self, extra_validators=None):
        if self.travelled.data == "no":
            self.countries.entries.clear()
        return super().validate(extra_validators)

    def validate_countries(self, field):
        codes = [e.country.data for e in field if e.country.data]
        if self.travelled.data == "yes" and not codes:
            raise ValidationError("Add the countries you visited.")
        if len(codes) != len(set(codes)):
            raise ValidationError("You listed the same country twice. Remove one of them.")


CATEGORY_LABELS = {
    "espionage": "Espionage",
    "sedition": "Sedition",
    "treason": "Treason",
    "terrorism": "Terrorism",
    "transportation_security_incident": "A transportation security incident",
    "hazmat_transport": "Improper transport of hazardous materials",
    "explosives": "Unlawful use of explosives",
    "murder": "Murder",
    "bomb_threat": "A bomb threat",
    "rico_permanent": "Racketeering (RICO) tied to these crimes",
    "firearms": "Unlawful firearms or weapons",
    "extortion": "Extortion",
    "fraud": "Fraud or dishonesty",
    "bribery": "Bribery",
    "smuggling": "Smuggling",
    "immigration_violation": "Immigration violation",
    "drug_distribution": "Selling or importing drugs",
    "arson": "Arson",
    "kidnapping": "Kidnapping or hostage taking",
    "rape_sexual_abuse": "Rape or sexual abuse",
    "assault_intent_to_kill": "Assault with intent to kill",
    "robbery": "Robbery",
    "seaport_fraudulent_entry": "Entering a seaport by fraud",
    "rico_other": "Other racketeering",
    "dui": "Driving under the influence (DUI)",
    "other_felony": "Another felony",
    "other_misdemeanor": "Another misdemeanor",
}


class OffenseEntry(Form):
    category = SelectField(
        "What was it?",
        choices=choices([("", "Select"), *[(c, CATEGORY_LABELS[c]) for c in OFFENSE_CATEGORIES]]),
        validators=[DataRequired("Choose what the arrest or charge was for.")],
    )
    status = SelectField(
        "Where does it stand?",
        choices=choices([("", "Select"), ("convicted", "Convicted"), ("pending", "Charge still pending")]),
        validators=[DataRequired("Say whether you were convicted or the charge is pending.")],
    )
    date = DateField(
        "Date of conviction (or of the charge)", validators=[InputRequired("Enter the date."), date_in_past]
    )
    released_on = DateField("Date released from prison or jail (if any)", validators=[Optional(), date_in_past])
    details = TextAreaField("Details (optional)", validators=[Optional(), Length(max=2000)])

    def validate_released_on(self, field):
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError("The release date is before the conviction date.")


# The background questions, asked the same way in the intake and in the public check (factories, so each form keeps
# its own field order).
def has_offenses_field():
    return RadioField(
        "Have you ever been arrested for, charged with or convicted of a crime, in any country?",
        choices=YES_NO,
        validators=[DataRequired("Answer the question about arrests and convictions.")],
        description="Include expunged records and driving under the influence.",
    )


def offenses_field():
    return FieldList(FormField(OffenseEntry), label="Arrests, charges and convictions", max_entries=20)


def customs_field():
    return RadioField(
        "Have you ever broken customs, immigration or agriculture laws in any country?",
        choices=YES_NO,
        validators=[DataRequired("Answer the question about customs and immigration.")],
    )


def investigation_field():
    return RadioField(
        "Are you under investigation by any police or law enforcement agency, in any country?",
        choices=YES_NO,
        validators=[DataRequired("Answer the question about investigations.")],
    )


def inadmissible_field():
    return RadioField(
        "Have you ever been refused entry to the U.S., or given a waiver of inadmissibility or parole?",
        choices=YES_NO,
        validators=[DataRequired("Answer the question about entry to the U.S.")],
    )


def prepare_offenses(form) -> None:
    """Before validation: rows left from an earlier "yes" are neither checked nor saved after a "no"."""
    if form.has_offenses.data == "no":
        form.offenses.entries.clear()


def offenses_listed(form) -> bool:
    """After validation: a "yes" needs at least one row."""
    if form.has_offenses.data == "yes" and not form.offenses.entries:
        form.offenses.errors = [*form.offenses.errors, "Add each arrest, charge or conviction."]
        return False
    return True


class BackgroundForm(FlaskForm):
    has_offenses = has_offenses_field()
    offenses = offenses_field()
    customs_immigration_violation = customs_field()
    under_investigation = investigation_field()
    inadmissible_or_waiver = inadmissible_field()
    background_details = TextAreaField("Tell us more about any 'yes' answer", validators=[Optional(), Length(max=4000)])

    def validate(self, extra_validators=None):
        prepare_offenses(self)
        ok = super().validate(extra_validators) & offenses_listed(self)
        flags = (self.customs_immigration_violation, self.under_investigation, self.inadmissible_or_waiver)
        return ok & require_when(
            self,
            any(f.data == "yes" for f in flags),
            self.background_details,
            "Tell us more about each question you answered 'yes'.",
        )


class GuardianForm(FlaskForm):
    guardian_given_names = StringField(
        "Parent or guardian's given names",
        filters=[clean_text],
        validators=[DataRequired("Enter your parent or guardian's given names."), Length(max=100), NAME_PATTERN],
    )
    guardian_surname = StringField(
        "Parent or guardian's surname",
        filters=[clean_text],
        validators=[DataRequired("Enter your parent or guardian's surname."), Length(max=100), NAME_PATTERN],
    )
    guardian_relationship = SelectField(
        "Relationship",
        choices=choices(
            [
                ("", "Select"),
                ("mother", "Mother"),
                ("father", "Father"),
                ("parent", "Parent"),
                ("legal_guardian", "Legal guardian"),
            ]
        ),
        validators=[DataRequired("Choose how they are related to you.")],
    )
    guardian_email = StringField(
        "Parent or guardian's e-mail address",
        validators=[DataRequired("Enter their e-mail address."), validate_email_field],
    )
    guardian_reference = StringField(
        "Their Global Entry application reference or Known Traveler Number (optional)",
        filters=[clean_text],
        validators=[Optional(), Length(max=20)],
        description=(
            "If your parent or guardian is a Global Entry member or is applying now, you pay no Global Entry fee."
        ),
    )
    consent = BooleanField(
        "My parent or guardian agrees to this application",
        validators=[DataRequired("Your parent or guardian must agree to this application.")],
    )
