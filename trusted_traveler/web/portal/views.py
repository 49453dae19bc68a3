"""The traveler's portal: dashboard, profile, applying, paying and following status."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import NEXT_STEPS, Status, public_label
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for
from trusted_traveler.payments import service as payments
from trusted_traveler.profiles import service as profiles
from trusted_traveler.programs.service import get_program, list_programs
from trusted_traveler.web.forms import AttestForm, ChooseProgramForm, MinimalProfileForm
from trusted_traveler.web.portal import bp


@bp.get("/dashboard")
@signed_in
def dashboard():
    profile = profiles.profile_for(current_user)
    applications = []
    memberships = []
    if profile is not None:
        applications = list(
            db.session.scalars(
                select(Application).where(Application.profile_id == profile.id).order_by(Application.id.desc())
            )
        )
        memberships = memberships_for(profile.id)
    return render_template(
        "portal/dashboard.html",
        profile=profile,
        profile_complete=profiles.identity_complete(profile),
        applications=applications,
        memberships=memberships,
        public_label=public_label,
    )


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    record = profiles.profile_for(current_user)
    form = MinimalProfileForm(obj=record)
    if request.method == "GET" and record is not None and record.citizenships:
        form.citizenship.data = record.citizenships[0].country_code
    if form.validate_on_submit():
        record = profiles.get_or_create_profile(current_user)
        profiles.update_identity(
            record,
            by=current_user,
            given_names=form.given_names.data,
            surname=form.surname.data,
            date_of_birth=form.date_of_birth.data,
            citizenships=[form.citizenship.data],
        )
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("portal.apply"))
    return render_template("portal/profile.html", form=form), (400 if form.errors else 200)


@bp.route("/apply", methods=["GET", "POST"])
@signed_in
def apply():
    profile = profiles.profile_for(current_user)
    if not profiles.identity_complete(profile):
        flash("Tell us who you are first. You only need to do this once.", "info")
        return redirect(url_for("portal.profile"))
    form = ChooseProgramForm()
    if form.validate_on_submit():
        program = get_program(form.program.data)
        application = casework.start_application(profile, program, by=current_user, today=dt.date.today())
        db.session.commit()
        return redirect(url_for("portal.review", reference=application.reference))
    return render_template("portal/apply.html", form=form, programs=list_programs()), (400 if form.errors else 200)


@bp.route("/applications/<reference>/review", methods=["GET", "POST"])
@signed_in
def review(reference: str):
    application = casework.get_application_for_traveler(reference, current_user)
    if application.status != Status.DRAFT:
        return redirect(url_for("portal.application", reference=reference))
    form = AttestForm()
    if form.validate_on_submit():
        casework.attest(application, by=current_user)
        return_url = url_for("portal.payment_return", reference=reference, _external=True)
        target = payments.begin_payment(application, by=current_user, return_url=return_url)
        db.session.commit()
        return redirect(target)
    return render_template("portal/review.html", application=application, profile=application.profile, form=form), (
        400 if form.errors else 200
    )


@bp.get("/applications/<reference>/payment/return")
@signed_in
def payment_return(reference: str):
    application = casework.get_application_for_traveler(reference, current_user)
    token = request.args.get("token", "")
    try:
        payments.finish_payment(application, by=current_user, token=token)
    except BusinessRuleViolation as exc:
        db.session.commit()  # keep the record of the declined attempt; the draft is untouched
        flash(exc.message, "error")
        return redirect(url_for("portal.review", reference=reference))
    db.session.commit()
    return redirect(url_for("portal.confirmation", reference=reference))


@bp.get("/applications/<reference>/submitted")
@signed_in
def confirmation(reference: str):
    application = casework.get_application_for_traveler(reference, current_user)
    return render_template(
        "portal/confirmation.html", application=application, public_label=public_label, next_steps=NEXT_STEPS
    )


@bp.get("/applications/<reference>")
@signed_in
def application(reference: str):
    application = casework.get_application_for_traveler(reference, current_user)
    membership = next((m for m in memberships_for(application.profile_id) if m.application_id == application.id), None)
    return render_template(
        "portal/application.html",
        application=application,
        membership=membership,
        timeline=casework.public_timeline(application),
        public_label=public_label,
        next_steps=NEXT_STEPS,
    )
