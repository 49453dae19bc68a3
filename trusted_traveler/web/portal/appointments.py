"""The traveler books, moves and cancels an appointment (Global Entry interview or PreCheck enrollment visit)."""

from __future__ import annotations

import datetime as dt
import io
import re

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import service as casework
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day
from trusted_traveler.scheduling import nearby, waitlist
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.ics import appointment_ics
from trusted_traveler.scheduling.lookups import describe_moment
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import local_time
from trusted_traveler.web.forms import LogoutForm
from trusted_traveler.web.portal import bp
from trusted_traveler.web.routing import row_id

DAYS_SHOWN = 60


def _application(reference: str):
    return casework.get_application_for_traveler(reference, current_user)


def _centers_for(program) -> list[EnrollmentCenter]:
    return list(
        db.session.scalars(
            select(EnrollmentCenter)
            .where(
                EnrollmentCenter.operational.is_(True), EnrollmentCenter.services.any(id=program.scheduler_service_id)
            )
            .order_by(EnrollmentCenter.state, EnrollmentCenter.city)
        )
    )


def _distance(miles: float) -> str:
    """A distance in whole miles, in the reader's language, its number too ("1,204 miles"; 1.204 in Spanish)."""
    if miles < 0.5:
        return _("Less than 1 mile")
    whole = round(miles)
    return ngettext("%(miles)s mile", "%(miles)s miles", whole, miles=format_decimal(whole, "#,##0"))


@bp.get("/applications/<reference>/appointment")
@signed_in
def find_center(reference: str):
    application = _application(reference)
    now = utcnow()
    current = scheduling.active_appointment(application)
    refused = _cannot_move(application, current, now)
    if refused is not None:
        return refused
    state = (request.args.get("state") or "").strip().upper()
    city = (request.args.get("city") or "").strip()
    zip_code = re.sub(r"\D", "", request.args.get("zip") or "")
    errors = {}
    here = None
    if request.args.get("zip") and len(zip_code) != 5:
        errors["zip"] = _("Enter a 5-digit ZIP code, like 20001.")
    elif zip_code:
        here = nearby.zip_location(zip_code)
        if here is None:
            errors["zip"] = _(
                "We do not know the ZIP code %(zip)s. Check it, or search by state or city.", zip=zip_code
            )
    offering = _centers_for(application.program)
    centers = list(offering)
    states = sorted({c.state for c in centers})
    if state:
        centers = [c for c in centers if c.state == state]
    if city:
        centers = [c for c in centers if city.lower() in c.city.lower()]
    soonest = scheduling.soonest_by_center(application.program, since=now)
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    miles = {c.id: nearby.miles_to(c, here) for c in centers} if here is not None else {}
    if here is not None:  # nearest first; a center without coordinates last, soonest first among them
        centers.sort(key=lambda c: (miles[c.id] is None, miles[c.id] or 0.0, soonest.get(c.id) or never))
    else:
        centers.sort(key=lambda c: soonest.get(c.id) or never)
    rows = [
        {
            "center": c,
            "soonest": local_time(soonest[c.id], c) if c.id in soonest else None,
            "distance": _distance(miles[c.id]) if miles.get(c.id) is not None else None,
        }
        for c in centers
    ]
    eoa = [c for c in offering if c.enrollment_on_arrival]
    return render_template(
        "portal/appointment_centers.html",
        application=application,
        rows=rows,
        states=states,
        state=state,
        city=city,
        zip=request.args.get("zip", ""),
        errors=errors,
        by_distance=here is not None,
        appointment=current,
        eoa=eoa,
        form=LogoutForm(),
        waiting=waitlist.entry_for(application),
        today=service_today(),
    ), (400 if errors else 200)


def _cannot_move(application, current, now: dt.datetime):
    """Back to the status page, told why, when the application's appointment cannot be moved online now: the
    traveler would otherwise choose a center and a time only to be refused at the end."""
    refusal = scheduling.move_refusal(current, by=current_user, now=now) if current is not None else None
    if refusal is None:
        return None
    flash(refusal, "error")
    return redirect(url_for("portal.application", reference=application.reference))


