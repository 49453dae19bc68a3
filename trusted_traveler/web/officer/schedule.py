"""A center's day: the appointments in local time, check-in, no-show and completing the visit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trusted_traveler.audit.record import record_views
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation, DomainError
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter
from trusted_traveler.scheduling.slots import local_time
from trusted_traveler.web.forms import LogoutForm
from trusted_traveler.web.officer import bp
from trusted_traveler.web.officer.forms import VisitDoneForm


@bp.get("/centers")
@require(Permission.WORK_CASES)
def centers():
    rows = db.session.scalars(select(EnrollmentCenter).order_by(EnrollmentCenter.state, EnrollmentCenter.name)).all()
    return render_template("officer/centers.html", centers=rows)


DAYS_REACHABLE = 3653  # ten years either way: appointments are booked months ahead and kept for years


@bp.get("/centers/<int:center_id>/day")
@require(Permission.WORK_CASES)
def day(center_id: int):
    center = db.session.get(EnrollmentCenter, center_id) or abort(404)
    today = utcnow().astimezone(ZoneInfo(center.tz_name)).date()
    asked = request.args.get("date") or ""
    try:
        chosen = dt.date.fromisoformat(asked) if asked else today
    except ValueError:
        chosen = None
    if chosen is None or abs((chosen - today).days) > DAYS_REACHABLE:  # 9999-12-31 has no next day to link to
        flash(
            f"{asked[:40]!r} is not a day this schedule can show. Use a date like {today.isoformat()}, within ten "
            "years of today. Here is today.",
            "error",
        )
        chosen = today
    return _day_page(center, chosen)


def _day_page(center: EnrollmentCenter, chosen: dt.date, status: int = 200, refused: dict | None = None):
    """The center's day. `refused`: a visit recorded without its checks or with notes refused, {"id": appointment
    id, "message": why, "field": which, "form": what was ticked and written}, said beside that row's checkboxes or
    notes."""
    appointments = [(a, local_time(a.slot.starts_at, center)) for a in scheduling.day_schedule(center, chosen)]
    now = utcnow()  # those the center's changed hours no longer fit, tagged (the center's programs read once)
    affected = {a.id for a, _starts in appointments if scheduling.in_conflict(a, now)}
    # The page names each traveler: the view is recorded per application, as opening the case records
    # `profile.viewed`, so "who looked at TT-…" finds the day too.
    record_views(
        "day_schedule.viewed",
        "application",
        [appointment.application.reference for appointment, _starts in appointments],
        by=current_user,
        center=center.id,
        day=chosen.isoformat(),
    )
    page = render_template(
        "officer/day.html",
        center=center,
        day=chosen,
        appointments=appointments,
        affected=affected,
        previous=chosen - dt.timedelta(days=1),
        next=chosen + dt.timedelta(days=1),
        form=LogoutForm(),
        visit_form=VisitDoneForm(formdata=None),
        refused=refused or {},
    )
    db.session.commit()  # the audit record of this view
    return page, status


def _complete(appointment, *, by, now) -> None:
    """The visit done, as the officer confirmed it in the row's checkboxes, with their notes of it.

    Raises:
        BusinessRuleViolation: the notes refused (too long, control characters), said beside them (field "note").
    """
    form = VisitDoneForm()
    if not form.validate() and form.note.errors:  # the boxes are checked by the service, naming the one missing
        raise BusinessRuleViolation(str(form.note.errors[0]), field="note")
    scheduling.complete_visit(
        appointment,
        by=by,
        now=now,
        documents_verified=form.documents_verified.data,
        biometrics_captured=form.biometrics_captured.data,
        note=form.note.data,
    )


ACTIONS = {"check-in": scheduling.check_in, "no-show": scheduling.mark_no_show, "complete": _complete}


@bp.post("/appointments/<int:appointment_id>/<action>")
@require(Permission.DECIDE_CASES)
def appointment_action(appointment_id: int, action: str):
    appointment = db.session.get(Appointment, appointment_id) or abort(404)
    if action not in ACTIONS or not LogoutForm().validate_on_submit():
        abort(400)
    center = appointment.slot.center
    day = local_time(appointment.slot.starts_at, center).date()
    try:
        ACTIONS[action](appointment, by=current_user, now=utcnow())
    except DomainError as exc:
        # A rule refused it, or the page was stale (the case moved on: InvalidTransition; another officer took it:
        # PermissionDenied): the day again with the reason, not an error page.
        db.session.rollback()
        if action == "complete" and exc.field in ("documents_verified", "biometrics_captured", "note"):
            # a check not ticked, or notes refused: said beside that row's checkboxes or notes, with what was ticked
            # and written kept
            refused = {"id": appointment_id, "message": exc.message, "field": exc.field, "form": VisitDoneForm()}
            return _day_page(center, day, 400, refused)
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"{appointment.application.reference}: {action.replace('-', ' ')} recorded.", "success")
    return redirect(url_for("officer.day", center_id=center.id, date=day.isoformat()))
