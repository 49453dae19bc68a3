"""The traveler's portal: dashboard, choosing programs, checking answers, paying and following status."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import NEXT_STEPS, OPEN, RECONSIDERABLE, Status, public_label
from trusted_traveler.casework.stats import typical_times
from trusted_traveler.db import service_date, service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.feedback.service import record_offer, survey_touchpoint_for
from trusted_traveler.memberships.service import memberships_for, open_renewals, pending_renewals
from trusted_traveler.notifications.models import Notification
from trusted_traveler.payments import service as payments
from trusted_traveler.profiles import service as profiles
from trusted_traveler.rules.service import rules_in_effect_since
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling import waitlist
from trusted_traveler.scheduling.lookups import active_appointments, affected_notice, describe_moment, in_conflict
from trusted_traveler.scheduling.models import Slot
from trusted_traveler.web.forms import (
    FILES_HINT,
    AnswerForm,
    ApplyForm,
    AttestForm,
    LogoutForm,
    ReconsiderForm,
    ReusedAnswersAttestForm,
)
from trusted_traveler.web.intake.views import summary_context
from trusted_traveler.web.portal import bp

SCHEDULED_STATUSES = {status.value for status in scheduling.SCHEDULED.values()}


@bp.get("/dashboard")
@signed_in
def dashboard():
    today = service_today()
    profile = profiles.profile_for(current_user)
    applications, memberships = [], []
    if profile is not None:
        applications = list(
            db.session.scalars(
                select(Application)
                .where(
                    Application.profile_id == profile.id,
                    # a draft removed at checkout (or expired) unsent is not an application they made: not listed
                    or_(Application.status != Status.WITHDRAWN.value, Application.submitted_at.is_not(None)),
                )
                .order_by(Application.id.desc())
            )
        )
        memberships = memberships_for(profile.id)
    notifications = db.session.scalars(
        select(Notification).where(Notification.account_id == current_user.id).order_by(Notification.id.desc()).limit(5)
    ).all()
    now = utcnow()
    # an appointment its center changed and can no longer keep is named at the top, as on its status page: the
    # appointments in one statement and their centers' programs (none read when no application has one booked)
    booked = active_appointments([a.id for a in applications if a.status in SCHEDULED_STATUSES])
    affected = {  # with why moving it online is refused, if it is (read from what is loaded: no statement per row)
        application_id: affected_notice(
            appointment,
            appointment.slot.center,
            refusal=scheduling.move_refusal(appointment, by=current_user, now=now),
        )
        for application_id, appointment in booked.items()
        if in_conflict(appointment, now)
    }
    return render_template(
        "portal/dashboard.html",
        profile=profile,
        missing=_unanswered(profile, today),
        applications=applications,
        memberships=memberships,
        pending_renewals=pending_renewals(memberships, today),
        open_renewals=open_renewals(
            memberships, today, busy_program_ids={a.program_id for a in applications if Status(a.status) in OPEN}
        ),
        notifications=notifications,
        affected=affected,
        public_label=public_label,
    )


def _unanswered(profile, today) -> list[str]:
    """The steps still to answer. Answers that are out of date (an expired document, an old travel answer) are not
    among them: the dashboard still offers to apply or renew, and applying asks to update them first."""
    missing = profiles.missing_steps(profile, today)
    return [s for s in missing if s not in profiles.out_of_date_steps(profile, today)] if profile else missing


def _profile_or_intake():
    profile, today = profiles.profile_for(current_user), service_today()
    missing = profiles.missing_steps(profile, today)
    if not missing:
        return profile, None
    if profile is not None and set(missing) <= set(profiles.out_of_date_steps(profile, today)):
        flash(_("Some answers in your profile are out of date. Update them before you apply."), "info")
    else:
        flash(_("Finish your profile first. You only do this once, for every program."), "info")
    return None, redirect(url_for("intake.start"))


# Dated settings the apply page shows beside the rules' answer and the new-enrollment fees.
APPLY_PAGE_SETTINGS = ("fee_renewal", "renewal_window_days")


@bp.route("/apply", methods=["GET", "POST"])
@signed_in
def apply():
    profile, detour = _profile_or_intake()
    if detour:
        return detour
    today = service_today()
    options = casework.program_options(profile, today=today)
    form = ApplyForm()
    if form.validate_on_submit():
        try:
            casework.apply_for(profile, form.programs.data, by=current_user, today=today)
        except BusinessRuleViolation as exc:
            form.programs.errors = [exc.message]
        else:
            db.session.commit()
            return redirect(url_for("portal.checkout"))
    # The page shows renewal fees and when renewal opens too, so its date counts those settings with the rules'.
    since = rules_in_effect_since(today, also=APPLY_PAGE_SETTINGS)
    return render_template("portal/apply.html", form=form, options=options, rules_since=since), (
        400 if form.errors else 200
    )


@bp.route("/checkout", methods=["GET", "POST"])
@signed_in
def checkout():
    profile, detour = _profile_or_intake()
    if detour:
        return detour
    drafts = casework.open_drafts(profile)
    if not drafts:
        return redirect(url_for("portal.apply"))
    today = service_today()
    # A renewal, or an application for the other program, sends the answers an earlier application sent: the page
    # says which, marks those updated since, and asks the traveler to confirm they are still right.
    earlier = profiles.last_sent(profile)
    form = ReusedAnswersAttestForm() if earlier is not None else AttestForm()
    if form.validate_on_submit():
        for application in drafts:
            casework.attest(application, by=current_user, answers_from=earlier)
        # the service's own address (BASE_URL), as the sign-in's redirect: never one made from the request's Host
        return_url = current_app.config["BASE_URL"] + url_for("portal.payment_return")
        try:
            target = payments.begin_checkout(drafts, by=current_user, return_url=return_url)
        except (payments.FeeChanged, casework.NoLongerEligible) as exc:
            # nothing charged or submitted; the new fees and eligibility answers stand, for the checkout to show
            db.session.commit()
            flash(exc.message, "error")
            return redirect(url_for("portal.checkout"))
        except BusinessRuleViolation as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("portal.checkout"))
        db.session.commit()
        if target is None:  # nothing to pay (fee waived): submitted already
            return redirect(url_for("portal.confirmation", refs=",".join(a.reference for a in drafts)))
        return redirect(target)
    total = sum(a.fee for a in drafts)
    # both programs chosen, one including the other (Global Entry includes PreCheck): said plainly, with the saving
    overlaps = [(a, b) for a in drafts for b in drafts if b is not a and b.program in a.program.includes]
    return render_template(
        "portal/checkout.html",
        drafts=drafts,
        overlaps=overlaps,
        # and with an application already under way or a membership held in the other program: said, not blocked
        overlap_notes=casework.overlap_notes(profile, drafts, today=today),
        profile=profile,
        earlier=earlier,
        updated=profiles.steps_saved_since(profile, service_date(earlier.submitted_at)) if earlier else {},
        form=form,
        total=total,
        remove_form=LogoutForm(),
        **summary_context(profile, today),
    ), (400 if form.errors else 200)


@bp.post("/checkout/<reference>/remove")
@signed_in
def remove_from_checkout(reference: str):
    application = casework.get_application_for_traveler(reference, current_user)
    if application.status == Status.DRAFT:
        casework.withdraw(application, by=current_user)
        db.session.commit()
        flash(_("Removed %(program)s from this checkout.", program=application.program.name), "success")
    return redirect(url_for("portal.checkout"))


@bp.get("/checkout/return")
@signed_in
def payment_return():
    try:
        payment = payments.finish_checkout(request.args.get("token", ""), by=current_user)
    except BusinessRuleViolation as exc:
        db.session.commit()  # keep the record of the declined attempt; the drafts are untouched
        flash(exc.message, "error")
        return redirect(url_for("portal.checkout"))
    db.session.commit()
    if payment.status == "refunded":  # the checkout changed while they were paying: refunded, nothing submitted
        explanation = payments.explain_refund(payment)
        flash(str(explanation.message), "warning")
        return redirect(url_for("portal.checkout" if explanation.drafts_remain else "portal.dashboard"))
    refs = ",".join(item.application.reference for item in payment.items)
    return redirect(url_for("portal.confirmation", refs=refs))


@bp.get("/submitted")
@signed_in
def confirmation():
    refs = [r for r in request.args.get("refs", "").split(",") if r][:4]
    applications = [casework.get_application_for_traveler(r, current_user) for r in refs]
    if not applications:
        return redirect(url_for("portal.dashboard"))
    # the page invites to the survey after a submission: one invitation (one person answers once), the first
    # application's, though each application counts as offered
    tokens = record_offer(applications, "submission")
    page = render_template(
        "portal/confirmation.html",
        applications=applications,
        public_label=public_label,
        next_steps=NEXT_STEPS,
        receipts=payments.receipts_for(applications),
        survey_invitation=next((tokens[a.id] for a in applications if a.id in tokens), None),
    )
    db.session.commit()
    return page


@bp.get("/applications/<reference>")
@signed_in
def application(reference: str):
    application = casework.get_application_for_traveler(reference, current_user)
    if application.status == Status.DRAFT:
        return redirect(url_for("portal.checkout"))
    if application.status == Status.WITHDRAWN and application.submitted_at is None:
        # removed at checkout or expired before it was paid for: never sent, so there is nothing to follow
        flash(
            _(
                "%(reference)s was never sent: it was removed, or it expired, before it was paid for.",
                reference=application.reference,
            ),
            "info",
        )
        return redirect(url_for("portal.dashboard"))
    page = application_page(application)
    db.session.commit()  # the survey offer the page may record
    return page


LETTER_TITLES = {
    "denial": _l("Decision letter"),
    "revocation": _l("Revocation letter"),
    "preliminary_ineligible": _l("Preliminary determination of ineligibility"),
}


def application_page(application, status: int = 200, **extra):
    """The traveler's page for one application; `extra` carries a form shown again with its errors. The page of
    the application holding a membership, or of the renewal of it, says when a pending renewal keeps it in use."""
    memberships = memberships_for(application.profile_id)
    membership = next((m for m in memberships if m.application_id == application.id), None)
    renewed = next((m for m in memberships if m.application_id == application.renewal_of_id), None)
    shown = membership or renewed
    renewal_pending = pending_renewals([shown], service_today()).get(shown.id) if shown is not None else None
    appointment = scheduling.active_appointment(application)
    now = utcnow()
    # an appointment its center changed and can no longer keep: what the traveler was told, above the way to move it
    move_refusal = scheduling.move_refusal(appointment, by=current_user, now=now) if appointment else None
    in_doubt = appointment is not None and in_conflict(appointment, now)
    affected = affected_notice(appointment, appointment.slot.center, refusal=move_refusal) if in_doubt else None
    waiting = waitlist.entry_for(application)
    offered = db.session.get(Slot, waiting.offered_slot_id) if waiting and waiting.offered_slot_id else None
    # only a case waiting on the traveler shows the officer's question (answering, or deciding, moves it on)
    open_request = decisions.open_info_request(application) if application.status == Status.INFO_REQUESTED else None
    survey_touchpoint = survey_touchpoint_for(application)
    survey_invitation = None
    if survey_touchpoint:  # the page invites to the survey (A-11 counts the people offered it) until it is answered
        survey_invitation = record_offer([application], survey_touchpoint).get(application.id)
    return render_template(
        "portal/application.html",
        application=application,
        membership=membership,
        renewed=renewed,
        renewal_pending=renewal_pending,
        appointment=appointment,
        appointment_time=scheduling.describe_time(appointment.slot) if appointment else None,
        affected=affected,
        # inside the center's cut-off the page offers no links that would be refused, and says whom to contact
        change_refusal=scheduling.change_refusal(appointment, by=current_user, now=now) if appointment else None,
        move_refusal=move_refusal,
        can_book=application.status == scheduling.BOOKABLE[application.program.code],
        waiting=waiting,
        offered_time=scheduling.describe_time(offered) if offered else None,
        held_until=describe_moment(waiting.offer_expires_at, offered.center) if offered else None,
        timeline=casework.public_timeline(application),
        typical=typical_times(application.program_id),
        survey_touchpoint=survey_touchpoint,
        survey_invitation=survey_invitation,
        public_label=public_label,
        next_steps=NEXT_STEPS,
        open_request=open_request,
        can_reconsider=application.status in RECONSIDERABLE,
        sent=decisions.sent_by_traveler(application),  # answers and requests, with the files sent with each
        # the application a revocation decided here stands against: asking to reconsider it closes that one
        # (a revocation decided here revoked the membership this application holds: no look-up on other pages)
        closes_on_reconsidering=(
            decisions.blocked_by_revocation(application)
            if application.status in RECONSIDERABLE and membership is not None and membership.status == "revoked"
            else None
        ),
        answer_form=extra.get("answer_form") or AnswerForm(formdata=None),
        reconsider_form=extra.get("reconsider_form") or ReconsiderForm(formdata=None),
        problem=extra.get("problem"),
        file_errors=extra.get("file_errors", {}),  # form name: what to say beside its files' field
        files_hint=FILES_HINT,
        letter_titles=LETTER_TITLES,
        receipts=payments.receipts_for([application]),
        today=service_today(),
    ), status
