"""Administrators and program leads edit enrollment centers; supervisors see appointments that changes affect."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.scheduling import centers as center_service
from trusted_traveler.scheduling.capacity import conflicts
from trusted_traveler.scheduling.lookups import describe_time
from trusted_traveler.scheduling.models import EnrollmentCenter, SchedulerService
from trusted_traveler.web.admin import bp
from trusted_traveler.web.admin.forms import (
    WEEKDAYS,
    CenterForm,
    ClosureForm,
    HoursForm,
    WithdrawHoursForm,
    weekday_rows,
)
from trusted_traveler.web.forms import LogoutForm

MANAGE = require(Permission.MANAGE_CENTERS)
NOT_PREVIEWED = "Nothing was saved yet. Check what the new hours would do, then save them."
DETAILS = (
    "name",
    "short_name",
    "location_type",
    "address",
    "address_additional",
    "city",
    "state",
    "postal_code",
    "country_code",
    "tz_name",
    "phone_number",
    "latitude",
    "longitude",
    "notes",
    "directions",
    "operational",
    "temporary",
    "invite_only",
    "enrollment_on_arrival",
    "min_notice_hours",
    "cancel_cutoff_hours",
    "max_reschedules",
)


def _center(center_id: int) -> EnrollmentCenter:
    return db.session.get(EnrollmentCenter, center_id) or abort(404)


@bp.get("/centers")
@MANAGE
def centers():
    rows = db.session.scalars(
        select(EnrollmentCenter)
        .options(selectinload(EnrollmentCenter.services))  # each row names its programs
        .order_by(EnrollmentCenter.state, EnrollmentCenter.name)
    )
    return render_template("admin/centers.html", centers=rows.all())


def _affected(center: EnrollmentCenter) -> Counter[str]:
    """How many of the appointments in conflict fall at each time, in time order. This page is for whoever manages
    the center (a program lead, an administrator): to weigh a change they need how many it affects and when, not who.
    The travelers are named on the supervisors' conflicts page, where each view is audited."""
    return Counter(describe_time(a.slot) for a in conflicts(center, utcnow()))


def _hours_form(center, now, *, formdata=None) -> HoursForm:
    """The weekly-hours form, bound to what was sent (`formdata`) or, for a fresh page, filled with the hours in
    force on the day it offers first: the first day not yet open for booking (no booking is affected from then)."""
    if formdata is None:
        first = center_service.first_unopened_day(center, now)
        form = HoursForm(
            formdata=None, data={**weekday_rows(center_service.hours_on(center, first)), "effective_from": first}
        )
    else:
        form = HoursForm(formdata=formdata)
    form.earliest, form.latest = center_service.effective_window(center, now)
    return form


def _page(center, *, details=None, hours=None, closure=None, hours_problem=None, status=200):
    """The center's page. A form not given is shown afresh, with what is saved: never bound to the request, which on
    a POST is another form's (Flask-WTF binds a form to request.form by default, and the details' check boxes, absent
    from it, would show unticked, so that "Save details" took the center offline). `formdata=None` says so."""
    services = db.session.scalars(select(SchedulerService).order_by(SchedulerService.id)).all()
    if details is None:
        details = CenterForm(formdata=None, obj=center)
        details.service_ids.data = [s.id for s in center.services]
    details.service_ids.choices = [(s.id, s.name) for s in services]
    now = utcnow()
    today = center_service.center_today(center, now)  # the center's own day, as its hours are dated
    first_unopened = center_service.first_unopened_day(center, now)
    return render_template(
        "admin/center.html",
        center=center,
        details=details,
        hours=hours or _hours_form(center, now),
        hours_problem=hours_problem,
        periods=center_service.hour_periods(center, today),
        today=today,
        first_unopened=first_unopened,
        last_open=first_unopened - dt.timedelta(days=1),
        long_day=center_service.long_day,
        weekday_names=WEEKDAYS,
        closure=closure or ClosureForm(formdata=None),
        affected=_affected(center),
        remove_form=LogoutForm(formdata=None),
        zones=sorted(zoneinfo.available_timezones()),
    ), status


