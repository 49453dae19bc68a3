"""Supervisors and administrators search the audit log and download it as CSV. Both are themselves audited."""

from __future__ import annotations

import datetime as dt
import re

from flask import Response, render_template, request, stream_with_context, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, ValidationError

from trusted_traveler.audit.export import csv_lines
from trusted_traveler.audit.record import record_audit_export, record_audit_search
from trusted_traveler.audit.search import (
    ACCOUNT_DETAILS,
    AuditFilters,
    Cursor,
    accounts_named,
    iter_events,
    search_events,
)
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.web.admin import bp
from trusted_traveler.web.forms import clean_text, search_args, validate_email_field

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def printable(form, field):
    # a NUL byte would reach PostgreSQL, which refuses it with an error instead of finding nothing
    if field.data and not field.data.isprintable():
        raise ValidationError(f"{field.label.text} has a character that cannot be searched for. Type it again.")


def iso_date(form, field):
    if not field.data:
        return
    if not ISO_DATE.match(field.data):
        raise ValidationError(f"Enter the {field.label.text.lower()} date as year-month-day, like 2026-04-12.")
    try:
        dt.date.fromisoformat(field.data)
    except ValueError as exc:
        raise ValidationError(f"{field.data} is not a real date ({exc}).") from exc


class AuditSearchForm(FlaskForm):
    """Filters read from the query string, so a search is a link that can be bookmarked and shared."""

    class Meta:
        csrf = False  # a GET search changes nothing

    actor = StringField(
        "Who (staff e-mail address)",
        filters=[clean_text],
        validators=[Optional(), Length(max=320), printable, validate_email_field],
    )
    action = StringField(
        "What (action)",
        description="Exactly, like profile.viewed, or the start of it followed by *, like rules.*",
        filters=[clean_text],
        validators=[Optional(), Length(max=60, message="An action is at most 60 characters."), printable],
    )
    object_type = StringField(
        "Object type",
        description="Like application, account, enrollment_center or rule_set_version",
        filters=[clean_text],
        validators=[Optional(), Length(max=40, message="An object type is at most 40 characters."), printable],
    )
    object_id = StringField(
        "Object id",
        description="Like an application reference",
        filters=[clean_text],
        validators=[Optional(), Length(max=40, message="An object id is at most 40 characters."), printable],
    )
    date_from = StringField(
        "From",
        description="A day in UTC, year-month-day, like 2026-04-12",
        filters=[clean_text],
        validators=[Optional(), iso_date],
    )
    date_to = StringField(
        "To",
        description="A day in UTC, year-month-day; events on that day are included",
        filters=[clean_text],
        validators=[Optional(), iso_date],
    )

    without_views = BooleanField("Only what was done: leave out who viewed what (page views and searches of this log)")

    def validate_date_to(self, field):
        # runs after both dates' own checks; only two real dates can be compared
        if field.errors or self.date_from.errors or not (field.data and self.date_from.data):
            return
        if dt.date.fromisoformat(field.data) < dt.date.fromisoformat(self.date_from.data):
            raise ValidationError(
                f"“To” ({field.data}) must be the same day as “From” ({self.date_from.data}) or later."
            )

    def filters(self) -> AuditFilters:
        return AuditFilters(
            actor_email=self.actor.data or None,
            action=self.action.data or None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data or None,
            date_from=dt.date.fromisoformat(self.date_from.data) if self.date_from.data else None,
            date_to=dt.date.fromisoformat(self.date_to.data) if self.date_to.data else None,
            without_views=bool(self.without_views.data),
        )


def _page_link(form: AuditSearchForm):
    """This search's address with a page cursor, as a function of the cursor (the filters as typed, without any
    earlier cursor)."""
    args = search_args(form)
    return lambda **cursor: url_for("admin.audit", **args, **cursor)


@bp.get("/audit")
@require(Permission.SUPERVISE)
def audit():
    form = AuditSearchForm(formdata=request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, page=None, page_link=_page_link(form)), 400
    filters = form.filters()
    after, before = Cursor.decode(request.args.get("after")), Cursor.decode(request.args.get("before"))
    stale_link = bool(request.args.get("after") or request.args.get("before")) and not (after or before)
    page = search_events(filters, after=after, before=None if after else before)
    where = f"after {after.encode()}" if after else f"before {before.encode()}" if before else None
    record_audit_search(filters.as_details(), by=current_user, page=where)
    named = accounts_named(page.rows)
    db.session.commit()  # the rows are plain values, so nothing on the page is reloaded after this
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        page_link=_page_link(form),
        stale_link=stale_link,
        named=named,
        account_details=ACCOUNT_DETAILS,
    )


@bp.get("/audit/export.csv")
@require(Permission.SUPERVISE)
def audit_export():
    form = AuditSearchForm(formdata=request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, page=None, page_link=_page_link(form)), 400
    filters = form.filters()
    record_audit_export(filters.as_details(), by=current_user)
    db.session.commit()  # recorded before the first line leaves, even if the download is cut short
    filename = f"audit-events-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return Response(
        stream_with_context(csv_lines(iter_events(filters))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