def _times_page(application, center, day: dt.date | None, *, status=200, message=None):
    """Every local day with openings in the next DAYS_SHOWN days, a month at a time, and the chosen day's times.

    The days come from one query and the times from another, for that day only: taking the first free times of the
    whole period and grouping them reached about two weeks at an airport. A day asked for that has no openings
    (taken since, a weekend, past the period) shows the next day that has some, and says so. A center not taking
    appointments for the application's program (not operational, or not offering it) shows no times: the traveler
    is sent back to find a center, told why."""
    refusal = scheduling.unavailable(center, application.program)
    if refusal is not None:
        flash(_("%(reason)s Choose another center.", reason=refusal), "error")
        return redirect(url_for("portal.find_center", reference=application.reference))
    now = utcnow()
    current = scheduling.active_appointment(application)
    if status == 200:
        refused = _cannot_move(application, current, now)
        if refused is not None:
            return refused
    since = now + dt.timedelta(hours=center.min_notice_hours)
    days = scheduling.open_days(center, since=since, until=since + dt.timedelta(days=DAYS_SHOWN))
    chosen = _nearest_day(days, day)
    note = None
    if day is not None and chosen is not None and chosen != day:
        note = _(
            "There are no open times on %(day)s. Here are the times for %(shown)s.",
            day=format_day(day, "%A, %B %-d, %Y"),
            shown=format_day(chosen, "%A, %B %-d, %Y"),
        )
    months: dict[dt.date, list[dt.date]] = {}
    for open_day in days:
        months.setdefault(open_day.replace(day=1), []).append(open_day)
    month = chosen.replace(day=1) if chosen else None
    slots = scheduling.open_slots_on(center, chosen, since=since) if chosen else []
    # Booked this close, a time can be neither moved nor cancelled online: said before it is chosen
    changes_close = now + dt.timedelta(hours=center.cancel_cutoff_hours)
    if any(slot.starts_at < changes_close for slot in slots):
        cutoff_note = _(
            "A time before %(moment)s cannot be moved or cancelled online once booked: online changes close "
            "%(hours)s hours before the appointment.",
            moment=describe_moment(changes_close, center),
            hours=center.cancel_cutoff_hours,
        )
    else:
        cutoff_note = None
    return render_template(
        "portal/appointment_times.html",
        application=application,
        center=center,
        days=days,
        months=[(first_of, in_month[0]) for first_of, in_month in months.items()],  # each links to its first day
        month=month,
        month_days=months.get(month, []),
        chosen=chosen,
        times=[(slot, local_time(slot.starts_at, center)) for slot in slots],
        appointment=current,
        message=message,
        note=note,
        cutoff_note=cutoff_note,
        form=LogoutForm(),
    ), status


def _nearest_day(days: list[dt.date], wanted: dt.date | None) -> dt.date | None:
    """`wanted` if it has openings, else the next day that has, else the last (a day after the period)."""
    if not days:
        return None
    if wanted is None:
        return days[0]
    return next((day for day in days if day >= wanted), days[-1])


@bp.get("/applications/<reference>/appointment/<int:center_id>")
@signed_in
def choose_time(reference: str, center_id: int):
    application = _application(reference)
    center = db.session.get(EnrollmentCenter, center_id)
    if center is None:
        raise NotFound(_("We could not find that enrollment center."))
    try:
        day = dt.date.fromisoformat(request.args["day"]) if request.args.get("day") else None
    except ValueError:
        day = None
    return _times_page(application, center, day)


@bp.post("/applications/<reference>/appointment/book")
@signed_in
def book(reference: str):
    application = _application(reference)
    form = LogoutForm()
    slot_id = row_id(request.form.get("slot_id"))
    if not form.validate_on_submit() or slot_id is None:
        raise BusinessRuleViolation(_("Choose a time to book."))
    slot = scheduling.get_slot(slot_id)
    current = scheduling.active_appointment(application)
    try:
        if current is not None:
            scheduling.reschedule(current, slot, by=current_user, now=utcnow())
        else:
            scheduling.book(application, slot, by=current_user, now=utcnow())
    except scheduling.SlotTaken as exc:
        db.session.rollback()
        return _times_page(
            application, slot.center, local_time(slot.starts_at, slot.center).date(), status=409, message=exc.message
        )
    except BusinessRuleViolation as exc:
        db.session.rollback()
        return _times_page(application, slot.center, None, status=409, message=exc.message)
    db.session.commit()
    when, where = scheduling.describe_time(slot), slot.center.name
    if current is not None:
        flash(_("Moved: your appointment is now %(when)s at %(center)s.", when=when, center=where), "success")
    else:
        flash(_("Booked: %(when)s at %(center)s.", when=when, center=where), "success")
    return redirect(url_for("portal.application", reference=reference))