@bp.get("/centers/<int:center_id>")
@MANAGE
def center(center_id: int):
    return _page(_center(center_id))


@bp.post("/centers/<int:center_id>")
@MANAGE
def update_center(center_id: int):
    center = _center(center_id)
    form = CenterForm()
    form.service_ids.choices = [(s.id, s.name) for s in db.session.scalars(select(SchedulerService))]
    if not form.validate_on_submit():
        return _page(center, details=form, status=400)
    zone = center.tz_name
    try:
        replanned = center_service.update_details(
            center,
            by=current_user,
            fields={n: getattr(form, n).data for n in DETAILS},
            service_ids=form.service_ids.data,
            now=utcnow(),
        )
    except BusinessRuleViolation as exc:
        db.session.rollback()
        form.service_ids.errors = [exc.message]
        return _page(center, details=form, status=400)
    if replanned is not None:  # operational, time zone or programs changed: the slots were re-planned
        note = None
        if center.tz_name != zone:
            note = _(
                "The weekly hours are the center's local times: its free times now follow the %(zone)s time zone.",
                zone=center.tz_name,
            )
        return _after_replan(center, replanned, note=note)
    db.session.commit()
    flash("Center details saved.", "success")
    return redirect(url_for("admin.center", center_id=center_id))


def _after_replan(center, replanned, *, note: str | None = None):
    """Commit a re-plan and tell the administrator what it did (`note`, when given, says what the change itself
    means)."""
    db.session.commit()
    found, withdrawn = replanned.conflicts, replanned.offers_withdrawn
    if found:
        message = ngettext(
            "Saved. %(num)s booked appointment no longer fits; its traveler has been told to choose another time "
            "(or, too close to move it online, to contact the center), or officers at the center will contact them. "
            "When it falls is below.",
            "Saved. %(num)s booked appointments no longer fit; their travelers have been told to choose another "
            "time (or, too close to move it online, to contact the center), or officers at the center will contact "
            "them. How many fall at each time is below.",
            len(found),
        )
    else:
        message = _("Saved. No booked appointment is affected.")
    if withdrawn:  # not on the page below: those travelers are waiting again
        message += " " + ngettext(
            "%(num)s waitlist offer for a time that no longer fits was withdrawn; its traveler keeps their place on "
            "the waitlist and has been told.",
            "%(num)s waitlist offers for times that no longer fit were withdrawn; their travelers keep their places "
            "on the waitlist and have been told.",
            withdrawn,
        )
    if note:
        message += " " + note
    flash(message, "warning" if found or withdrawn else "success")
    return redirect(url_for("admin.center", center_id=center.id))


def _preview_page(center, form, preview, *, problem=None, status=200):
    """The effect of the new hours, before they are saved, with "Save these hours" (it carries what was typed and
    the version of the hours the preview read) and "Change the hours"."""
    return render_template(
        "admin/hours_preview.html",
        center=center,
        hours=form,
        preview=preview,
        problem=problem,
        affected_times=Counter(describe_time(a.slot) for a in preview.affected),
        cleared_times=Counter(describe_time(a.slot) for a in preview.cleared),
        new_hours=form.rows(),
        current_hours={t.weekday: t for t in center_service.hours_on(center, preview.effective_from)},
        long_day=center_service.long_day,
        weekday_names=WEEKDAYS,
    ), status


def _preview(center, form, now, *, problem=None):
    """The preview of the hours in `form`, or the form again with the date refused beside it."""
    try:
        preview = center_service.preview_weekly_hours(
            center, form.rows(), effective_from=form.effective_from.data, now=now
        )
    except BusinessRuleViolation as exc:
        form.effective_from.errors = [exc.message]
        return _page(center, hours=form, status=400)
    return _preview_page(center, form, preview, problem=problem)


@bp.post("/centers/<int:center_id>/hours/preview")
@MANAGE
def preview_hours(center_id: int):
    """Step one of changing the weekly hours: what the change would do, nothing saved. "Change the hours" on the
    preview comes back here with action=edit: the form again, as typed."""
    center = _center(center_id)
    now = utcnow()
    form = _hours_form(center, now, formdata=request.form)
    if not form.validate_on_submit():
        return _page(center, hours=form, status=400)
    if request.form.get("action") == "edit":
        return _page(center, hours=form)
    return _preview(center, form, now)


