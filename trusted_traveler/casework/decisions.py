"""Vetting and the officer's decisions on a case, and the traveler's answers to them. Every status change goes
through `transition`; services flush, the request commits once."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework.documents import check_files
from trusted_traveler.casework.models import (
    Application,
    CaseDocument,
    DecisionLetter,
    InfoRequest,
    StatusEvent,
    VettingResult,
)
from trusted_traveler.casework.reasons import BY_CODE, Reason, reasons_for
from trusted_traveler.casework.states import (
    AUTOMATIC,
    AWAITING_APPLICANT,
    OPEN,
    RECONSIDERABLE,
    Status,
    allowed_moves,
)
from trusted_traveler.casework.transitions import (
    RESPONSE_DAYS,
    _interview_recorded,
    check_officer_act,
    record_step,
    response_deadline,
    revoked_standing,
    transition,
    waiting_on_applicant,
)
from trusted_traveler.db import service_today, service_zone, utcnow
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day, later
from trusted_traveler.locking import locked
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import (
    extend_membership,
    issue_membership,
    latest_membership,
    renewed_membership,
    unrevoked_memberships,
)
from trusted_traveler.notifications.service import notify_about
from trusted_traveler.scheduling.lookups import SCHEDULED, VISIT, active_appointment, describe_time
from trusted_traveler.scheduling.models import Appointment
from trusted_traveler.scheduling.waitlist import cancel_booked, free_booked_seat
from trusted_traveler.vetting.sandbox import VettingUnavailable, get_provider

S = Status
CLEARED_TO_ENROLL = "cleared_to_enroll"
MEMBERSHIP_REVOKED = "membership_revoked"  # the reason a case goes to an officer because a revocation stands
# the reason an application a revocation stands against is closed: its traveler asked to reconsider the revocation
REVOCATION_RECONSIDERED = "revocation_reconsidered"
# the traveler's own steps that carry what they wrote (the status event's note): responding to a preliminary
# determination, and asking to reconsider a decision
DETERMINATION_ANSWERED = "determination_answered"
RECONSIDERATION = "reconsideration"
# the reason of the system's approval when the check after the enrollment visit found hits, all of them ones an officer
# had already reviewed and cleared to enroll (PreCheck): never told as "all clear"
VETTING_REVIEWED_HITS_ONLY = "vetting_reviewed_hits_only"
# what ran a vetting check (VettingResult.trigger): the application sent, the enrollment visit's fingerprints
# (PreCheck), or the worker asking again after the agency did not answer (retry_vetting)
VETTING_TRIGGERS = ("submission", "enrollment_visit", "retry")


# --- Vetting ------------------------------------------------------------------------------------------------


def _check_with_provider(application: Application) -> list[VettingResult]:
    """Ask the provider and store one result a source, all with one time: one run, which the case page shows as such
    (the caller says what ran it: VettingResult.trigger)."""
    profile = application.profile
    provider = get_provider()
    findings = provider.check(
        surname=profile.surname or "",
        given_names=profile.given_names or "",
        date_of_birth=profile.date_of_birth,
        document_numbers=tuple(d.number for d in profile.documents),
    )
    now = utcnow()
    results = [
        VettingResult(
            application=application,
            source=f.source,
            outcome=f.outcome,
            detail=f.detail,
            provider=provider.name,
            checked_at=now,
        )
        for f in findings
    ]
    db.session.add_all(results)
    return results


def _hits_cleared_before(application: Application) -> set[tuple[str, str | None]]:
    """Hits an officer already reviewed and cleared on this application (PreCheck: cleared to enroll)."""
    if not any(e.reason_code == CLEARED_TO_ENROLL for e in application.events):
        return set()
    return {(r.source, r.detail) for r in application.vetting_results if r.outcome == "hit"}


def _worse_since_submission_unreviewed(application: Application) -> bool:
    """Whether the applicant changed an answer after submitting so that the rules now judge them worse
    (casework.changes), and no officer has cleared the case to enroll since."""
    since = application.eligibility_worse_since
    if since is None:
        return False
    return not any(e.reason_code == CLEARED_TO_ENROLL and e.created_at >= since for e in application.events)


def run_vetting(application: Application) -> list[VettingResult]:
    """Check the applicant with the vetting provider, store what it found, and route the case.

    Global Entry (on submission): all clear → Conditionally Approved; any hit → officer review.
    PreCheck on submission: all clear → stays "visit an enrollment center"; any hit → officer review.
    PreCheck after the enrollment visit (fingerprints): all clear, or only hits an officer already cleared →
    approved with a Known Traveler Number (with its own reason when the check found hits, all already cleared:
    VETTING_REVIEWED_HITS_ONLY, never "all clear"); a new hit → officer review, and so does an eligibility that got
    worse since submission (casework.changes) unless an officer cleared the case to enroll after it did.
    All clear while a revocation of the member's number stands against the case (transitions.revoked_standing:
    a renewal filed before it, or another application since) → officer review, never an approval.

    When the agency does not answer (VettingUnavailable), nothing is found either way: a case in vetting waits there,
    marked (`vetting_retry_since`) for the worker to ask again (retry_vetting); PreCheck on submission stays as it
    is, to be checked after the visit's fingerprints as every PreCheck case is. A revocation standing against the
    case is known without the agency: it goes to an officer all the same. Returns the results stored (none then).
    """
    code, status = application.program.code, application.status_enum
    trigger = "enrollment_visit" if status is S.BIOMETRICS_CAPTURED else "submission"
    if status is not S.SUBMITTED or code == "global_entry":
        transition(application, S.IN_VETTING)
    try:
        return _vet_and_route(application, trigger)
    except VettingUnavailable:
        if revoked_standing(application) is not None:
            _to_officer_over_revocation(application)
        elif application.status_enum is S.IN_VETTING:
            application.vetting_retry_since = utcnow()
        return []


def _vet_and_route(application: Application, trigger: str) -> list[VettingResult]:
    """run_vetting's check and routing, for a case submitted (PreCheck) or in vetting; `trigger`: what ran it
    (VETTING_TRIGGERS). Raises VettingUnavailable, having changed nothing, when the agency does not answer."""
    code = application.program.code
    # PreCheck in vetting is past its enrollment visit: hits an officer cleared to enroll are not new
    cleared = _hits_cleared_before(application) if application.status_enum is S.IN_VETTING else set()
    results = _check_with_provider(application)
    for result in results:
        result.trigger = trigger
    application.vetting_retry_since = None  # answered
    new_hits = [r for r in results if r.outcome == "hit" and (r.source, r.detail) not in cleared]
    if new_hits or _worse_since_submission_unreviewed(application):
        transition(application, S.OFFICER_REVIEW, reason_code="vetting_hit" if new_hits else "eligibility_changed")
        application.priority = max(application.priority, 1)
    elif revoked_standing(application) is not None:
        _to_officer_over_revocation(application)
    elif code == "global_entry":
        transition(application, S.CONDITIONALLY_APPROVED, reason_code="vetting_clear")
    elif application.status_enum is S.IN_VETTING:
        reviewed_only = any(r.outcome == "hit" for r in results)  # every hit found is one cleared before (no new_hits)
        reason = VETTING_REVIEWED_HITS_ONLY if reviewed_only else "vetting_clear"
        approve(application, by=None, today=service_today(), automatic=True, system_reason=reason)
    return results


def _to_officer_over_revocation(application: Application, *, notify: bool = True) -> Appointment | None:
    """Send `application`, which a revocation stands against, to an officer with the reason, where the status machine
    lets the system move it there: from vetting, a PreCheck application waiting for its enrollment visit, and a Global
    Entry one conditionally approved or with its interview booked (states.TO_OFFICER_OVER_REVOCATION): that interview
    could not lead to an approval, so it is cancelled and its seat passed on. Anywhere else it stays, and an officer
    decides it there: the transition's guard refuses every move toward approval meanwhile. Returns the appointment
    it cancelled, if any."""
    status, code = application.status_enum, application.program.code
    if (status, S.OFFICER_REVIEW) not in AUTOMATIC or S.OFFICER_REVIEW not in allowed_moves(code, status):
        return None
    appointment = active_appointment(application) if status is SCHEDULED[code] else None
    if appointment is not None:
        cancel_booked(appointment, now=utcnow())
    transition(application, S.OFFICER_REVIEW, reason_code=MEMBERSHIP_REVOKED, notify=notify)
    application.priority = max(application.priority, 1)
    return appointment


# --- Interview and enrollment visit -------------------------------------------------------------------------


def record_interview(
    application: Application,
    *,
    by,
    documents_verified: bool,
    biometrics_captured: bool,
    reason_code: str = "interview_held",
    now: dt.datetime | None = None,
    note: str | None = None,
) -> None:
    """The interview (Global Entry) or enrollment visit (PreCheck) as the officer records it at `now` (the clock
    when None), with the officer's notes of it (`note`, optional): kept as the note of the status event that
    records it, so the case history shows them with who wrote them and when; like every officer's note there, never
    shown to the traveler. Both checks must be done; PreCheck then goes on to the fingerprint-based background
    check, Global Entry to the officer's decision. The visit the traveler booked is completed with it, whichever
    page it is recorded from (the center's day, checked in, or the case page), so it no longer holds the traveler's
    one active appointment or shows as still to come; one whose time is still ahead (the traveler was interviewed on
    arrival at an airport, or seen early on the day of the visit, say) frees its seat for the waitlist, as a
    cancellation does.

    Raises:
        BusinessRuleViolation: a check is missing (naming it).
    """
    missing = [
        label
        for done, label in ((documents_verified, "the documents were verified"), (biometrics_captured, "fingerprints"))
        if not done
    ]
    if missing:
        raise BusinessRuleViolation(
            "The interview can only be recorded as complete when "
            + " and ".join(missing).replace("fingerprints", "the fingerprints were taken")
            + ". If it could not be finished, leave the case as it is and book another visit.",
            field="documents_verified" if not documents_verified else "biometrics_captured",
        )
    now = now or utcnow()
    appointment = active_appointment(application)
    if appointment is not None:
        appointment.status = "completed"
        if appointment.slot.starts_at > now:
            free_booked_seat(appointment.slot, now=now, not_to=application.id)
    application.documents_verified_at = application.documents_verified_at or now
    application.biometrics_captured_at = application.biometrics_captured_at or now
    note = (note or "").strip() or None
    if application.program.code == "precheck":
        transition(application, S.BIOMETRICS_CAPTURED, by=by, reason_code="enrollment_visit", note=note)
        run_vetting(application)
    else:
        transition(application, S.INTERVIEW_COMPLETED, by=by, reason_code=reason_code, note=note)


def record_biometrics(application: Application, *, by) -> None:
    """PreCheck enrollment visit: documents checked and fingerprints taken; vetting follows."""
    record_interview(application, by=by, documents_verified=True, biometrics_captured=True)


# --- Officer decisions --------------------------------------------------------------------------------------


# the audit action of an officer taking an unassigned case by acting on it (a decision, a request): the assignment as
# the case history shows it, beside "case.assigned" and "case.released" (casework.assignment)
CASE_TAKEN = "case.taken"


def _claim_if_unassigned(application: Application, by) -> None:
    """An officer who acts on a case nobody holds takes it: recorded, as every other change of who holds a case is,
    so the case history can say when it became theirs."""
    if by is not None and application.assigned_officer_id is None and by.can(Permission.WORK_CASES):
        application.assigned_officer_id = by.id
        record_event(CASE_TAKEN, "application", application.reference, by=by, to_officer=by.id, from_officer=None)


def reasons_open_to(application: Application, kind: str) -> list[Reason]:
    """The reasons a letter of `kind` on this case can give: its program's, "no answer by the due date" only while
    the case waits on an answer the traveler owes, "broke the program's rules" only in a revocation or about a
    renewal. The case page offers these; a letter refuses any other."""
    return reasons_for(
        application.program.code,
        kind,
        unanswered=application.status_enum in AWAITING_APPLICANT,
        member=application.kind == "renewal",
    )


def _letter(application: Application, kind: str, reason_codes: list[str], note: str | None, by) -> DecisionLetter:
    open_to = {r.code for r in reasons_open_to(application, kind)}
    unknown = [c for c in reason_codes if c not in open_to]
    if not reason_codes or unknown:
        raise BusinessRuleViolation(
            "Choose at least one reason." if not reason_codes else f"These reasons do not apply here: {unknown}."
        )
    letter = DecisionLetter(application=application, kind=kind, reason_codes=list(reason_codes), note=note)
    letter.issued_by_id = getattr(by, "id", None)
    db.session.add(letter)
    record_event(f"letter.{kind}", "application", application.reference, by=by, reasons=list(reason_codes))
    return letter


def approve(
    application: Application,
    *,
    by,
    today: dt.date,
    automatic: bool = False,
    note: str | None = None,
    system_reason: str = "vetting_clear",
):
    """Approve and issue the membership with its Known Traveler Number. A renewal keeps the member's number and
    extends their membership (memberships.service.issue_membership); an application approved before, revoked,
    reconsidered and approved again gets its revoked number back, never a second one. Any other application is
    refused (the transition's guard) while the member's latest membership of the program is revoked
    (transitions.revoked_standing): it would renew the revoked number or issue a fresh one. `automatic`: the
    system's approval after vetting, whose status event gives `system_reason` (all clear, or only hits an officer
    already reviewed)."""
    approved_before = any(e.to_status == S.APPROVED.value for e in application.events)
    renewing = renewed_membership(application)
    if automatic:
        # The all-clear route from vetting is a system move (in the AUTOMATIC table).
        transition(application, S.APPROVED, reason_code=system_reason)
    else:
        _claim_if_unassigned(application, by)
        transition(application, S.APPROVED, by=by, reason_code="officer_approved", note=note)
    membership = db.session.scalar(select(Membership).where(Membership.application_id == application.id))
    if membership is None and approved_before:
        # Revoked (before revoke() refused it) from an application whose membership a later renewal had taken
        # over: that number comes back.
        membership = db.session.scalar(
            select(Membership)
            .where(
                Membership.profile_id == application.profile_id,
                Membership.program_id == application.program_id,
                Membership.status == "revoked",
            )
            .order_by(Membership.valid_until.desc(), Membership.id.desc())
            .limit(1)
        )
    if membership is not None:
        membership.status, membership.revoked_at, membership.revoked_reason = "active", None, None
        record_event("membership.reinstated", "membership", membership.ktn, by=by, application=application.reference)
    elif renewing is not None:
        previous_until = renewing.valid_until
        membership = extend_membership(renewing, application, today=today)  # already looked up: not again
        db.session.flush()
        record_event(
            "membership.renewed",
            "membership",
            membership.ktn,
            by=by,
            application=application.reference,
            previous_valid_until=previous_until.isoformat(),
            valid_until=membership.valid_until.isoformat(),
        )
    else:
        membership = issue_membership(application, today=today)
        db.session.flush()
        record_event("membership.issued", "membership", membership.ktn, by=by, application=application.reference)
    return membership


def conditionally_approve(application: Application, *, by, note: str | None = None) -> None:
    """Global Entry: the officer finds the vetting hits do not disqualify; the applicant may book an interview."""
    _claim_if_unassigned(application, by)
    transition(application, S.CONDITIONALLY_APPROVED, by=by, reason_code="officer_cleared", note=note)


def clear_to_enroll(application: Application, *, by, note: str | None = None) -> None:
    """PreCheck: the officer finds the hits on submission do not disqualify; the applicant goes on to enroll."""
    _claim_if_unassigned(application, by)
    transition(application, S.SUBMITTED, by=by, reason_code=CLEARED_TO_ENROLL, note=note)


# The longest an officer may give a traveler to answer a request for information: the case waits on the answer
# until then (no decision before it is overdue), so a date years ahead would park it. Half again the 60 days a
# preliminary determination gives (BRIEF.md 1.3), room for court records that take a while to obtain.
INFO_DUE_MAX_DAYS = 90


def due_date_problem(due_on: dt.date, today: dt.date) -> str | None:
    """What is wrong with `due_on` as the date an answer is due (after today, and at most INFO_DUE_MAX_DAYS ahead),
    or None. The officer's form asks it too, so the date is judged with the form's other fields."""
    if due_on <= today:
        return "The due date must be after today."
    latest = today + dt.timedelta(days=INFO_DUE_MAX_DAYS)
    if due_on > latest:
        return (
            f"The due date can be at most {INFO_DUE_MAX_DAYS} days ahead, {latest:%B %-d, %Y} at the latest: "
            "the case cannot be decided until the answer is in or overdue."
        )
    return None


def request_info(application: Application, *, by, message: str, due_on: dt.date, today: dt.date) -> InfoRequest:
    """Ask the traveler for more information by a date; they answer in the portal.

    Raises:
        BusinessRuleViolation: an empty question, or a due date that is not in the future or is more than
            INFO_DUE_MAX_DAYS ahead.
    """
    if not (message or "").strip():
        raise BusinessRuleViolation("Write what you need from the applicant.", field="message")
    if problem := due_date_problem(due_on, today):
        raise BusinessRuleViolation(problem, field="due_on")
    _claim_if_unassigned(application, by)
    request = InfoRequest(application=application, requested_by_id=by.id, message=message.strip(), due_on=due_on)
    db.session.add(request)
    transition(application, S.INFO_REQUESTED, by=by, reason_code="info_requested", note=message.strip())
    notify_about(
        application,
        kind="info_requested",
        title=_l(
            "We need more information for %(reference)s by %(date)s",
            reference=application.reference,
            date=later(format_day, due_on),
        ),
        body=_l(
            "An officer asked: %(question)s\n\nAnswer on your application page by %(date)s.",
            question=message.strip(),
            date=later(format_day, due_on),
        ),
    )
    return request


def open_info_request(application: Application) -> InfoRequest | None:
    return next((r for r in reversed(application.info_requests) if r.answered_at is None), None)


# the status events of an officer's changes to an open request: its due date moved (no move: transitions.record_step),
# and the request withdrawn (the case back in officer review)
INFO_DUE_EXTENDED = "info_due_extended"
INFO_WITHDRAWN = "info_withdrawn"


def _request_to_change(application: Application, by) -> InfoRequest:
    """The open request for information an officer (`by`) changes: only an officer who may act on the case
    (transitions.check_officer_act), and only while the case waits on the request, unanswered.

    Raises:
        PermissionDenied: not an officer, their own application, or a case assigned to another officer.
        BusinessRuleViolation: the request was answered, or closed, or there is none.
    """
    check_officer_act(application, by)
    request = open_info_request(application)
    if request is not None and application.status_enum is S.INFO_REQUESTED:
        return request
    latest = application.info_requests[-1] if application.info_requests else None
    if latest is not None and latest.answer is not None:
        raise BusinessRuleViolation(
            f"The applicant already answered this request, on {latest.answered_at:%B %-d, %Y}: it can no longer be "
            "changed. Their answer is under “Requests for information”."
        )
    raise BusinessRuleViolation("This case has no open request for information to change.")


def extend_info_request(application: Application, *, by, due_on: dt.date, today: dt.date) -> InfoRequest:
    """Give the traveler more time to answer the open request: a later due date, by the same rules as sending one
    (`due_date_problem`). The case keeps waiting on the answer until then (transitions.waiting_on_applicant). The
    history gets a step saying so (transitions.record_step, which moves the case's version on: a stale page or a
    second press is told), an audit record, and the traveler a notice, as for the request itself.

    Raises:
        PermissionDenied: see `_request_to_change`.
        BusinessRuleViolation: no open request (answered, closed), or a date that is not after today, more than
            INFO_DUE_MAX_DAYS ahead, or not later than the due date now.
    """
    request = _request_to_change(application, by)
    if problem := due_date_problem(due_on, today):
        raise BusinessRuleViolation(problem, field="due_on")
    if due_on <= request.due_on:
        raise BusinessRuleViolation(
            f"The new due date must be later than the one the applicant has now, {request.due_on:%B %-d, %Y}.",
            field="due_on",
        )
    _claim_if_unassigned(application, by)
    was = request.due_on
    request.due_on = due_on
    record_step(
        application,
        by=by,
        reason_code=INFO_DUE_EXTENDED,
        note=f"Answer now due by {due_on:%B %-d, %Y} (was {was:%B %-d, %Y}).",
    )
    record_event(
        "info_request.extended",
        "application",
        application.reference,
        by=by,
        request=request.id,
        due_on=due_on.isoformat(),
        was=was.isoformat(),
    )
    notify_about(
        application,
        kind="info_request_extended",
        title=_l(
            "More time to answer for %(reference)s: now by %(date)s",
            reference=application.reference,
            date=later(format_day, due_on),
        ),
        body=_l(
            "An officer gave you more time to answer the request for information on your application "
            "%(reference)s. Answer on your application page by %(date)s.",
            reference=application.reference,
            date=later(format_day, due_on),
        ),
    )
    return request


def withdraw_info_request(application: Application, *, by, reason: str) -> InfoRequest:
    """Withdraw the open request for information: the officer no longer needs the answer. The request is closed
    unanswered (as a decision without its answer closes it: `_close_open_request`), so the traveler's page no longer
    asks for it and the queues no longer count it, and the case goes back to officer review (the transition; the
    status machine's info_requested -> officer_review, the move an answer makes). `reason` is for the case history
    (the status event's note, with who and when), an officer's note like the others there: the traveler is told
    the request was withdrawn and that they need not answer it, in a notice of its own, not why.

    Raises:
        PermissionDenied: see `_request_to_change`.
        BusinessRuleViolation: no reason, or no open request (answered, closed).
    """
    reason = (reason or "").strip()
    request = _request_to_change(application, by)
    if not reason:
        raise BusinessRuleViolation("Say why the request is withdrawn.", field="reason")
    _claim_if_unassigned(application, by)
    # the notice below says more than the status change's would
    event = transition(application, S.OFFICER_REVIEW, by=by, reason_code=INFO_WITHDRAWN, note=reason, notify=False)
    request.answered_at = event.created_at  # closed, unanswered, at the instant of its withdrawal (withdrawals)
    record_event(
        "info_request.withdrawn",
        "application",
        application.reference,
        by=by,
        request=request.id,
        due_on=request.due_on.isoformat(),
    )
    notify_about(
        application,
        kind="info_request_withdrawn",
        title=_l("Request for information on %(reference)s withdrawn", reference=application.reference),
        body=_l(
            "An officer withdrew the request for information on your %(program)s application %(reference)s. You do "
            "not need to answer it. An officer is reviewing your application.",
            program=application.program.name,
            reference=application.reference,
        ),
    )
    return request


def withdrawals(application: Application) -> dict[int, StatusEvent]:
    """The requests for information an officer withdrew, by request id, each with the status event of its
    withdrawal (who, when, why): a withdrawn request was closed at the instant of that event
    (`withdraw_info_request`), where one closed by a decision was not."""
    withdrawn_at = {e.created_at: e for e in application.events if e.reason_code == INFO_WITHDRAWN}
    return {
        r.id: withdrawn_at[r.answered_at]
        for r in application.info_requests
        if r.answer is None and r.answered_at in withdrawn_at
    }


def _attach(
    application: Application,
    files,
    *,
    purpose: str,
    by,
    info_request: InfoRequest | None = None,
    status_event: StatusEvent | None = None,
) -> None:
    """Keep the traveler's `files` (checked: documents.check_files), each naming what it was sent with: the request
    for information it answers, or the status event of their response or request to reconsider (sent_by_traveler)."""
    for f in files:
        db.session.add(
            CaseDocument(
                application=application,
                info_request=info_request,
                status_event=status_event,
                purpose=purpose,
                filename=f.filename,
                content_type=f.content_type,
                size_bytes=len(f.data),
                sha256=f.sha256,
                data=f.data,
                uploaded_by_id=by.id,
            )
        )


def answer_info_request(application: Application, *, by, answer: str, files=()) -> None:
    """The traveler answers the open request (with optional documents); the case goes back to the officer.

    Raises:
        BusinessRuleViolation: nothing is waiting for an answer, the answer is empty, or a file is refused.
    """
    request = open_info_request(application)
    if request is None or application.status_enum is not S.INFO_REQUESTED:
        raise BusinessRuleViolation(_("There is no request waiting for your answer."))
    if not (answer or "").strip():
        raise BusinessRuleViolation(_("Write your answer."))
    _attach(application, check_files(files), purpose="info_response", by=by, info_request=request)
    request.answer, request.answered_at = answer.strip(), utcnow()
    transition(application, S.OFFICER_REVIEW, by=by, reason_code="info_answered")


def _closing_unanswered(application: Application, reason_codes: list[str]) -> list[str]:
    """A decision taken while a request for information waits (allowed once it is overdue: the guard in
    casework.transitions) rests on the missing answer: "no_response" joins the officer's reasons, as when an
    unanswered determination closes."""
    if application.status_enum is not S.INFO_REQUESTED or not reason_codes:
        return list(reason_codes)
    return list(dict.fromkeys([*reason_codes, "no_response"]))


def _close_open_request(application: Application) -> None:
    """The request the case was waiting on is closed when the case is decided without its answer: answered_at
    marks it closed and the answer stays empty (a real answer never is), so the overdue lists and the traveler's
    page stop showing it as waiting."""
    request = open_info_request(application)
    if request is not None:
        request.answered_at = utcnow()


def preliminary_ineligible(application: Application, *, by, reason_codes: list[str], note: str | None = None):
    """PreCheck: a preliminary determination of ineligibility; the traveler has 60 days to respond. From an
    overdue request for information, it closes the request and cites the missing answer."""
    _claim_if_unassigned(application, by)
    reason_codes = _closing_unanswered(application, reason_codes)
    letter = _letter(application, "preliminary_ineligible", reason_codes, note, by)
    transition(application, S.PRELIMINARY_INELIGIBLE, by=by, reason_code=",".join(reason_codes)[:64], note=note)
    _close_open_request(application)
    return letter


def deny(application: Application, *, by, reason_codes: list[str], note: str | None = None) -> DecisionLetter:
    """Deny with reasons; the letter explains them and how to ask for reconsideration. From an overdue request for
    information (Global Entry), it closes the request and cites the missing answer."""
    _claim_if_unassigned(application, by)
    reason_codes = _closing_unanswered(application, reason_codes)
    letter = _letter(application, "denial", reason_codes, note, by)
    transition(application, S.DENIED, by=by, reason_code=",".join(reason_codes)[:64], note=note)
    _close_open_request(application)
    return letter


def moved_message(moved: Membership) -> str:
    """Why a revocation is not decided on an application whose membership a renewal took over (membership_moved_to),
    and where it is."""
    return _(
        "This application no longer holds the membership: application %(reference)s renewed it and now holds Known "
        "Traveler Number %(ktn)s. Revoke the membership from %(reference)s.",
        reference=moved.application.reference,
        ktn=moved.ktn,
    )


def membership_moved_to(application: Application) -> Membership | None:
    """The member's current membership of the program when an approved `application` no longer holds it: a renewal
    extended it and now holds it (or, before renewals kept the number, a later application issued another). Its
    application is the one a revocation is decided on. None when `application` holds it (or is not approved)."""
    if application.status_enum is not S.APPROVED:
        return None
    latest = latest_membership(application.profile_id, application.program_id)
    if latest is None or latest.application_id == application.id:
        return None
    return latest


def revoke(application: Application, *, by, reason_codes: list[str], note: str | None = None) -> DecisionLetter:
    """Take away an approved membership, with reasons and a letter; the Known Traveler Number stops working. Every
    unrevoked membership of the member in the program is revoked: a renewal approved before renewals kept the number
    left a second membership with a number of its own.

    It is decided on the application that holds the member's current membership, so that application is the one
    marked Revoked, with the status event, the letter and the reconsideration. From an older application whose
    membership a renewal took over it is refused, naming that renewal: revoking there left the renewal Approved
    with a stopped number.

    The member's other open application for the program (a renewal filed before the revocation, or a new one) is
    stopped with it (`_stop_for_revocation`), and the traveler is told what happened to it.

    Raises:
        BusinessRuleViolation: another application holds the membership now (named), or a reason is missing.
    """
    moved = membership_moved_to(application)
    if moved is not None:
        raise BusinessRuleViolation(moved_message(moved))
    letter = _letter(application, "revocation", reason_codes, note, by)
    transition(application, S.REVOKED, by=by, reason_code=",".join(reason_codes)[:64], note=note)
    reason = ", ".join(BY_CODE[c].label for c in reason_codes)[:500]
    for membership in unrevoked_memberships(application.profile_id, application.program_id):
        membership.status, membership.revoked_at, membership.revoked_reason = "revoked", utcnow(), reason
        record_event("membership.revoked", "membership", membership.ktn, by=by, reasons=list(reason_codes))
    other = other_open_application(application)
    if other is not None:
        _stop_for_revocation(other, application)
    return letter


def other_open_application(application: Application) -> Application | None:
    """The profile's open application for the same program other than `application` (at most one is open)."""
    return db.session.scalar(
        select(Application).where(
            Application.profile_id == application.profile_id,
            Application.program_id == application.program_id,
            Application.id != application.id,
            Application.status.in_([s.value for s in OPEN]),
        )
    )


def _stop_for_revocation(other: Application, revoked_on: Application) -> None:
    """The membership `revoked_on` held was just revoked: the member's open application `other` (a renewal of it,
    or a new application) would renew the revoked number or issue a new one, and is not approved while the
    revocation stands (transitions.revoked_standing). A draft is closed (a system move, as when a draft expires; a
    payment that returns for it is refunded, as for any draft withdrawn); a submitted one goes to an officer where
    the status machine lets the system move it (a Global Entry interview booked is cancelled), and otherwise waits
    where it is for an officer to decide it. Either way the traveler is told, in one notice."""
    revoked = revoked_standing(other)
    if revoked is None:  # approved before: a decision under reconsideration, which the revocation leaves alone
        return
    details = {
        "program": other.program.name,
        "ktn": revoked.ktn,
        "reference": other.reference,
        "revoked": revoked_on.reference,
    }
    if other.status_enum is S.DRAFT:
        transition(other, S.WITHDRAWN, reason_code=MEMBERSHIP_REVOKED)
        body = _l(
            "We revoked your %(program)s membership (Known Traveler Number %(ktn)s). Your unsent application "
            "%(reference)s would have renewed or replaced that membership, so we closed it. You can ask us to "
            "reconsider the revocation from application %(revoked)s.",
            **details,
        )
    else:
        cancelled = _to_officer_over_revocation(other, notify=False)
        body = _l(
            "We revoked your %(program)s membership (Known Traveler Number %(ktn)s). Your application %(reference)s "
            "would renew or replace that membership, so it will not be approved while the revocation stands. An "
            "officer will decide it and send you a letter. Once it is decided, you can ask us to reconsider the "
            "revocation from application %(revoked)s.",
            **details,
        )
        if cancelled is not None:
            body = later(
                _sentences,
                body,
                _l(
                    "We cancelled your %(visit)s on %(when)s.",
                    visit=VISIT[other.program.code],
                    when=later(describe_time, cancelled.slot),
                ),
            )
    notify_about(
        other,
        kind="revocation_stands",
        title=_l("Your %(program)s application %(reference)s: your membership was revoked", **details),
        body=body,
    )


def _sentences(*parts) -> str:
    """Sentences made apart (lazy strings among them), as one text in the reader's language."""
    return " ".join(str(part) for part in parts)


def blocked_by_revocation(application: Application) -> Application | None:
    """The member's open application for the program that the revocation decided on `application` stands against
    (transitions.revoked_standing): asking to reconsider that revocation closes it (`request_reconsideration`).
    None when there is none, or when `application` is not where the standing revocation was decided."""
    return _if_revoked_on(other_open_application(application), application)


def _if_revoked_on(other: Application | None, application: Application) -> Application | None:
    """`other` when a revocation decided on `application` stands against it, else None."""
    revoked = revoked_standing(other) if other is not None else None
    return other if revoked is not None and revoked.application_id == application.id else None


def _close_for_reconsideration(blocked: Application, revoked_on: Application, *, by) -> None:
    """The traveler asked to reconsider the revocation decided on `revoked_on`: their application `blocked`, which
    that revocation stands against and which could not be approved while it does, is closed (at most one application
    per program is open), with its visit cancelled and any request for information closed, and they are told."""
    appointment = active_appointment(blocked)
    if appointment is not None:
        cancel_booked(appointment, now=utcnow())
    _close_open_request(blocked)
    transition(blocked, S.WITHDRAWN, by=by, reason_code=REVOCATION_RECONSIDERED)
    details = {"program": blocked.program.name, "reference": blocked.reference, "revoked": revoked_on.reference}
    notify_about(
        blocked,
        kind="closed_for_reconsideration",
        title=_l("Your %(program)s application %(reference)s is closed", **details),
        body=_l(
            "You asked us to reconsider the revocation on application %(revoked)s. Your application %(reference)s "
            "could not be approved while the revocation stands, so we closed it. An officer will look at your "
            "request.",
            **details,
        ),
    )


def request_reconsideration(application: Application, *, by, statement: str, files=()) -> None:
    """The traveler asks for a denial or revocation (or a preliminary determination) to be looked at again, with
    documents; the case reopens for an officer.

    The member's open application for the program that a revocation decided here stands against (a renewal filed
    before it, say) is closed with the request (`blocked_by_revocation`): it could not be approved while the
    revocation stands, and it would keep the revocation from being reconsidered (one open application per program).

    Raises:
        BusinessRuleViolation: nothing to reconsider, a preliminary determination past its 60 days (even before the
            daily job has made it final), an empty statement, another open application for the program (other than
            one the revocation stands against), or a file refused.
    """
    status = application.status_enum
    if status not in RECONSIDERABLE:
        raise BusinessRuleViolation(
            _("Only a denial, a revocation or a preliminary determination can be reconsidered.")
        )
    if status is S.PRELIMINARY_INELIGIBLE:
        last_day = response_deadline(application)
        if service_today() > last_day:
            raise BusinessRuleViolation(
                _(
                    "The time to respond to this determination ended on %(date)s. It becomes a final denial, and "
                    "then you can ask us to reconsider it.",
                    date=format_day(last_day),
                )
            )
    if not (statement or "").strip():
        raise BusinessRuleViolation(_("Tell us why we should look at your case again."))
    other_open = other_open_application(application)
    blocked = _if_revoked_on(other_open, application)  # closed with the request, below
    if other_open is not None and blocked is None:
        raise BusinessRuleViolation(
            _(
                "You have another %(program)s application open (%(reference)s). Finish or withdraw it before you "
                "ask us to reconsider this one.",
                program=application.program.name,
                reference=other_open.reference,
            )
        )
    checked = check_files(files)  # a file refused changes nothing
    if blocked is not None:
        _close_for_reconsideration(blocked, application, by=by)
    if status is S.PRELIMINARY_INELIGIBLE:
        event = transition(
            application, S.OFFICER_REVIEW, by=by, reason_code=DETERMINATION_ANSWERED, note=statement.strip()
        )
    else:
        event = transition(application, S.RECONSIDERATION_REQUESTED, by=by, reason_code=RECONSIDERATION, note=statement)
    # the files name the statement's status event (the flush inserts the event first: no id is needed here)
    _attach(application, checked, purpose="reconsideration", by=by, status_event=event)
    application.priority = max(application.priority, 1)


# what the traveler sent with each of those steps, by its reason code (Sent.kind)
STATEMENTS = {DETERMINATION_ANSWERED: "determination_response", RECONSIDERATION: "reconsideration"}


@dataclass(frozen=True)
class Sent:
    """Something the traveler sent on an application, and the files sent with it: an answer to a request for
    information (`question`: what the officer asked), a response to a preliminary determination, or a request to
    reconsider a decision. `text` is None only where nothing they wrote was kept."""

    kind: str  # "answer", "determination_response" or "reconsideration"
    at: dt.datetime
    text: str | None
    files: tuple[CaseDocument, ...]
    question: str | None = None


def sent_by_traveler(application: Application) -> list[Sent]:
    """What the traveler sent on `application`, oldest first, each with its files (their bytes are not read).

    Each file names what it was sent with: an answer's files their request (`info_request_id`), a response's or a
    request to reconsider's the status event that keeps its statement (`status_event_id`; migration 0021 linked the
    files sent before it)."""
    by_request: dict[int, list[CaseDocument]] = {}
    by_statement: dict[int, list[CaseDocument]] = {}
    unlinked: list[CaseDocument] = []
    for document in application.documents:
        if document.info_request_id is not None:
            by_request.setdefault(document.info_request_id, []).append(document)
        elif document.status_event_id is not None:
            by_statement.setdefault(document.status_event_id, []).append(document)
        else:
            unlinked.append(document)
    sent = [
        Sent("answer", r.answered_at, r.answer, tuple(by_request.get(r.id, ())), question=r.message)
        for r in application.info_requests
        if r.answer is not None
    ]
    sent += [
        Sent(STATEMENTS[e.reason_code], e.created_at, e.note, tuple(by_statement.pop(e.id, ())))
        for e in application.events
        if e.reason_code in STATEMENTS
    ]
    # a file whose statement is not listed is still the traveler's, and listed: one that names nothing (sent before
    # migration 0021, which found no statement for it) on its own, as nothing says which files went together
    sent += [Sent("reconsideration", files[0].created_at, None, tuple(files)) for files in by_statement.values()]
    sent += [Sent("reconsideration", d.created_at, None, (d,)) for d in unlinked]
    return sorted(sent, key=lambda item: item.at)


def reopen_for_review(application: Application, *, by, note: str | None = None) -> None:
    """An officer takes up a reconsideration request: the case is back in officer review."""
    _claim_if_unassigned(application, by)
    transition(application, S.OFFICER_REVIEW, by=by, reason_code="reconsideration_opened", note=note)


VETTING_RETRY_AFTER = dt.timedelta(minutes=1)


def retry_vetting(now: dt.datetime, *, limit: int = 20) -> tuple[int, int]:
    """Ask the agency again about the cases it did not answer for (`vetting_retry_since`, at least
    VETTING_RETRY_AFTER ago), oldest first, and route those it answers for as run_vetting does. Stops at the first
    it still does not answer for: it is down. Each case is its own savepoint: one that fails otherwise (a bug, bad
    data) is logged, left as it was and asked about again after the others, never holding them up. Safe beside
    another run (locking.locked, which holds the rows for the batch: hence small batches). Returns (answered, still
    waiting)."""
    due = Application.vetting_retry_since <= now - VETTING_RETRY_AFTER
    waiting = list(
        db.session.scalars(
            locked(Application, Application.status == S.IN_VETTING.value, due, skip_locked=True, limit=limit)
        )
    )
    answered = 0
    for position, application in enumerate(waiting):
        try:
            with db.session.begin_nested():
                _vet_and_route(application, "retry")
        except VettingUnavailable:
            return answered, len(waiting) - position
        except Exception:
            logging.getLogger(__name__).exception("vetting %s again failed; it is asked again later", application.id)
            application.vetting_retry_since = now  # to the back of the line
        else:
            answered += 1
    return answered, 0


def close_unanswered_determinations(today: dt.date) -> int:
    """Preliminary determinations not answered within 60 days become final denials (a system move). Two runs at
    once (two workers at the turn of the day, or `flask close-determinations` beside one) close each once, and
    neither fails (locking.locked: a run passes over the applications another holds)."""
    # sent before that service day began (in SERVICE_TIMEZONE): its response_deadline is before `today`
    cutoff = dt.datetime.combine(today - dt.timedelta(days=RESPONSE_DAYS), dt.time.min, tzinfo=service_zone())
    unanswered = (Application.status == S.PRELIMINARY_INELIGIBLE.value, Application.status_entered_at < cutoff)
    overdue = db.session.scalars(locked(Application, *unanswered, skip_locked=True)).all()
    for application in overdue:
        earlier = application.letters[-1].reason_codes if application.letters else []
        _letter(application, "denial", list(dict.fromkeys([*earlier, "no_response"])), None, by=None)
        transition(application, S.DENIED, reason_code="no_response")
    return len(overdue)


# --- What an officer may do now -----------------------------------------------------------------------------


_ASK = object()  # available_actions' `revoked` when the caller has not read it


def available_actions(application: Application, officer, today: dt.date | None = None, revoked=_ASK) -> list[str]:
    """The actions this officer may take on this case in its present state (the case page offers only these). An
    open request for information can be given more time or withdrawn while it waits ("extend_request",
    "withdraw_request"). A case waiting on an answer can be decided without it only once the answer is overdue:
    Global Entry denies, PreCheck sends a preliminary determination; a preliminary determination becomes a final
    denial only once its 60 days have passed unanswered (transitions.waiting_on_applicant, which the page shows,
    says why and until when). None on the officer's own application, and none toward approval while a revocation
    stands against the case (the transition's guards; `revoked`: the standing revocation's membership or None, when
    the caller has read it already)."""
    if not officer.can(Permission.DECIDE_CASES) or application.is_applicant(officer):
        return []
    if application.assigned_officer_id not in (None, officer.id) and not officer.can(Permission.SUPERVISE):
        return []
    code, status = application.program.code, application.status_enum
    moves = allowed_moves(code, status)
    actions = []
    if status is S.INFO_REQUESTED and open_info_request(application) is not None:
        # the open request itself, while it waits: more time, or withdrawn (not decisions: offered while waiting)
        actions += ["extend_request", "withdraw_request"]
    if waiting_on_applicant(application, today or service_today()) is not None:  # the page says why (same rule)
        return actions
    if S.INFO_REQUESTED in moves:
        actions.append("request_info")
    if code == "global_entry" and status is S.OFFICER_REVIEW:
        actions.append("conditionally_approve")
    if code == "precheck" and status is S.OFFICER_REVIEW and not _interview_recorded(application):
        actions.append("clear_to_enroll")
    if S.INTERVIEW_COMPLETED in moves or (code == "precheck" and S.BIOMETRICS_CAPTURED in moves):
        actions.append("record_interview")
    if S.APPROVED in moves and status is not S.IN_VETTING and _interview_recorded(application):
        actions.append("approve")
    if S.PRELIMINARY_INELIGIBLE in moves:
        actions.append("preliminary_ineligible")
    if S.DENIED in moves:
        actions.append("deny")
    if S.REVOKED in moves and membership_moved_to(application) is None:
        actions.append("revoke")
    if status is S.RECONSIDERATION_REQUESTED:
        actions.append("reopen")
    if (
        TOWARD_APPROVAL_ACTIONS.intersection(actions)
        and (revoked_standing(application) if revoked is _ASK else revoked) is not None
    ):
        actions = [a for a in actions if a not in TOWARD_APPROVAL_ACTIONS]
    return actions


TOWARD_APPROVAL_ACTIONS = frozenset({"conditionally_approve", "clear_to_enroll", "approve"})
