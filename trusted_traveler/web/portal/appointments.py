"""The traveler books, moves and cancels an appointment (Global Entry interview or PreCheck enrollment visit)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re

import pycountry
from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField
from wtforms.validators import InputRequired

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import service as casework
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day
from trusted_traveler.profiles import service as profiles
from trusted_traveler.scheduling import nearby, waitlist
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.ics import appointment_ics
from trusted_traveler.scheduling.lookups import center_contact
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import local_time
from trusted_traveler.web.forms import LogoutForm, PlainDateField
from trusted_traveler.web.portal import bp
from trusted_traveler.web.routing import row_id


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


class WaitlistForm(FlaskForm):
    """The waitlist: the centers a traveler could get to and the days they could go. Only its shape is checked here;
    waitlist.choice_problems says what is wrong with the choices, beside each field."""

    center_ids = SelectMultipleField(_l("Centers you could get to"), validate_choice=False)
    earliest = PlainDateField(
        _l("First day I could go"), validators=[InputRequired(_l("Enter the first day you could go."))]
    )
    latest = PlainDateField(
        _l("Last day I could go"), validators=[InputRequired(_l("Enter the last day you could go."))]
    )


@functools.cache
def _region_name(country_code: str, code: str) -> str:
    """A center's state or province by name ("Texas", "Ontario"), or its code where it has no other."""
    found = pycountry.subdivisions.get(code=f"{country_code}-{code}")
    return found.name if found is not None else code


@bp.get("/applications/<reference>/appointment")
@signed_in
def find_center(reference: str):
    application = _application(reference)
    current = scheduling.active_appointment(application)
    refused = _cannot_move(application, current, utcnow())
    if refused is not None:
        return refused
    form = WaitlistForm(formdata=None)
    form.earliest.data = service_today()
    return _centers_page(application, current, form)


def _search_zip(application) -> tuple[str, bool]:
    """The ZIP code to search from, and whether it came from the traveler's profile: the one typed (even blank, to
    search without one), else, on a first visit, the current U.S. home address's when we know where it is."""
    if "zip" in request.args:
        return request.args["zip"], False
    home = profiles.home_zip(application.profile)
    if home is not None and nearby.zip_location(home) is not None:
        return home, True
    return "", False


def _centers_page(application, current, form: WaitlistForm, *, status: int = 200):
    """The find-a-center page: the centers offering the program, filtered by state and city and ordered nearest
    first from a ZIP code (the one typed, or the traveler's home address's) or soonest first; and the waitlist form,
    offering every one of those centers (nearest first, or by state), with what `form` holds."""
    now = utcnow()
    state = (request.args.get("state") or "").strip().upper()
    city = (request.args.get("city") or "").strip()
    typed_zip, from_profile = _search_zip(application)
    zip_code = re.sub(r"\D", "", typed_zip)
    errors = {}
    here = None
    if typed_zip and len(zip_code) != 5:
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
        zip=typed_zip,
        zip_from_profile=from_profile and not errors,
        errors=errors,
        by_distance=here is not None,
        appointment=current,
        eoa=eoa,
        form=LogoutForm(),
        waitlist_form=form,
        waitlist_centers=_waitlist_choices(offering, centers if (here or state or city) else [], miles),
        search=_search_args(state, city, typed_zip, from_profile),
        waiting=waitlist.entry_for(application),
        days_ahead=waitlist.days_ahead(),
    ), (400 if errors else status)


def _search_args(state: str, city: str, typed_zip: str, from_profile: bool) -> dict[str, str]:
    """The search as the waitlist form sends it back, so a page shown again with its errors is the page it was: a
    ZIP code typed (or cleared) is kept; one from the profile is taken from it again."""
    args = {name: value for name, value in (("state", state), ("city", city)) if value}
    if not from_profile and "zip" in request.args:
        args["zip"] = typed_zip
    return args


FIRST_SHOWN = 8  # the waitlist form's centers from the search, shown first; the others follow by state


def _waitlist_choices(offering: list[EnrollmentCenter], searched: list[EnrollmentCenter], miles: dict) -> dict:
    """The waitlist form's centers: every center offering the program. The first few the search lists (nearest first
    from a ZIP code, or those of the state or city asked for) come first, with their distance when known; the rest
    (all of them, without a search) follow grouped by state or province, in order of city."""
    first = searched[:FIRST_SHOWN]
    shown = {c.id for c in first}
    by_state: dict[str, list[EnrollmentCenter]] = {}
    for center in sorted(offering, key=lambda c: (c.state, c.city, c.name)):
        if center.id not in shown:
            by_state.setdefault(center.state, []).append(center)
    return {
        "first": [(c, _distance(miles[c.id]) if miles.get(c.id) is not None else None) for c in first],
        "by_state": [(_region_name(c[0].country_code, code), code, c) for code, c in by_state.items()],
    }


def _cannot_move(application, current, now: dt.datetime):
    """Back to the status page, told why, when the application's appointment cannot be moved online now: the
    traveler would otherwise choose a center and a time only to be refused at the end."""
    refusal = scheduling.move_refusal(current, by=current_user, now=now) if current is not None else None
    if refusal is None:
        return None
    flash(refusal, "error")
    return redirect(url_for("portal.application", reference=application.reference))


