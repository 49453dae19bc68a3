"""The OMB Circular A-11 section 280 post-transaction survey (BRIEF.md section 6): its items, the touchpoints it is
offered at, the single-use invitations, and recording a response. Every item is optional and a response may be
anonymous: then it keeps no application and no account. Flushes, never commits.

Only someone offered the survey can answer it, once: the offer (`SurveyOffer`) is an invitation whose token the
survey link carries. The token is an HMAC of the offer's random nonce under SECRET_KEY (the page shows the same link
every time; someone who reads the database cannot make one), and the offer keeps only its SHA-256. A response is
recorded with one conditional UPDATE that marks an unanswered, unexpired invitation for that touchpoint answered, in
the response's transaction: of two posts of one link, one is counted. The response keeps no token, no offer and no
time on the offer, so an answer cannot be traced back to whoever was invited."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

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
INVITATION_DAYS = 30  # how long a survey invitation stays open (SURVEY_INVITATION_DAYS in the app config overrides it)
MAX_TOKEN = 64  # longer is no token of ours (ours are 43 characters)
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


class InvitationRefused(DomainError):
    """The survey cannot be answered with this invitation. `reason`: "missing" (no token), "unknown" (no offer has
    it), "answered" (used already), "expired", or "other_touchpoint" (it is for the survey at `touchpoint`)."""

    REASONS = ("missing", "unknown", "answered", "expired", "other_touchpoint")

    def __init__(self, reason: str, touchpoint: str | None = None):
        super().__init__(reason, code=f"survey_invitation_{reason}")
        self.reason = reason
        self.touchpoint = touchpoint


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
    invitation: str | None,
    scores: Mapping[str, object],
    free_text: str | None = None,
    language: str = "en",
    application=None,
    anonymous: bool = True,
    now: dt.datetime | None = None,
) -> FeedbackResponse:
    """Record one survey response given with `invitation` (the token of the survey link), and mark the invitation
    answered, in the caller's transaction. `application` must already be verified as the respondent's own; it is
    kept only when the person chose to identify (`anonymous=False`). Nothing else about the person is stored: not
    the invitation, not the offer.

    Raises:
        SurveyInvalid: a score outside 1..5, free text over 2,000 characters, or nothing answered at all (checked
            first: the invitation stays unused).
        InvitationRefused: no invitation, or one unknown, answered, expired or for another touchpoint.
    """
    kept = validate_response(touchpoint, scores, free_text)
    redeem_invitation(invitation, touchpoint, now=now)
    response = FeedbackResponse(
        touchpoint=touchpoint,
        scores=kept,
        free_text=(free_text or "").strip() or None,
        language=(language or "en")[:8],
        application_id=None if anonymous or application is None else application.id,
        invited=True,
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


def invitation_days() -> int:
    return int(current_app.config.get("SURVEY_INVITATION_DAYS") or INVITATION_DAYS)


def invitation_token(nonce: str) -> str:
    """The token of the survey link for an offer's nonce: HMAC-SHA256 under the app's SECRET_KEY, URL-safe."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"survey-invitation:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _usable_token(token: str | None) -> str | None:
    token = (token or "").strip()
    return token if token and len(token) <= MAX_TOKEN and token.isascii() else None