@bp.post("/centers/<int:center_id>/hours")
@MANAGE
def update_hours(center_id: int):
    """Step two: "Save these hours" from the preview. The hours before the effective day are kept as history; a
    preview made stale by another change of the hours saves nothing and shows the preview again, counted afresh."""
    center = _center(center_id)
    now = utcnow()
    form = _hours_form(center, now, formdata=request.form)
    if not form.validate_on_submit():
        return _page(center, hours=form, status=400)
    effective_from = form.effective_from.data
    if not form.hours_version.data:  # not from a preview: show it first
        return _preview(center, form, now, problem=NOT_PREVIEWED)
    try:
        replanned = center_service.set_weekly_hours(
            center,
            form.rows(),
            effective_from=effective_from,
            by=current_user,
            now=now,
            version=form.hours_version.data or "",
        )
    except center_service.HoursChanged as exc:
        db.session.rollback()
        preview = center_service.preview_weekly_hours(center, form.rows(), effective_from=effective_from, now=now)
        return _preview_page(center, form, preview, problem=exc.message, status=409)
    except BusinessRuleViolation as exc:
        db.session.rollback()
        form.effective_from.errors = [exc.message]
        return _page(center, hours=form, status=400)
    note = f"The new hours take effect from {center_service.long_day(effective_from)}."
    if effective_from > center_service.center_today(center, now):
        note += " Until then the center keeps its present hours; you can withdraw the change before it starts."
    return _after_replan(center, replanned, note=note)


@bp.post("/centers/<int:center_id>/hours/withdraw")
@MANAGE
def withdraw_hours(center_id: int):
    """Withdraw a change of weekly hours that has not started (the hours history's "Withdraw")."""
    center = _center(center_id)
    form = WithdrawHoursForm()
    if not form.validate_on_submit():
        abort(400)
    starts_on = form.starts_on.data
    try:
        replanned = center_service.withdraw_hours(center, starts_on, by=current_user, now=utcnow())
    except BusinessRuleViolation as exc:
        db.session.rollback()
        return _page(center, hours_problem=exc.message, status=409)
    return _after_replan(
        center,
        replanned,
        note=f"The change of hours from {center_service.long_day(starts_on)} was withdrawn: the hours before it go on.",
    )


@bp.post("/centers/<int:center_id>/closures")
@MANAGE
def add_closure(center_id: int):
    center = _center(center_id)
    form = ClosureForm()
    if not form.validate_on_submit():
        return _page(center, closure=form, status=400)
    try:
        replanned = center_service.add_closure(
            center,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            reason=form.reason.data,
            by=current_user,
            now=utcnow(),
        )
    except BusinessRuleViolation as exc:
        db.session.rollback()
        form.ends_on.errors = [exc.message]
        return _page(center, closure=form, status=400)
    return _after_replan(center, replanned)


@bp.post("/centers/<int:center_id>/closures/<int:closure_id>/remove")
@MANAGE
def remove_closure(center_id: int, closure_id: int):
    center = _center(center_id)
    if not LogoutForm().validate_on_submit():
        abort(400)
    replanned = center_service.remove_closure(center, closure_id, by=current_user, now=utcnow())
    return _after_replan(center, replanned)


@bp.get("/centers/<int:center_id>/conflicts")
@require(Permission.SUPERVISE)
def center_conflicts(center_id: int):
    center = _center(center_id)
    found = conflicts(center, utcnow())
    # The page names each traveler, with their e-mail and phone: the view is recorded per application, as opening
    # the case records `profile.viewed`, so "who looked at TT-…" finds this page too.
    for appointment in found:
        record_event(
            "conflicts.viewed", "application", appointment.application.reference, by=current_user, center=center.id
        )
    page = render_template(
        "admin/conflicts.html",
        center=center,
        conflicts=found,
        describe_time=describe_time,
        request_path=request.path,
    )
    db.session.commit()  # the audit record of this view
    return page
