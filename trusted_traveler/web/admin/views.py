"""Administrators grant and revoke staff roles."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from trusted_traveler.auth import service as accounts
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import ROLE_LABELS, Permission, Role
from trusted_traveler.errors import DomainError
from trusted_traveler.extensions import db
from trusted_traveler.web.admin import bp
from trusted_traveler.web.forms import GrantRoleForm, RevokeRoleForm


@bp.route("/roles", methods=["GET", "POST"])
@require(Permission.MANAGE_ROLES)
def roles():
    form = GrantRoleForm()
    status = 200
    if form.validate_on_submit():
        try:
            account = accounts.find_account_by_email(form.email.data)
            accounts.grant_role(account, form.role.data, by=current_user)
        except DomainError as exc:
            form.email.errors = [*form.email.errors, exc.message]
            status = 400
        else:
            db.session.commit()
            flash(f"{account.email} is now {ROLE_LABELS[Role(form.role.data)].lower()}.", "success")
            return redirect(url_for("admin.roles"))
    elif form.errors:
        status = 400
    return render_template(
        "admin/roles.html",
        form=form,
        staff=accounts.list_staff(),
        role_labels=ROLE_LABELS,
        revoke_form=RevokeRoleForm(),
    ), status


@bp.post("/roles/revoke")
@require(Permission.MANAGE_ROLES)
def revoke_role():
    form = RevokeRoleForm()
    if form.validate_on_submit():
        account = accounts.find_account_by_email(form.email.data)
        accounts.revoke_role(account, form.role.data, by=current_user)
        db.session.commit()
        flash(f"Removed the {ROLE_LABELS[Role(form.role.data)].lower()} role from {account.email}.", "success")
    return redirect(url_for("admin.roles"))
