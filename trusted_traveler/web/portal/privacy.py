"""Your data: see everything we hold about you (a readable, printable page) or download it (JSON), delete a draft
application you no longer want, and delete your account while nothing has been sent."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user, logout_user

from trusted_traveler.auth.policy import public, signed_in
from trusted_traveler.casework import service as casework
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.privacy import deletion as deletions
from trusted_traveler.privacy import service as privacy
from trusted_traveler.profiles import service as profiles
from trusted_traveler.web.forms import LogoutForm
from trusted_traveler.web.portal import bp
from trusted_traveler.web.portal.my_data import readable

# The delete button's value: a post without it (a form of another page, a replayed request) deletes nothing.
CONFIRM = "delete-my-account"
ACCOUNT_DELETED = "account_deleted"  # in the session after a deletion: the page that says it is done


def _drafts():
    return privacy.unsent_applications(profiles.profile_for(current_user))


def _privacy_page(status: int = 200, **extra):
    return render_template(
        "portal/privacy.html",
        drafts=_drafts(),
        deletion=deletions.account_deletion(current_user),
        form=LogoutForm(),
        **extra,
    ), status


@bp.get("/privacy")
@signed_in
def privacy_page():
    return _privacy_page()


@bp.get("/privacy/my-data.json")
@signed_in
def export_my_data():
    data = privacy.export_for(current_user)
    db.session.commit()  # the audit record of the export
    body = json.dumps(data, default=str, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-trusted-traveler-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/privacy/my-data")
@signed_in
def read_my_data():
    """The same data as the JSON download, from the same dict, as headings and tables to read or print."""
    data = privacy.export_for(current_user, shown_as="page")
    db.session.commit()  # the audit record of the export
    page = render_template("portal/my_data.html", exported_at=data["exported_at"], sections=readable(data))
    return Response(page, headers={"Cache-Control": "no-store"})


@bp.post("/privacy/drafts/<reference>/delete")
@signed_in
def delete_draft(reference: str):
    form = LogoutForm()  # CSRF only
    application = casework.get_application_for_traveler(reference, current_user)
    if not form.validate_on_submit():
        return _privacy_page(400, problem=gettext("Reload the page and try again."))
    try:
        privacy.delete_draft(application, by=current_user)
    except BusinessRuleViolation as exc:
        db.session.rollback()
        return _privacy_page(409, problem=exc.message)
    db.session.commit()
    flash(gettext("Your draft %(reference)s is deleted.", reference=reference), "success")
    return redirect(url_for("portal.privacy_page"))


@bp.get("/privacy/delete-account")
@signed_in
def delete_account_page():
    """What deleting the account removes, and the button that does it; or why it cannot be deleted."""
    return _confirmation_page(deletions.account_deletion(current_user))


def _confirmation_page(deletion, status: int = 200, **extra):
    return render_template(
        "portal/delete_account.html", deletion=deletion, form=LogoutForm(), confirm=CONFIRM, **extra
    ), status


@bp.post("/privacy/delete-account")
@signed_in
def delete_account():
    form = LogoutForm()  # CSRF only
    if not form.validate_on_submit() or request.form.get("confirm") != CONFIRM:
        problem = gettext("Your account is not deleted. To delete it, press the button on this page.")
        return _confirmation_page(deletions.account_deletion(current_user), 400, problem=problem)
    try:
        deletions.delete_account(current_user)
    except deletions.AccountNotDeleted as exc:
        db.session.rollback()
        return _confirmation_page(exc.deletion, 409)
    db.session.commit()
    language = str(get_locale() or "en")
    logout_user()
    session.clear()  # this browser's session; any other of theirs finds no account (the user loader)
    session["lang"] = language  # the page that says it is done, in the language they were reading
    session[ACCOUNT_DELETED] = True
    return redirect(url_for("portal.account_deleted"))


@bp.get("/privacy/account-deleted")
@public
def account_deleted():
    """Said to the person who deleted their account in this browser (they are signed out); anyone else goes home."""
    if not session.get(ACCOUNT_DELETED) or current_user.is_authenticated:
        return redirect(url_for("public.home"))
    return render_template("portal/account_deleted.html")
