"""The traveler's notifications: newest first, unread marked, "mark all as read", and the unread count in the
header."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from wtforms import HiddenField

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.notifications import service as notifications
from trusted_traveler.web.portal import bp
from trusted_traveler.web.routing import row_id


class MarkAllReadForm(FlaskForm):
    up_to = HiddenField()  # the newest notification on the page: one that arrives meanwhile stays unread


@bp.get("/notifications")
@signed_in
def notifications_page():
    before = row_id(request.args.get("before"))  # an edited link shows the newest
    items = notifications.notifications_for(current_user.id, before_id=before, limit=notifications.PAGE_SIZE + 1)
    older = len(items) > notifications.PAGE_SIZE
    items = items[: notifications.PAGE_SIZE]
    form = MarkAllReadForm(up_to=str(items[0].id) if items and before is None else "")
    return render_template(
        "portal/notifications.html",
        items=items,
        older_before=items[-1].id if older else None,
        newer=before is not None,
        unread=unread_notifications(),
        form=form,
    )


@bp.post("/notifications/read")
@signed_in
def mark_notifications_read():
    form = MarkAllReadForm()
    if form.validate_on_submit():
        up_to = row_id(form.up_to.data)
        notifications.mark_all_read(current_user.id, now=utcnow(), up_to_id=up_to)
        db.session.commit()
    return redirect(url_for("portal.notifications_page"))


def unread_notifications() -> int | None:
    """The signed-in person's unread count, for the header badge and the notifications page; None (no badge) if it
    cannot be read, e.g. on an error page whose transaction has failed, so the error page itself still renders."""
    if not current_user.is_authenticated:
        return None
    if current_user.unread_notifications is not None:  # read with the account by the user loader
        return current_user.unread_notifications
    try:
        return notifications.unread_count(current_user.id)
    except SQLAlchemyError:
        return None


@bp.app_context_processor
def _unread_notifications():
    return {"unread_notifications": unread_notifications}
