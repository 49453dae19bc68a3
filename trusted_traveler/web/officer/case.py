"""The case page and the officer's actions on a case. Viewing is audited (casework.get_case_for_officer); every
action goes through casework.decisions, which records the decision. Only the actions this officer may take in the
case's present state are offered (decisions.available_actions) — and the services check again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth import sessions
from trusted_traveler.auth.models import Account
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework import assignment, changes, decisions, history
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.queues import officers_for_assignment
from trusted_traveler.casework.reasons import BY_CODE
from trusted_traveler.casework.states import Status, public_label, staff_label
from trusted_traveler.casework.transitions import (
    own_application_message,
    revoked_standing,
    revoked_standing_message,
)
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, Conflict, InvalidTransition, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for, pending_renewals
from trusted_traveler.profiles.service import address_gaps, employment_gaps, profile_record
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.web.documents import document_of, document_response
from trusted_traveler.web.forms import ActionForm, choices
from trusted_traveler.web.letters import letter_response
from trusted_traveler.web.officer import bp
from trusted_traveler.web.officer.forms import (
    DecisionForm,
    ExtendRequestForm,
    InterviewForm,
    ReassignForm,
    RequestInfoForm,
    WithdrawRequestForm,
)
from trusted_traveler.web.routing import row_id

FORMS = {
    "action_form": ActionForm,
    "info_form": RequestInfoForm,
    "extend_form": ExtendRequestForm,
    "withdraw_form": WithdrawRequestForm,
    "interview_form": InterviewForm,
    "deny_form": DecisionForm,
    "revoke_form": DecisionForm,
    "pdi_form": DecisionForm,
    "reassign_form": ReassignForm,
}
LETTER_KIND = {"deny_form": "denial", "revoke_form": "revocation", "pdi_form": "preliminary_ineligible"}


@bp.errorhandler(Conflict)
def _case_changed(err: Conflict):
    """Two officers acted at once: the second sees the case as it is now, with the reason."""
    db.session.rollback()
    flash(err.message, "error")
    return redirect(url_for("officer.case", reference=request.view_args["reference"]))


# The decisions that take only a note (the approval and NOTED), each its own panel: the note's label there.
NOTE_ONLY = ("conditionally_approve", "clear_to_enroll", "approve", "reopen")
NOTE_LABELS = {
    "note_only": "Note for the case history (optional)",
    "letter": "Explanation for the applicant (appears in the letter; optional)",
}


def _forms(application, sent_action: str | None = None, **given) -> dict:
    """Every form of the case page, those given (sent and refused) as they came. Each decision's panel has its own
    form, its fields with ids of their own (one page, several notes), so its errors, its summary and its note's
    live count are its own (templates/_macros/forms.html)."""
    forms = {}
    for name, form_class in FORMS.items():
        form = given.get(name) or form_class(formdata=None, version=application.version)
        if isinstance(form, DecisionForm):
            form.for_case(application, LETTER_KIND[name])
            key = ACTION_OF_FORM[name]
            form.note.id = f"{key}-note"
            form.note.label.text = NOTE_LABELS["letter"]
            form.reason_codes.id = f"{key}-reasons"
        forms[name] = form
    # the decisions with a note only: the form sent for one (action_form) in its panel, a fresh one in the others
    note_forms = {}
    for key in NOTE_ONLY:
        sent = "action_form" in given and sent_action == key
        form = given["action_form"] if sent else ActionForm(formdata=None, version=application.version)
        form.note.id = f"note-{key}"
        form.note.label.text = NOTE_LABELS["note_only"]
        note_forms[key] = form
    forms["note_forms"] = note_forms
    forms["reassign_form"].officer_id.choices = choices(
        [("", "Choose an officer"), *[(str(o.id), o.label) for o in officers_for_assignment()]]
    )
    forms["info_form"].due_on.data = forms["info_form"].due_on.data or service_today() + dt.timedelta(days=30)
    return forms


def _render(
    application,
    status: int = 200,
    problem: str | None = None,
    reauth_url: str | None = None,
    sent_action: str | None = None,
    unsent: list[tuple[str, str]] | None = None,
    **forms,
):
    """The case page. `sent_action`: the decision whose note to show again (by default, the one just posted);
    `unsent`: what the officer typed for an action no longer offered, (label, value), shown for them to copy (by
    default, what is in a form given for an action the page does not offer now)."""
    profile = application.profile
    appointment = scheduling.active_appointment(application)
    today = service_today()
    memberships = memberships_for(application.profile_id)
    own = application.is_applicant(current_user)
    revoked = revoked_standing(application) if application.is_open else None
    actions = decisions.available_actions(application, current_user, today, revoked=revoked)
    sent_action = sent_action or (request.view_args or {}).get("action")
    if unsent is None:  # a form sent for an action the page no longer offers: what was typed in it, to copy
        unsent = [
            typed
            for name, form in forms.items()
            if (ACTION_OF_FORM.get(name) or sent_action) not in (None, *actions)
            for typed in _typed(form)
            if name != "action_form" or sent_action in DECIDED_TO
        ]
    context = {
        "application": application,
        "profile": profile,
        "actions": actions,
        # why nothing can be decided yet, and until when (the same rule the decisions check)
        "waiting": decisions.waiting_on_applicant(application, today),
        "release_refused": assignment.release_refusal(application),
        "unsent": unsent or [],
        "staff_label": staff_label,
        "reason_label": history.reason_label,
        "history": history.case_history(application),
        "vetting_runs": history.vetting_runs(application),
        "own_application": own_application_message() if own else None,
        "revoked_standing": revoked_standing_message(revoked) if revoked is not None else None,
        "public_label": public_label,
        "memberships": memberships,
        "pending_renewals": pending_renewals(memberships, today),
        "membership_moved_to": decisions.membership_moved_to(application),
        "moved_message": decisions.moved_message,
        "appointment": appointment,
        "appointment_time": scheduling.describe_time(appointment.slot) if appointment else None,
        # booked at a time its center's changed hours no longer fit (the admin page lists it): tagged beside it
        "appointment_affected": appointment is not None and scheduling.in_conflict(appointment, utcnow()),
        "address_gaps": address_gaps(profile, today),
        "employment_gaps": employment_gaps(profile, today),
        "open_request": decisions.open_info_request(application),
        "withdrawals": decisions.withdrawals(application),
        # The profile is live and shared: what the applicant changed since submitting, and the sensitive items as
        # submitted beside their values now (casework.changes).
        "since_submission": changes.since_submission(application, lambda: profile_record(profile, today)),
        "today": today,
        "problem": problem,
        "reauth_url": reauth_url,
        "sent_action": sent_action,
        **_forms(application, sent_action, **forms),
    }
    return render_template("officer/case.html", **context), status


@bp.get("/cases/<reference>")
@require(Permission.WORK_CASES)
def case(reference: str):
    application = casework.get_case_for_officer(reference, current_user)
    pending = sessions.take_pending_action(reference)
    if pending:  # back from signing in again: what the officer typed, to check and send
        form_name, formdata, action = pending
        form = FORMS[form_name](formdata=formdata)
        # its panel open: the decision it was for, or the form's own action
        sent_action = action or ACTION_OF_FORM.get(form_name)
        page = _render(application, problem=RESTORED, sent_action=sent_action, **{form_name: form})
    else:
        page = _render(application)
    db.session.commit()  # the audit record of this view
    return page


REAUTHENTICATE = (
    "For your security, a decision needs a sign-in from the last 15 minutes. Nothing was done yet, and what you "
    "typed is kept: sign in again and this case opens with it filled in, ready to send."
)
RESTORED = "You signed in again. Check what you typed below, then send it."


def _shown_again(reference: str, status: int, **render_args) -> tuple:
    """The full case page again after an action was not taken. It shows the applicant's personal data as opening
    the page does, so the view is recorded the same way (casework.get_case_for_officer) and committed: nothing else
    of the request is."""
    application = casework.get_case_for_officer(reference, current_user)
    page = _render(application, status, **render_args)
    db.session.commit()  # the audit record of this view
    return page


# The case page's action each form sends (action_form's: the decision in the address).
ACTION_OF_FORM = {
    "info_form": "request_info",
    "extend_form": "extend_request",
    "withdraw_form": "withdraw_request",
    "interview_form": "record_interview",
    "deny_form": "deny",
    "pdi_form": "preliminary_ineligible",
    "revoke_form": "revoke",
}


def _typed(form) -> list[tuple[str, str]]:
    """What the officer typed or chose in `form`, as (label, value), to show for copying when the action it was for
    is no longer offered."""
    typed = []
    for field in form:
        if field.name in ("csrf_token", "version") or not field.data:
            continue
        if field.name == "reason_codes":
            value = "; ".join(BY_CODE[c].label if c in BY_CODE else c for c in field.data)
        elif field.type == "BooleanField":
            value = "ticked"
        else:
            value = str(field.data)
        typed.append((str(field.label.text), value))
    return typed


def _changed_meanwhile(reference: str, form_name: str, form, aim: frozenset[str]) -> Response | tuple:
    """The case changed after the officer's page was made (another officer acted, or this one pressed twice). The
    same act already done by this officer: the case page, saying so. Anything else: the case page as it is now (409),
    naming the change, with what they typed still in its form where that action is still offered (sent with the
    current version: they have now seen the case), and otherwise shown for them to copy."""
    db.session.rollback()
    application = casework.get_case_for_officer(reference, current_user, viewing=False)
    change = history.latest_change(application)
    if change is not None and change.actor is not None and change.actor.id == current_user.id and change.key in aim:
        flash(f"{change.already(current_user)} Nothing else was done.", "info")
        return redirect(url_for("officer.case", reference=reference))
    what = change.sentence(current_user) if change is not None else "Its details were updated."
    form.version.data = str(application.version)
    key = ACTION_OF_FORM.get(form_name) or (request.view_args or {}).get("action")
    still_offered = key in decisions.available_actions(application, current_user, service_today())
    problem = f"This case changed while you were looking at it. {what} Nothing you sent was done. " + (
        "What you typed is still in the form below: check the case, then send it again."
        if still_offered and _typed(form)
        else "Check the case as it is now before you act."
    )
    return _shown_again(reference, 409, problem=problem, sent_action=key, **{form_name: form})


def _act(reference: str, form_name: str, action: Callable, aim: frozenset[str] = frozenset()) -> Response | tuple:
    """A case action: check the form and the version the officer saw, act, commit once, and say what happened.
    A form or rule problem shows the case again with the message and everything the officer typed; so does a case
    that changed meanwhile (`_changed_meanwhile`; `aim`: what this action amounts to, history.Change.key, to tell a
    second press of the same button from another officer's act)."""
    application = casework.get_case_for_officer(reference, current_user, viewing=False)
    form = FORMS[form_name]()
    if isinstance(form, DecisionForm):
        form.for_case(application, LETTER_KIND[form_name])
    if form_name == "reassign_form":
        form.officer_id.choices = choices([(str(o.id), o.label) for o in officers_for_assignment()])
    valid = form.validate_on_submit()
    if not valid and not form.version.errors:
        return _shown_again(reference, 400, **{form_name: form})
    if form.version.errors or str(application.version) != (form.version.data or ""):
        return _changed_meanwhile(reference, form_name, form, aim)
    if not sessions.signed_in_recently():
        sessions.keep_pending_action(reference, form_name, request.form, action=request.view_args.get("action"))
        reauth_url = url_for("auth.sign_in", next=url_for("officer.case", reference=reference))
        return _shown_again(reference, 401, problem=REAUTHENTICATE, reauth_url=reauth_url, **{form_name: form})
    try:
        message = action(application, form)
        db.session.commit()
    except StaleDataError:  # another request changed the case between our reading it and writing it
        return _changed_meanwhile(reference, form_name, form, aim)
    except (BusinessRuleViolation, InvalidTransition, PermissionDenied) as exc:  # refused: the case again, with why
        db.session.rollback()  # and what was typed
        status = 403 if isinstance(exc, PermissionDenied) else 400
        if exc.field in form:  # about one field: said beside it, as the form's own checks are
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
            return _shown_again(reference, status, **{form_name: form})
        return _shown_again(reference, status, problem=exc.message, **{form_name: form})
    flash(message, "success")
    return redirect(url_for("officer.case", reference=reference))


def _label(application) -> str:
    return public_label(application.program.code, application.status)


@bp.post("/cases/<reference>/claim")
@require(Permission.WORK_CASES)
def claim(reference: str):
    def act(application, form):
        assignment.assign(application, current_user, by=current_user)
        return "The case is assigned to you."

    return _act(reference, "action_form", act, aim=frozenset({"claimed"}))


@bp.post("/cases/<reference>/release")
@require(Permission.WORK_CASES)
def release(reference: str):
    def act(application, form):
        assignment.release(application, by=current_user)
        return "The case is back in the unassigned queue."

    return _act(reference, "action_form", act, aim=frozenset({"released"}))


@bp.post("/cases/<reference>/reassign")
@require(Permission.WORK_CASES, Permission.SUPERVISE)  # a supervisor; an administrator does not work cases
def reassign(reference: str):
    def act(application, form):
        ident = row_id(form.officer_id.data)
        officer = (db.session.get(Account, ident) if ident else None) or abort(404)
        assignment.assign(application, officer, by=current_user)
        return f"The case is assigned to {officer.label}."

    return _act(reference, "reassign_form", act, aim=frozenset({"assigned"}))


@bp.post("/cases/<reference>/request-info")
@require(Permission.DECIDE_CASES)
def request_info(reference: str):
    def act(application, form):
        decisions.request_info(
            application, by=current_user, message=form.message.data, due_on=form.due_on.data, today=service_today()
        )
        return f"Request sent. The answer is due by {form.due_on.data:%B %-d, %Y}."

    return _act(reference, "info_form", act, aim=frozenset({Status.INFO_REQUESTED.value}))


@bp.post("/cases/<reference>/request-info/extend")
@require(Permission.DECIDE_CASES)
def extend_request(reference: str):
    """More time to answer the open request for information."""

    def act(application, form):
        decisions.extend_info_request(application, by=current_user, due_on=form.due_on.data, today=service_today())
        return f"The applicant now has until {form.due_on.data:%B %-d, %Y} to answer. They were told."

    return _act(reference, "extend_form", act, aim=frozenset({decisions.INFO_DUE_EXTENDED}))


@bp.post("/cases/<reference>/request-info/withdraw")
@require(Permission.DECIDE_CASES)
def withdraw_request(reference: str):
    """The open request for information withdrawn: the case is back in officer review."""

    def act(application, form):
        decisions.withdraw_info_request(application, by=current_user, reason=form.reason.data)
        return f"Request withdrawn: the applicant was told they need not answer it. Status: {_label(application)}."

    return _act(reference, "withdraw_form", act, aim=frozenset({decisions.INFO_WITHDRAWN}))


@bp.post("/cases/<reference>/interview")
@require(Permission.DECIDE_CASES)
def record_interview(reference: str):
    """The interview or enrollment visit; for a conditionally approved Global Entry applicant with no appointment,
    Enrollment on Arrival."""

    def act(application, form):
        checks = {
            "documents_verified": form.documents_verified.data,
            "biometrics_captured": form.biometrics_captured.data,
            "note": form.note.data,
        }
        if application.status == Status.CONDITIONALLY_APPROVED:
            scheduling.complete_on_arrival(application, by=current_user, **checks)
            return "Interview completed on arrival. Decide the application now."
        decisions.record_interview(application, by=current_user, **checks)
        return f"Interview recorded. Status: {_label(application)}."

    return _act(
        reference,
        "interview_form",
        act,
        aim=frozenset({Status.INTERVIEW_COMPLETED.value, Status.BIOMETRICS_CAPTURED.value}),
    )


def _approve(application, form) -> str:
    membership = decisions.approve(application, by=current_user, today=service_today(), note=form.note.data or None)
    return f"Application approved. Known Traveler Number {membership.ktn} issued."


# Decisions that take an optional note: action -> (service, what to tell the officer).
NOTED = {
    "conditionally_approve": (
        decisions.conditionally_approve,
        "Conditionally approved. The applicant can now book an interview.",
    ),
    "clear_to_enroll": (decisions.clear_to_enroll, "Cleared. The applicant can now visit an enrollment center."),
    "reopen": (decisions.reopen_for_review, "Reconsideration opened. The case is in officer review."),
}
# Decisions with reasons that become a letter: action -> (form, service, what to tell the officer).
REASONED = {
    "deny": (
        "deny_form",
        decisions.deny,
        "Application denied. The applicant can read the letter and ask for reconsideration.",
    ),
    "preliminary_ineligible": (
        "pdi_form",
        decisions.preliminary_ineligible,
        "Preliminary determination sent. The applicant has 60 days to respond.",
    ),
    "revoke": ("revoke_form", decisions.revoke, "Membership revoked. The Known Traveler Number no longer works."),
}


# What each decision moves the case to (history.Change.key): the same decision pressed twice is told apart from
# another officer's.
DECIDED_TO = {
    "approve": Status.APPROVED,
    "conditionally_approve": Status.CONDITIONALLY_APPROVED,
    "clear_to_enroll": Status.SUBMITTED,
    "reopen": Status.OFFICER_REVIEW,
    "deny": Status.DENIED,
    "preliminary_ineligible": Status.PRELIMINARY_INELIGIBLE,
    "revoke": Status.REVOKED,
}


@bp.post("/cases/<reference>/decide/<action>")
@require(Permission.DECIDE_CASES)
def decide(reference: str, action: str):
    """Approve, or one of the NOTED and REASONED decisions (the case page offers only those allowed now)."""
    aim = frozenset({DECIDED_TO[action].value}) if action in DECIDED_TO else frozenset()
    if action == "approve":
        return _act(reference, "action_form", _approve, aim)
    if action in NOTED:
        service, message = NOTED[action]

        def noted(application, form):
            service(application, by=current_user, note=form.note.data or None)
            return message

        return _act(reference, "action_form", noted, aim)
    if action in REASONED:
        form_name, service, message = REASONED[action]

        def reasoned(application, form):
            service(application, by=current_user, reason_codes=form.reason_codes.data, note=form.note.data or None)
            return message

        return _act(reference, form_name, reasoned, aim)
    abort(404)


@bp.get("/cases/<reference>/documents/<int:document_id>")
@require(Permission.WORK_CASES)
def document(reference: str, document_id: int):
    application = casework.get_case_for_officer(reference, current_user, viewing=False)
    found = document_of(application, document_id)
    record_event("document.viewed", "application", application.reference, by=current_user, document=found.id)
    db.session.commit()
    return document_response(found)


@bp.get("/cases/<reference>/letters/<int:letter_id>.pdf")
@require(Permission.WORK_CASES)
def letter_pdf(reference: str, letter_id: int):
    application = casework.get_case_for_officer(reference, current_user)
    letter = next((x for x in application.letters if x.id == letter_id), None) or abort(404)
    db.session.commit()
    return letter_response(letter)