@bp.post("/applications/<reference>/appointment/cancel")
@signed_in
def cancel_appointment(reference: str):
    application = _application(reference)
    form = LogoutForm()
    appointment = scheduling.active_appointment(application)
    if not form.validate_on_submit() or appointment is None:
        raise BusinessRuleViolation(_("There is no appointment to cancel."))
    try:
        scheduling.cancel(appointment, by=current_user, now=utcnow())
    except BusinessRuleViolation as exc:  # inside the cut-off (the page stopped offering it since): say whom to call
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.application", reference=reference))
    db.session.commit()
    flash(_("Your appointment is cancelled. Book a new time when you are ready."), "success")
    return redirect(url_for("portal.application", reference=reference))


@bp.get("/applications/<reference>/appointment.ics")
@signed_in
def appointment_calendar(reference: str):
    application = _application(reference)
    appointment = scheduling.active_appointment(application)
    if appointment is None:
        raise NotFound(_("There is no booked appointment for this application."))
    visit = str(scheduling.VISIT[application.program.code])
    # The name is in the reader's language ("visita de inscripción"): send_file gives an ASCII `filename` for old
    # browsers and the real name as RFC 6266 `filename*=UTF-8''...`, which a bare non-ASCII header is not.
    response = send_file(
        io.BytesIO(appointment_ics(appointment, visit=visit)),
        mimetype="text/calendar",
        as_attachment=True,
        download_name=f"{reference}-{visit.replace(' ', '-')}.ics",
    )
    response.headers["Cache-Control"] = "no-store"  # the traveler's appointment, like their letters and export
    return response


@bp.post("/applications/<reference>/waitlist")
@signed_in
def join_waitlist(reference: str):
    application = _application(reference)
    if not LogoutForm().validate_on_submit():
        raise BusinessRuleViolation(_("Your form expired. Reload the page and try again."))
    ids = [i for i in map(row_id, request.form.getlist("center_ids")) if i]
    centers = [c for c in _centers_for(application.program) if c.id in ids]
    try:
        earliest = dt.date.fromisoformat(request.form.get("earliest") or "")
        latest = dt.date.fromisoformat(request.form.get("latest") or "")
    except ValueError:
        flash(_("Enter the first and last days you could go, as real dates."), "error")
        return redirect(url_for("portal.find_center", reference=reference))
    try:
        waitlist.join(application, centers, earliest=earliest, latest=latest, by=current_user)
    except BusinessRuleViolation as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("portal.find_center", reference=reference))
    db.session.commit()
    flash(_("You are on the waitlist. We will e-mail you if a time opens, and hold it for you for a while."), "success")
    return redirect(url_for("portal.application", reference=reference))


@bp.post("/applications/<reference>/waitlist/<action>")
@signed_in
def waitlist_action(reference: str, action: str):
    application = _application(reference)
    entry = waitlist.entry_for(application)
    if entry is None or action not in ("accept", "leave") or not LogoutForm().validate_on_submit():
        raise BusinessRuleViolation(_("You are not on the waitlist."))
    if action == "leave":
        waitlist.leave(entry, now=utcnow())
        flash(_("You have left the waitlist."), "success")
    else:
        try:
            # the time the page offered: a page from before the offer was withdrawn (or replaced) books nothing
            offered = row_id(request.form.get("slot_id"))
            scheduling.accept_offer(entry, by=current_user, now=utcnow(), slot_id=offered)
        except BusinessRuleViolation as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("portal.application", reference=reference))
        flash(_("The earlier time is yours."), "success")
    db.session.commit()
    return redirect(url_for("portal.application", reference=reference))
