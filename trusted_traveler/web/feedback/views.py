"""The A-11 post-transaction survey, for whoever holds an invitation (signed in or not): the survey link the service
gave when it offered the survey carries it (`?invitation=`), and the form posts it back. Without one, or with one
answered, expired or for another touchpoint, the page says why and what to do, and keeps nothing. A survey is linked
to an application only when the signed-in owner came from it and chose to identify; any other ?application= is
silently dropped."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from trusted_traveler.auth.policy import public
from trusted_traveler.casework import service as casework
from trusted_traveler.errors import NotFound
from trusted_traveler.extensions import db, limiter
from trusted_traveler.feedback import service as feedback
from trusted_traveler.web.feedback import bp
from trusted_traveler.web.feedback.forms import SurveyForm


def own_application(reference: str | None):
    """The signed-in person's own application with this reference, else None (never an error: a survey link
    that names someone else's application, or none that exists, is simply not linked)."""
    if not reference or not current_user.is_authenticated:
        return None
    try:
        return casework.get_application_for_traveler(reference.strip()[:16], current_user)
    except NotFound:
        return None


def _render(form: SurveyForm, touchpoint: str, application, *, status: int = 200, form_error: str | None = None):
    questions = feedback.questions_for(touchpoint, feedback.service_name(application))
    for key in set(feedback.DRIVERS) - {key for key, _ in questions}:
        del form[key]  # not offered at this touchpoint
    return render_template(
        "feedback/survey.html",
        form=form,
        touchpoint=touchpoint,
        heading=feedback.TOUCHPOINT_LABELS[touchpoint],
        questions=[(form[key], statement) for key, statement in questions],
        application=application,
        form_error=form_error,
        max_free_text=feedback.MAX_FREE_TEXT,
    ), status


# A refused invitation: answered or expired is gone for good (410); none, unknown or another survey's is no survey to
# answer here (404). Not 403, which the service keeps for a role that does not allow a page: this page is anyone's
# who holds an invitation.
REFUSAL_STATUS = {"missing": 404, "unknown": 404, "other_touchpoint": 404, "answered": 410, "expired": 410}


def _refused(refusal: feedback.InvitationRefused, touchpoint: str, invitation: str | None):
    """The page that says why this invitation cannot be used here, and what to do instead."""
    other = None
    if refusal.reason == "other_touchpoint":
        other = url_for("feedback.survey", touchpoint=refusal.touchpoint, invitation=invitation)
    return render_template(
        "feedback/invitation_refused.html",
        reason=refusal.reason,
        heading=feedback.TOUCHPOINT_LABELS[touchpoint],
        other_heading=feedback.TOUCHPOINT_LABELS.get(refusal.touchpoint or ""),
        other_survey=other,
        days=feedback.invitation_days(),
    ), REFUSAL_STATUS[refusal.reason]


@bp.route("/feedback/<touchpoint>", methods=["GET", "POST"])
@public
@limiter.limit("10/minute;50/day", methods=["POST"])
def survey(touchpoint: str):
    if touchpoint not in feedback.TOUCHPOINTS:
        abort(404)
    form = SurveyForm()
    invitation = request.args.get("invitation") if request.method == "GET" else form.invitation.data
    try:  # before anything else: answers that cannot be kept are not asked for, nor corrected
        feedback.check_invitation(invitation, touchpoint)
    except feedback.InvitationRefused as refusal:
        return _refused(refusal, touchpoint, invitation)
    if request.method == "GET":
        application = own_application(request.args.get("application"))
        form.application.data = application.reference if application else ""
        form.invitation.data = invitation
        return _render(form, touchpoint, application)
    application = own_application(form.application.data)
    if not application:
        form.application.data = ""
    if not form.validate_on_submit():  # the CSRF token: every field is optional
        return _render(form, touchpoint, application, status=400)
    try:
        feedback.record_response(
            touchpoint,
            invitation=invitation,
            scores=form.scores({key for key, _ in feedback.questions_for(touchpoint)}),
            free_text=form.free_text.data,
            language=str(get_locale() or "en"),
            application=application,
            anonymous=form.identify.data != "yes",
        )
    except feedback.SurveyInvalid as invalid:
        db.session.rollback()
        for key, message in invalid.errors.items():
            if key in form and key != "application":
                form[key].errors = [message]
        return _render(form, touchpoint, application, status=400, form_error=invalid.errors.get("form"))
    except feedback.InvitationRefused as refusal:  # answered by another request since it was checked
        db.session.rollback()
        return _refused(refusal, touchpoint, invitation)
    db.session.commit()
    return redirect(url_for("feedback.thanks"))


@bp.get("/feedback/thank-you")
@public
def thanks():
    return render_template("feedback/thanks.html")
