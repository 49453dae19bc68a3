"""The public eligibility questions: few, plain, and the same facts the rule engine uses everywhere."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, InputRequired, ValidationError

from trusted_traveler.db import service_today
from trusted_traveler.rules.service import EARLIEST_DATE_OF_BIRTH
from trusted_traveler.web.forms import (
    US_CITIZENSHIP_HINT,
    PlainDateField,
    RadioField,
    SelectField,
    choices,
    citizenship_choices,
)
from trusted_traveler.web.intake.forms import (
    YES_NO,
    OffenseFacts,
    customs_field,
    has_offenses_field,
    inadmissible_field,
    investigation_field,
    offenses_field,
    offenses_listed,
    prepare_offenses,
)


def plausible_date_of_birth(form, field):
    """The API's rule (rules.service.EARLIEST_DATE_OF_BIRTH): no date of birth in the future or before 1900."""
    if field.data and field.data > service_today():
        raise ValidationError(_l("Your date of birth cannot be in the future. Check the date you entered."))
    if field.data and field.data < EARLIEST_DATE_OF_BIRTH:
        raise ValidationError(
            _l("Check the year of your date of birth. It must be 1900 or later, with all 4 digits, like 1985.")
        )


class WhichProgramForm(FlaskForm):
    date_of_birth = PlainDateField(
        _l("What is your date of birth?"),
        validators=[InputRequired(_l("Enter your date of birth as a real date.")), plausible_date_of_birth],
    )
    citizenship = SelectField(
        _l("Which country are you a citizen of?"),
        description=US_CITIZENSHIP_HINT,
        validators=[DataRequired(_l("Choose your country of citizenship."))],
    )
    second_citizenship = SelectField(_l("Are you a citizen of another country too? (optional)"))
    lawful_permanent_resident = RadioField(
        _l("Do you hold a U.S. Permanent Resident Card (green card)?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Say whether you hold a U.S. Permanent Resident Card."))],
    )
    travels_internationally = RadioField(
        _l("Do you travel to other countries?"),
        choices=YES_NO,
        validators=[DataRequired(_l("Say whether you travel to other countries."))],
    )
    has_offenses = has_offenses_field()
    offenses = offenses_field(OffenseFacts)
    customs_immigration_violation = customs_field()
    under_investigation = investigation_field()
    inadmissible_or_waiver = inadmissible_field()
    parent_member_or_applying = RadioField(
        _l("If you are under 18: is a parent or guardian a Global Entry member, or applying now?"),
        choices=choices([("no", _l("No, or I am 18 or older")), ("yes", _l("Yes"))]),
        default="no",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.citizenship.choices = citizenship_choices()
        self.second_citizenship.choices = citizenship_choices(_l("No other citizenship"))

    def validate(self, extra_validators=None):
        prepare_offenses(self, self.date_of_birth.data)
        return super().validate(extra_validators) & offenses_listed(self)

    def facts(self) -> dict:
        yes = lambda field: field.data == "yes"  # noqa: E731
        citizenships = [c for c in (self.citizenship.data, self.second_citizenship.data) if c]
        return {
            "date_of_birth": self.date_of_birth.data,
            "citizenships": list(dict.fromkeys(citizenships)),
            "lawful_permanent_resident": yes(self.lawful_permanent_resident),
            "travels_internationally": yes(self.travels_internationally),
            "offenses": [
                {
                    "category": e.category.data,
                    "status": e.status.data,
                    "date": e.date.data,
                    "released_on": e.released_on.data,
                }
                for e in self.offenses
            ],
            "customs_immigration_violation": yes(self.customs_immigration_violation),
            "under_investigation": yes(self.under_investigation),
            "inadmissible_or_waiver": yes(self.inadmissible_or_waiver),
            "parent_member_or_applying": yes(self.parent_member_or_applying),
        }