def record_offer(applications, touchpoint: str, *, now: dt.datetime | None = None) -> dict[int, str]:
    """Note that the survey at `touchpoint` was offered to the traveler of each of `applications` (its invitation
    shown on their page), and return the token of each invitation still open, by application id, for the survey
    link. The first showing counts and issues the invitation, open INVITATION_DAYS from then; a page seen again
    reads the same invitation (the insert also does nothing should another request have recorded it meanwhile: the
    tokens are read from what was stored). An offer recorded before invitations existed gets its invitation now.
    An answered or expired invitation gives no token: the page invites no more. Flushes."""
    now = now or utcnow()
    ids = [a.id for a in applications]
    if not ids:
        return {}

    def stored() -> dict[int, SurveyOffer]:
        rows = db.session.scalars(
            select(SurveyOffer)
            .where(SurveyOffer.touchpoint == touchpoint, SurveyOffer.application_id.in_(ids))
            .order_by(SurveyOffer.application_id)
            .execution_options(populate_existing=True)
        )
        return {offer.application_id: offer for offer in rows}

    def invitation() -> dict:
        nonce = secrets.token_hex(32)
        return {
            "invitation_nonce": nonce,
            "invitation_hash": token_hash(invitation_token(nonce)),
            "invitation_expires_at": now + dt.timedelta(days=invitation_days()),
        }

    offers = stored()
    rows = [
        {"application_id": i, "touchpoint": touchpoint, "offered_at": now, **invitation()}
        for i in ids
        if i not in offers
    ]
    wrote = bool(rows)
    if rows:
        db.session.execute(insert_skipping_conflicts(SurveyOffer).values(rows))
    for offer in offers.values():
        if offer.invitation_nonce is None and not offer.answered:  # offered before invitations existed
            db.session.execute(
                update(SurveyOffer)
                .where(
                    SurveyOffer.application_id == offer.application_id,
                    SurveyOffer.touchpoint == touchpoint,
                    SurveyOffer.invitation_nonce.is_(None),  # another request may have issued it meanwhile
                )
                .values(**invitation())
                .execution_options(synchronize_session=False)
            )
            wrote = True
    if wrote:
        offers = stored()
    tokens = {}
    for application_id, offer in offers.items():
        if offer.answered or offer.invitation_nonce is None or offer.invitation_expires_at <= now:
            continue
        token = invitation_token(offer.invitation_nonce)
        if offer.invitation_hash != token_hash(token):  # SECRET_KEY was changed: the open invitation follows it
            offer.invitation_hash = token_hash(token)
        tokens[application_id] = token
    db.session.flush()
    return tokens


def check_invitation(invitation: str | None, touchpoint: str, *, now: dt.datetime | None = None) -> None:
    """Whether the survey at `touchpoint` can be answered with `invitation` now: returns, or raises
    InvitationRefused saying why. Reads only."""
    now = now or utcnow()
    token = _usable_token(invitation)
    if token is None:
        raise InvitationRefused("unknown" if (invitation or "").strip() else "missing")
    offer = db.session.scalar(
        select(SurveyOffer)
        .where(SurveyOffer.invitation_hash == token_hash(token))
        .execution_options(populate_existing=True)
    )
    if offer is None:
        raise InvitationRefused("unknown")
    if offer.touchpoint != touchpoint:
        raise InvitationRefused("other_touchpoint", touchpoint=offer.touchpoint)
    if offer.answered:
        raise InvitationRefused("answered")
    if offer.invitation_expires_at is None or offer.invitation_expires_at <= now:
        raise InvitationRefused("expired")


def redeem_invitation(invitation: str | None, touchpoint: str, *, now: dt.datetime | None = None) -> None:
    """Mark the invitation answered, in the caller's transaction, if it is open for `touchpoint`: one conditional
    UPDATE, so of two requests with one invitation only one gets its row (on PostgreSQL the second waits for the
    first's commit and then finds it answered; SQLite has one writer at a time). Raises InvitationRefused, saying
    why, when no row was marked."""
    now = now or utcnow()
    token = _usable_token(invitation)
    if token is not None:
        marked = db.session.execute(
            update(SurveyOffer)
            .where(
                SurveyOffer.invitation_hash == token_hash(token),
                SurveyOffer.touchpoint == touchpoint,
                SurveyOffer.answered.is_(False),
                SurveyOffer.invitation_expires_at > now,
            )
            .values(answered=True)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount == 1:
            return
    check_invitation(invitation, touchpoint, now=now)
    raise InvitationRefused("answered")  # not reached unless it changed between the two statements
