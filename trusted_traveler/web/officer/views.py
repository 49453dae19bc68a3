"""Officer queues and the case page. Every case view and decision is audited by the services."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.queues import QUEUE_LABELS, WORKABLE, list_queue
from trusted_traveler.casework.states import Status, allowed_moves, public_label
from trusted_traveler.errors import Conflict
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.web.forms import ActionForm, DenyForm
from trusted_traveler.web.officer import bp


@bp.errorhandler(Conflict)
def _case_changed(err: Conflict):
    """Two officers acted at once: the second sees the case as it is now, with the reason."""
    db.session.rollback()
    flash(err.message, "error")
    return redirect(url_for("officer.case", reference=request.view_args["reference"]))


@bp.get("/")
@require(Permission.WORK_CASES)
def queues():
    name = request.args.get("queue", "enrollment")
    if name not in WORKABLE:
        abort(404)
    return render_template(
        "officer/queues.html",
        queue=name,
        labels=QUEUE_LABELS,
        cases=list_queue(name),
        public_label=public_label,
    )


def _case_context(application):
    moves = allowed_moves(application.program.code, application.status)
    return {
        "application": application,
        "profile": application.profile,
        "moves": moves,
        "Status": Status,
        "public_label": public_label,
        "memberships": memberships_for(application.profile_id),
        "action_form": ActionForm(version=application.version),
        "deny_form": DenyForm(version=application.version),
    }


@bp.get("/cases/<reference>")
@require(Permission.WORK_CASES)
def case(reference: str):
    application = casework.get_case_for_officer(reference, current_user)
    context = _case_context(application)
    db.session.commit()  # the audit record of this view
    return render_template("officer/case.html", **context)


def _load_for_action(reference: str, form: ActionForm):
    application = casework.get_case_for_officer(reference, current_user)
    if str(application.version) != (form.version.data or ""):
        raise Conflict(
            "This case changed while you were looking at it. The page now shows its current state; "
            "check it before you act."
        )
    return application


def _act(reference: str, action) -> Response:
    """A case action: check the form and the version the officer saw, act, commit once, and say what happened."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    application = _load_for_action(reference, form)
    message = action(application, form)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("officer.case", reference=reference))


@bp.post("/cases/<reference>/biometrics")
@require(Permission.DECIDE_CASES)
def record_biometrics(reference: str):
    def act(application, form):
        casework.record_biometrics(application, by=current_user)
        return f"Enrollment visit recorded. Status: {public_label(application.program.code, application.status)}."

    return _act(reference, act)


@bp.post("/cases/<reference>/arrival-interview")
@require(Permission.DECIDE_CASES)
def arrival_interview(reference: str):
    def act(application, form):
        scheduling.complete_on_arrival(application, by=current_user)
        return "Interview completed on arrival. Decide the application now."

    return _act(reference, act)


@bp.post("/cases/<reference>/approve")
@require(Permission.DECIDE_CASES)
def approve(reference: str):
    def act(application, form):
        membership = casework.approve(application, by=current_user, today=dt.date.today(), note=form.note.data or None)
        return f"Application approved. Known Traveler Number {membership.ktn} issued."

    return _act(reference, act)


@bp.post("/cases/<reference>/deny")
@require(Permission.DECIDE_CASES)
def deny(reference: str):
    form = DenyForm()
    if not form.validate_on_submit():
        application = casework.get_case_for_officer(reference, current_user)
        context = _case_context(application)
        context["deny_form"] = form
        db.session.commit()
        return render_template("officer/case.html", **context), 400
    application = _load_for_action(reference, form)
    casework.deny(application, by=current_user, reason_code=form.reason_code.data, note=form.note.data or None)
    db.session.commit()
    flash("Application denied.", "success")
    return redirect(url_for("officer.case", reference=reference))
