"""Your data: download everything we hold about you (JSON), and delete a draft application you no longer want."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import service as casework
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.privacy import service as privacy
from trusted_traveler.profiles import service as profiles
from trusted_traveler.web.forms import LogoutForm
from trusted_traveler.web.portal import bp


def _drafts():
    return privacy.unsent_applications(profiles.profile_for(current_user))


@bp.get("/privacy")
@signed_in
def privacy_page():
    return render_template("portal/privacy.html", drafts=_drafts(), form=LogoutForm())


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


@bp.post("/privacy/drafts/<reference>/delete")
@signed_in
def delete_draft(reference: str):
    form = LogoutForm()  # CSRF only
    application = casework.get_application_for_traveler(reference, current_user)
    if not form.validate_on_submit():
        return render_template(
            "portal/privacy.html", drafts=_drafts(), form=form, problem="Reload the page and try again."
        ), 400
    try:
        privacy.delete_draft(application, by=current_user)
    except BusinessRuleViolation as exc:
        db.session.rollback()
        return render_template("portal/privacy.html", drafts=_drafts(), form=form, problem=exc.message), 409
    db.session.commit()
    flash(gettext("Your draft %(reference)s is deleted.", reference=reference), "success")
    return redirect(url_for("portal.privacy_page"))