def _times_page(application, center, day: dt.date | None, *, status=200, message=None):
    """Every local day with openings in the next waitlist.days_ahead() days (as far ahead as a traveler may wait for
    a time), a month at a time, and the chosen day's times.

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
    days = scheduling.open_days(center, since=since, until=since + dt.timedelta(days=waitlist.days_ahead()))
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
    # Booked this close, a time can be neither moved nor cancelled online: said before it is chosen, beside each
    # such time, and in a note that does not change with the minute the page is loaded
    changes_close = _changes_close(center, now)
    if any(slot.starts_at < changes_close for slot in slots):
        cutoff_note = " ".join(
            (
                _(
                    "Times less than %(hours)s hours away can't be changed or cancelled online once you book them. "
                    "They are marked below.",
                    hours=center.cancel_cutoff_hours,
                ),
                _(
                    "To change one later, contact %(center)s at %(contact)s.",
                    center=center.name,
                    contact=center_contact(center),
                ),
            )
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
        times=[(slot, local_time(slot.starts_at, center), slot.starts_at < changes_close) for slot in slots],
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


def _changes_close(center: EnrollmentCenter, now: dt.datetime) -> dt.datetime:
    """A time starting before this can be neither moved nor cancelled online once booked."""
    return now + dt.timedelta(hours=center.cancel_cutoff_hours)


@bp.post("/applications/<reference>/appointment/book")
@signed_in
def book(reference: str):
    """Book (or move to) the time chosen. A time inside the center's cut-off for online changes is booked only once
    the traveler has confirmed it on a page that says it cannot then be changed online, and whom to contact."""
    application = _application(reference)
    form = LogoutForm()
    slot_id = row_id(request.form.get("slot_id"))
    if not form.validate_on_submit() or slot_id is None:
        raise BusinessRuleViolation(_("Choose a time to book."))
    slot = scheduling.get_slot(slot_id)
    current = scheduling.active_appointment(application)
    now = utcnow()
    bookable = slot.starts_at >= now + dt.timedelta(hours=slot.center.min_notice_hours)  # else refused below
    if bookable and slot.starts_at < _changes_close(slot.center, now) and request.form.get("confirm") != "yes":
        return render_template(
            "portal/appointment_confirm.html",
            application=application,
            slot=slot,
            center=slot.center,
            when=scheduling.describe_time(slot),
            contact=center_contact(slot.center),
            appointment=current,
            form=form,
        )
    try:
        if current is not None:
            scheduling.reschedule(current, slot, by=current_user, now=now)
        else:
            scheduling.book(application, slot, by=current_user, now=now)
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


def _cancellable(application):
    """The application's appointment when the traveler may cancel it online now; else a response sending them to
    the status page, told why."""
    appointment = scheduling.active_appointment(application)
    if appointment is None:
        flash(_("There is no appointment to cancel."), "error")
        return None, redirect(url_for("portal.application", reference=application.reference))
    refusal = scheduling.change_refusal(appointment, by=current_user, now=utcnow())
    if refusal is not None:  # inside the cut-off (the page stopped offering it since): say whom to contact
        flash(refusal, "error")
        return None, redirect(url_for("portal.application", reference=application.reference))
    return appointment, None


@bp.get("/applications/<reference>/appointment/cancel")
@signed_in
def confirm_cancel(reference: str):
    """Are you sure? The appointment, and a button that cancels it (a plain page: it works without JavaScript)."""
    application = _application(reference)
    appointment, refused = _cancellable(application)
    if refused is not None:
        return refused
    return render_template(
        "portal/appointment_cancel.html",
        application=application,
        appointment=appointment,
        when=scheduling.describe_time(appointment.slot),
        form=LogoutForm(),
    )


@bp.post("/applications/<reference>/appointment/cancel")
@signed_in
def cancel_appointment(reference: str):
    """Cancel, once confirmed (`confirm=yes`, the confirmation page's button); a request without it (an old page's
    button) is sent to that page."""
    application = _application(reference)
    if not LogoutForm().validate_on_submit():
        raise BusinessRuleViolation(_("Your form expired. Reload the page and try again."))
    appointment, refused = _cancellable(application)
    if refused is not None:
        return refused
    if request.form.get("confirm") != "yes":
        return redirect(url_for("portal.confirm_cancel", reference=reference))
    try:
        scheduling.cancel(appointment, by=current_user, now=utcnow())
    except BusinessRuleViolation as exc:
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
    """Join the waitlist. Anything wrong (no center, a day already over or too far ahead, the last day before the
    first) shows the page again (400) with each message beside its field, a summary above, and everything chosen."""
    application = _application(reference)
    form = WaitlistForm()
    current = scheduling.active_appointment(application)
    form.validate_on_submit()
    if "csrf_token" in form.errors:
        raise BusinessRuleViolation(_("Your form expired. Reload the page and try again."))
    offering = {str(c.id): c for c in _centers_for(application.program)}
    chosen = [offering[i] for i in form.center_ids.data or [] if i in offering]
    gone = [i for i in form.center_ids.data or [] if i not in offering]
    problems = waitlist.choice_problems(
        chosen, earliest=form.earliest.data, latest=form.latest.data, today=service_today()
    )
    if gone:  # a center that stopped offering the program since the page was shown (or a made-up number)
        problems["center_ids"] = _(
            "A center you chose no longer takes appointments for %(program)s. Check your choices.",
            program=application.program.name,
        )
        form.center_ids.data = [i for i in form.center_ids.data if i in offering]
    for field, message in problems.items():
        form[field].errors = [*form[field].errors, message]
    if form.errors:
        return _centers_page(application, current, form, status=400)
    try:
        waitlist.join(application, chosen, earliest=form.earliest.data, latest=form.latest.data, by=current_user)
    except BusinessRuleViolation as exc:
        db.session.rollback()
        if exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
            return _centers_page(application, current, form, status=400)
        flash(exc.message, "error")
        return redirect(url_for("portal.application", reference=reference))
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
