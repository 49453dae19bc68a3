"""The survey form: shape only (CSRF, field names). What counts as a valid answer is feedback.service's to say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField

from trusted_traveler.feedback.service import DRIVERS, FREE_TEXT_PROMPT, SCALE
from trusted_traveler.web.forms import choices

SCALE_CHOICES = choices((str(score), _l(label)) for score, label in SCALE.items())


class SurveyForm(FlaskForm):
    # validate_choice=False: an out-of-range score is reported by the service with its own message
    satisfaction = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    trust = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    effectiveness = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    ease = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    efficiency = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    equity = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    employees = RadioField(choices=SCALE_CHOICES, validate_choice=False)
    free_text = TextAreaField(_l(FREE_TEXT_PROMPT))
    identify = RadioField(
        _l("Do you want to link your answers to your application?"),
        choices=choices([("no", _l("No, answer anonymously")), ("yes", _l("Yes, link my answers to my application"))]),
        default="no",
        validate_choice=False,
    )
    application = HiddenField()
    invitation = HiddenField()  # the token of the survey link: one response per invitation

    def scores(self, offered) -> dict[str, str | None]:
        """The raw answers to the items offered (a value posted for any other item is ignored)."""
        return {driver: self[driver].data for driver in DRIVERS if driver in offered}
