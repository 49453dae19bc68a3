"""Administrators grant and revoke staff roles."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from trusted_traveler.auth import service as accounts
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import ROLE_LABELS, STAFF_ROLES, Permission, Role
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
            already = any(grant.role == form.role.data for grant in account.role_grants)
            accounts.grant_role(account, form.role.data, by=current_user)
        except DomainError as exc:
            form.email.errors = [*form.email.errors, exc.message]
            status = 400
        else:
            db.session.commit()
            label = ROLE_LABELS[Role(form.role.data)].lower()
            if already:
                flash(f"{account.email} is already {label}: nothing changed.", "info")
            else:
                flash(f"{account.email} is now {label}.", "success")
            return redirect(url_for("admin.roles"))
    elif form.errors:
        status = 400
    return _page(form, status)


def _page(form: GrantRoleForm, status: int, problem: str | None = None):
    return render_template(
        "admin/roles.html",
        form=form,
        staff=accounts.list_staff(),
        role_labels=ROLE_LABELS,
        revoke_form=RevokeRoleForm(),
        problem=problem,
    ), status


@bp.post("/roles/revoke")
@require(Permission.MANAGE_ROLES)
def revoke_role():
    form = RevokeRoleForm()
    problem = "Nothing was removed: the form was changed on the way. Use a Remove button below."
    if form.validate_on_submit() and form.role.data in {r.value for r in STAFF_ROLES}:
        try:
            account = accounts.find_account_by_email(form.email.data, role=form.role.data)
            accounts.revoke_role(account, form.role.data, by=current_user)
        except DomainError as exc:
            db.session.rollback()
            problem = f"Nothing was removed: {exc.message}"
        else:
            db.session.commit()
            flash(f"Removed the {ROLE_LABELS[Role(form.role.data)].lower()} role from {account.email}.", "success")
            return redirect(url_for("admin.roles"))
    return _page(GrantRoleForm(formdata=None), 400, problem)
