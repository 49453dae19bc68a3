"""The A-11 post-transaction survey, open to anyone (signed in or not). A survey is linked to an application only
when the signed-in owner came from it and chose to identify; any other ?application= is silently dropped."""

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


@bp.route("/feedback/<touchpoint>", methods=["GET", "POST"])
@public
@limiter.limit("10/minute;50/day", methods=["POST"])
def survey(touchpoint: str):
    if touchpoint not in feedback.TOUCHPOINTS:
        abort(404)
    form = SurveyForm()
    if request.method == "GET":
        application = own_application(request.args.get("application"))
        form.application.data = application.reference if application else ""
        return _render(form, touchpoint, application)
    application = own_application(form.application.data)
    if not application:
        form.application.data = ""
    if not form.validate_on_submit():  # the CSRF token: every field is optional
        return _render(form, touchpoint, application, status=400)
    try:
        feedback.record_response(
            touchpoint,
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
    db.session.commit()
    return redirect(url_for("feedback.thanks"))


@bp.get("/feedback/thank-you")
@public
def thanks():
    return render_template("feedback/thanks.html")
