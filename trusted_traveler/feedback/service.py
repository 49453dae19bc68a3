"""The OMB Circular A-11 section 280 post-transaction survey (BRIEF.md section 6): its items, the touchpoints it is
offered at, and recording a response. Every item is optional and a response may be anonymous: then it keeps no
application and no account. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from trusted_traveler.casework.states import Status
from trusted_traveler.db import utcnow
from trusted_traveler.errors import DomainError
from trusted_traveler.extensions import db
from trusted_traveler.feedback.models import FeedbackResponse, SurveyOffer
from trusted_traveler.locking import insert_skipping_conflicts
from trusted_traveler.scheduling.models import Appointment


def N_(message: str) -> str:
    """Marks a string for translation (pybabel finds it); it is translated where it is shown."""
    return message


TOUCHPOINTS = ("submission", "appointment", "decision")
TOUCHPOINT_LABELS = {
    "submission": N_("After submitting an application"),
    "appointment": N_("After an appointment"),
    "decision": N_("After a decision"),
}
SERVICE_NAME = "Trusted Traveler"  # "[Program/Service]" when the response is about no one program
SCALE = {
    1: N_("Strongly disagree"),
    2: N_("Disagree"),
    3: N_("Neither agree nor disagree"),
    4: N_("Agree"),
    5: N_("Strongly agree"),
}
AGREE = (4, 5)
MAX_FREE_TEXT = 2000
EMPTY_MESSAGE = N_("Answer at least one question or skip the survey")
SCORE_MESSAGE = N_("Choose one of the five answers, from strongly disagree to strongly agree")


@dataclass(frozen=True)
class Question:
    key: str  # the driver, the key in FeedbackResponse.scores
    driver: str
    statement: str  # the A-11 standard wording; "%(service)s" stands where A-11 writes "[Program/Service]"
    touchpoints: tuple[str, ...] = TOUCHPOINTS


# The A-11 items, worded exactly as the standard (only the service name filled in), translated where shown.
# Satisfaction and trust come first and are never modified. Nobody meets an employee when submitting online, so that
# item waits for the appointment and the decision.
QUESTIONS = (
    Question("satisfaction", N_("Satisfaction"), N_("I am satisfied with the service I received from %(service)s.")),
    Question("trust", N_("Trust"), N_("This interaction increased my confidence in %(service)s.")),
    Question("effectiveness", N_("Effectiveness"), N_("My need was addressed.")),
    Question("ease", N_("Ease"), N_("It was easy to complete what I needed to do.")),
    Question("efficiency", N_("Efficiency"), N_("It took a reasonable amount of time to do what I needed to do.")),
    Question("equity", N_("Equity"), N_("I was treated fairly.")),
    Question(
        "employees",
        N_("Employee helpfulness"),
        N_("Employees I interacted with were helpful."),
        ("appointment", "decision"),
    ),
)
DRIVERS = tuple(q.key for q in QUESTIONS)
DRIVER_LABELS = {q.key: q.driver for q in QUESTIONS}
FREE_TEXT_PROMPT = N_("Any additional feedback on your scores above?")
# The scale items, the free-text item and the choice to stay anonymous: A-11 allows at most 15.
QUESTION_COUNT = len(QUESTIONS) + 2
assert QUESTION_COUNT <= 15

DECIDED = frozenset({Status.APPROVED.value, Status.DENIED.value, Status.REVOKED.value})


class SurveyInvalid(DomainError):
    """What was sent cannot be recorded; `errors` maps each field (a driver, "free_text" or "form") to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def questions_for(touchpoint: str, service: str = SERVICE_NAME) -> list[tuple[str, str]]:
    """(driver, statement) for each scale item offered at the touchpoint, in the reader's language, with the
    service name filled in."""
    return [(q.key, _(q.statement, service=service)) for q in QUESTIONS if touchpoint in q.touchpoints]


def service_name(application=None) -> str:
    """The "[Program/Service]" of the items: the program's name when the survey is about one application."""
    return application.program.name if application is not None else SERVICE_NAME


def _score(value) -> int | None:
    """None when unanswered; raises ValueError when not a whole number from 1 to 5."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    number = int(value)  # ValueError for "abc", "4.5"
    if number not in SCALE or (isinstance(value, float) and value != number):
        raise ValueError(value)
    return number


def validate_response(touchpoint: str, scores: Mapping[str, object], free_text: str | None) -> dict[str, int]:
    """The scores worth keeping (driver -> 1..5), or SurveyInvalid naming every bad field."""
    if touchpoint not in TOUCHPOINTS:
        raise SurveyInvalid(
            {"touchpoint": _("This survey is offered after a submission, an appointment or a decision.")}
        )
    offered = {key for key, _ in questions_for(touchpoint)}
    errors: dict[str, str] = {}
    kept: dict[str, int] = {}
    for key, value in scores.items():
        if key not in offered:
            if value not in (None, ""):
                errors[key] = _("This question is not part of this survey.")
            continue
        try:
            number = _score(value)
        except (TypeError, ValueError):
            errors[key] = _(SCORE_MESSAGE)
            continue
        if number is not None:
            kept[key] = number
    text = (free_text or "").strip()
    if len(text) > MAX_FREE_TEXT:
        errors["free_text"] = _(
            "Keep your feedback to %(max)s characters or fewer (you wrote %(n)s)",
            max=format(MAX_FREE_TEXT, ","),
            n=format(len(text), ","),
        )
    if not errors and not kept and not text:
        errors["form"] = _(EMPTY_MESSAGE)
    if errors:
        raise SurveyInvalid(errors)
    return kept


def record_response(
    touchpoint: str,
    *,
    scores: Mapping[str, object],
    free_text: str | None = None,
    language: str = "en",
    application=None,
    anonymous: bool = True,
) -> FeedbackResponse:
    """Record one survey response. `application` must already be verified as the respondent's own; it is kept only
    when the person chose to identify (`anonymous=False`). Nothing else about the person is stored.

    Raises:
        SurveyInvalid: a score outside 1..5, free text over 2,000 characters, or nothing answered at all.
    """
    kept = validate_response(touchpoint, scores, free_text)
    response = FeedbackResponse(
        touchpoint=touchpoint,
        scores=kept,
        free_text=(free_text or "").strip() or None,
        language=(language or "en")[:8],
        application_id=None if anonymous or application is None else application.id,
    )
    db.session.add(response)
    db.session.flush()
    return response


def survey_touchpoint_for(application) -> str | None:
    """Which survey to invite the traveler to on their application page: "decision" once it was approved, denied
    or revoked, "appointment" once they have had their appointment, otherwise none."""
    if application.status in DECIDED:
        return "decision"
    completed = db.session.scalar(
        select(Appointment.id)
        .where(Appointment.application_id == application.id, Appointment.status == "completed")
        .limit(1)
    )
    return "appointment" if completed is not None else None


def record_offer(applications, touchpoint: str) -> None:
    """Note that the survey at `touchpoint` was offered to the traveler of each of `applications` (its invitation
    shown on their page): the first showing counts; a page seen again reads that it was recorded and writes
    nothing (the insert also does nothing should another request have recorded it meanwhile). Flushes."""
    ids = [a.id for a in applications]
    recorded = set(
        db.session.scalars(
            select(SurveyOffer.application_id).where(
                SurveyOffer.touchpoint == touchpoint, SurveyOffer.application_id.in_(ids)
            )
        )
    )
    rows = [{"application_id": i, "touchpoint": touchpoint, "offered_at": utcnow()} for i in ids if i not in recorded]
    if not rows:
        return
    db.session.execute(insert_skipping_conflicts(SurveyOffer).values(rows))
