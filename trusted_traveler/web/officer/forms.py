"""Officer forms: shape and required fields only; the rules live in casework.decisions (a rule about one field
alone is asked of it here too, so that field's problem is said with the others')."""

from __future__ import annotations

from flask_babel import LazyString
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from trusted_traveler.casework import decisions
from trusted_traveler.casework.models import StatusEvent
from trusted_traveler.db import service_today
from trusted_traveler.i18n import EXAMPLE_DATE, numeric_date
from trusted_traveler.web.forms import (
    ActionForm,
    AtMost,
    CheckboxesField,
    PlainDateField,
    SelectField,
    WholeNumberField,
    choices,
    fits,
    text_or_none,
)


def _due_date_missing(what: str) -> LazyString:
    """The message for a due date left empty, with the example every date field gives (EXAMPLE_DATE, written as the
    date control shows dates: 04/12/2024), the one its hint gives and the one for a date that cannot be read
    (web.forms.PlainDateField)."""
    return LazyString(lambda: f"Enter {what}, like {numeric_date(EXAMPLE_DATE)}.")


def _due_date_rules(field) -> None:
    """A due date for an answer, by the rules of decisions.due_date_problem (asked here too, beside the field)."""
    if field.data is not None and (problem := decisions.due_date_problem(field.data, service_today())):
        raise ValidationError(problem)


class RequestInfoForm(ActionForm):
    message = TextAreaField(
        "What do you need from the applicant?",
        filters=[text_or_none],
        validators=[DataRequired("Write what you need from the applicant."), AtMost(3000)],
    )
    due_on = PlainDateField(
        "Answer due by",
        validators=[InputRequired(_due_date_missing("the date the answer is due"))],
    )

    def validate_due_on(self, field) -> None:
        _due_date_rules(field)


class ExtendRequestForm(ActionForm):
    """More time to answer the open request for information (decisions.extend_info_request: the same date rules as
    sending one, and later than the due date it has)."""

    due_on = PlainDateField(
        "New due date",
        validators=[InputRequired(_due_date_missing("the new date the answer is due"))],
    )

    def validate_due_on(self, field) -> None:
        _due_date_rules(field)


class WithdrawRequestForm(ActionForm):
    """The open request for information withdrawn, with why (decisions.withdraw_info_request)."""

    reason = TextAreaField(
        "Why are you withdrawing it?",
        filters=[text_or_none],
        validators=[DataRequired("Say why the request is withdrawn."), AtMost(500)],
    )


def _interview_note() -> TextAreaField:
    """The officer's notes of the interview or enrollment visit, kept as its status event's note (officers only;
    decisions.record_interview), on the case page and on the center's day alike."""
    return TextAreaField(
        "Interview notes (optional)",
        id="interview_note",
        filters=[text_or_none],
        validators=[Optional(), fits(StatusEvent.note)],
    )


class InterviewForm(ActionForm):
    documents_verified = BooleanField("Identity and travel documents verified")
    biometrics_captured = BooleanField("Fingerprints and photo taken")
    note = _interview_note()  # ActionForm's note, as the interview's notes


class VisitDoneForm(FlaskForm):
    """A center's day: the visit or interview done, with the same two checks and notes the case page's
    InterviewForm asks."""

    documents_verified = BooleanField("Identity and travel documents verified")
    biometrics_captured = BooleanField("Fingerprints and photo taken")
    note = _interview_note()


class DecisionForm(ActionForm):
    """Denial, revocation or preliminary determination: one or more reasons and an explanation for the letter."""

    reason_codes = CheckboxesField(
        "Reasons (the letter explains each in plain words)",
        validators=[DataRequired("Choose at least one reason.")],
        invalid_choice_message="A reason ticked does not apply to this letter (the page was out of date). Choose "
        "from the reasons listed.",
    )

    def for_case(self, application, kind: str) -> DecisionForm:
        """The reasons this letter (`kind`: denial, revocation, preliminary_ineligible) can give on this case."""
        self.reason_codes.choices = choices([(r.code, r.label) for r in decisions.reasons_open_to(application, kind)])
        return self


class ReassignForm(ActionForm):
    officer_id = SelectField("Assign to", coerce=str, validators=[DataRequired("Choose an officer.")])


class BulkAssignForm(FlaskForm):
    """Assign the ticked cases to an officer (yourself, or anyone when you are a supervisor)."""

    application_ids = SelectMultipleField(
        "Cases", coerce=int, validate_choice=False, validators=[DataRequired("Tick at least one case.")]
    )
    officer_id = HiddenField()  # to whom (a supervisor's choice; no choice is the officer pressing Assign)
    queue = HiddenField()
    listed = HiddenField()  # on a supervisor's list of one officer's cases: that officer (the way back to it)


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing

    # default "": a queue opened with no filters is "any", not an invalid choice; a blank typed in is not a choice
    program = SelectField(
        "Program",
        choices=choices([("", "Any"), ("precheck", "TSA PreCheck"), ("global_entry", "Global Entry")]),
        default="",
    )
    center_id = SelectField("Enrollment center", coerce=str, default="")
    status = SelectField("Status", coerce=str, default="")
    min_days = WholeNumberField(
        "Waiting at least (days)", 0, 3650, message="Enter a number of days from 0 to 3650.", required=None
    )
    overdue_only = BooleanField("Only overdue answers")
    # supervisors only (the view removes it for everyone else): whose cases the "officer" queue lists
    officer_id = SelectField("Officer", coerce=str, default="")
