"""The one function every status change goes through, with the guards the transition tables cannot express."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework.models import Application, InfoRequest, StatusEvent
from trusted_traveler.casework.states import (
    AUTOMATIC,
    OVER_REVOCATION,
    TOWARD_APPROVAL,
    TRAVELER_MOVES,
    Status,
    allowed_moves,
    public_label,
)
from trusted_traveler.db import service_date, service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, InvalidTransition, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.memberships.lifecycle import renewal_closed
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import latest_memberships
from trusted_traveler.notifications.service import notify_about
from trusted_traveler.payments.models import Payment, PaymentItem

S = Status


def amount_paid(application: Application) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(PaymentItem.amount), 0))
        .join(Payment)
        .where(PaymentItem.application_id == application.id, Payment.status == "completed")
    )
    return Decimal(str(total))


def _interview_recorded(application: Application) -> bool:
    return application.documents_verified_at is not None and application.biometrics_captured_at is not None


def _unanswered_request_not_yet_due(application: Application, today: dt.date) -> InfoRequest | None:
    """The open request for information whose due date has not passed, if there is one (MODEL.md: a case waiting
    on an answer is decided without it only once the answer is overdue)."""
    request = next((r for r in reversed(application.info_requests) if r.answered_at is None), None)
    return request if request is not None and not request.is_overdue(today) else None


RESPONSE_DAYS = 60  # a preliminary determination of ineligibility may be answered within 60 days (BRIEF.md 1.3)


def response_deadline(application: Application) -> dt.date:
    """The last day a preliminary determination may be answered: RESPONSE_DAYS after it was sent, the date its
    letter gives (decisions.close_unanswered_determinations makes it final the day after)."""
    return service_date(application.status_entered_at) + dt.timedelta(days=RESPONSE_DAYS)  # the service's days


def waiting_on_applicant(application: Application, today: dt.date) -> str | None:
    """Why an officer may not decide the case now without the applicant's answer, naming until when, or None. The
    one rule (MODEL.md) that the transition's guard enforces and the case page reads (decisions.available_actions):
    a request for information is decided without its answer only once it is overdue, and a preliminary
    determination becomes a final denial only once its response window has closed unanswered."""
    status = application.status_enum
    if status is S.INFO_REQUESTED:
        waiting = _unanswered_request_not_yet_due(application, today)
        if waiting is not None:
            return (
                f"The applicant has until {waiting.due_on:%B %-d, %Y} to answer. A case can be decided without "
                "the answer only once it is overdue."
            )
    if status is S.PRELIMINARY_INELIGIBLE:
        last_day = response_deadline(application)
        if today <= last_day:
            return (
                f"The applicant has until {last_day:%B %-d, %Y} to respond to the preliminary determination, as "
                f"its letter says. It can be made a final denial only once that time has passed unanswered, from "
                f"{last_day + dt.timedelta(days=1):%B %-d, %Y} (the daily run does it then)."
            )
    return None


def own_application_message() -> str:
    """Why a staff member is refused an act on their own application (and what their case page says instead)."""
    return _("This is your own application. Staff may not act on their own applications: another officer decides it.")


def revoked_standing(application: Application) -> Membership | None:
    """The member's revoked membership that stands against `application`: their latest membership of the program
    was revoked, and `application` is not one that was approved before (the revoked one itself, which a
    reconsideration may approve again, bringing the number back). A renewal filed before the revocation, or any
    other application for the program, would otherwise be approved with a fresh number: it goes to an officer
    instead and is not approved (TOWARD_APPROVAL). None when no revocation stands against it."""
    if any(e.to_status == S.APPROVED.value for e in application.events):
        return None
    return revocations(application.profile_id).get(application.program_id)


def revocations(profile_id: int) -> dict[int, Membership]:
    """The revocations that stand in a person's programs, by program id: their latest membership of the program,
    revoked. Each stands against every application of theirs for the program but the one it was decided on
    (`revoked_standing`), until reconsidering it there brings the number back."""
    return {program_id: m for program_id, m in latest_memberships(profile_id).items() if m.status == "revoked"}


def revoked_standing_message(revoked: Membership) -> str:
    return _(
        "%(program)s membership %(ktn)s was revoked (application %(reference)s). An application cannot go on toward "
        "approval while that revocation stands: it would renew the revoked number or issue a new one. Turn this "
        "application down, or reconsider the revocation on %(reference)s.",
        program=revoked.program.name,
        ktn=revoked.ktn,
        reference=revoked.application.reference,
    )


def _refuse_own(application: Application, by) -> None:
    if application.is_applicant(by):
        raise PermissionDenied(own_application_message())


def _refuse_if_assigned_elsewhere(application: Application, by) -> None:
    if application.assigned_officer_id not in (None, by.id) and not by.can(Permission.SUPERVISE):
        officer = application.assigned_officer
        raise PermissionDenied(
            f"This case is assigned to {officer.label if officer else 'another officer'}. "
            "Ask them or a supervisor to reassign it before you act on it."
        )


def check_officer_act(application: Application, by) -> None:
    """What a staff move's guards ask of the person (`transition`), for an officer's act on a case that is not a
    staff move of the table: one that changes no status (a request's due date moved), or a move a traveler makes
    too (info_requested -> officer_review, which an officer makes by withdrawing the request). Only an officer, never
    on their own application, and only on a case that is theirs, nobody's, or any case for a supervisor.

    Raises:
        PermissionDenied: naming which.
    """
    if by is None or not by.can(Permission.DECIDE_CASES):
        raise PermissionDenied("Only an enrollment officer can make that decision.")
    _refuse_own(application, by)
    _refuse_if_assigned_elsewhere(application, by)


def _check_guards(application: Application, frm: Status, to: Status, by) -> None:
    staff_move = by is not None and (frm, to) not in TRAVELER_MOVES
    if staff_move:
        _refuse_own(application, by)
    if to is S.SUBMITTED and frm is S.DRAFT:
        if application.fee is None:
            raise BusinessRuleViolation("The fee for this application has not been set.")
        if amount_paid(application) < application.fee:
            raise BusinessRuleViolation(_("The fee must be paid before the application is submitted."))
        if application.attested_at is None:
            raise BusinessRuleViolation(_("The applicant must confirm the declaration before submitting."))
    if to in (S.INTERVIEW_COMPLETED, S.BIOMETRICS_CAPTURED) and not _interview_recorded(application):
        raise BusinessRuleViolation("Record that the documents were verified and the fingerprints taken first.")
    if to is S.APPROVED and frm is not S.IN_VETTING and not _interview_recorded(application):
        raise BusinessRuleViolation(
            "An application can only be approved after the documents were verified and the fingerprints taken."
        )
    # a person's decision while the applicant may still answer (the system's daily run closes only what is past)
    deciding_unanswered = (frm is S.INFO_REQUESTED and to is not S.OFFICER_REVIEW) or (
        frm is S.PRELIMINARY_INELIGIBLE and to is S.DENIED and by is not None
    )
    if deciding_unanswered and (waiting := waiting_on_applicant(application, service_today())) is not None:
        raise BusinessRuleViolation(waiting)
    if (frm, to) in TOWARD_APPROVAL and (revoked := revoked_standing(application)) is not None:
        raise BusinessRuleViolation(revoked_standing_message(revoked))
    if (frm, to) in OVER_REVOCATION and revoked_standing(application) is None:
        raise BusinessRuleViolation(
            f"An application that is '{frm}' moves to '{to}' only while a revocation stands against it."
        )
    if staff_move:
        _refuse_if_assigned_elsewhere(application, by)


def transition(
    application: Application,
    to: Status | str,
    *,
    by=None,
    reason_code: str | None = None,
    note: str | None = None,
    notify: bool = True,
) -> StatusEvent:
    """Move an application to `to`, or raise.

    Checks the program's transition table and the guards (fee paid, declaration, interview recorded, staff-only
    moves, no staff move on one's own application, no move toward approval while a revocation stands against the
    case, and none of the moves made because one stands (states.OVER_REVOCATION) when none does, the case's
    assignment), stamps the state's entry time, appends a status event, audits staff moves and tells the traveler
    when the label they see changes (unless `notify` is False: the caller sends a notice of its own that says more,
    as booking does). A renewal denied or withdrawn on or after the expiry date of the
    membership it renews expires that membership at once (memberships.lifecycle.renewal_closed).

    Raises:
        InvalidTransition: the move is not in the program's table, or only the system may make it.
        PermissionDenied: a staff-only move attempted by someone without the permission, on their own application,
            or on a case assigned to another officer.
        BusinessRuleViolation: a guard failed (for example the fee is unpaid, or a revocation stands).
    """
    to = Status(to)
    frm = Status(application.status)
    program_code = application.program.code
    if to not in allowed_moves(program_code, frm):
        raise InvalidTransition(
            _(
                "An application that is '%(current)s' cannot move to '%(wanted)s'.",
                current=_(public_label(program_code, frm)),
                wanted=_(public_label(program_code, to)),
            )
        )
    if by is None and (frm, to) not in AUTOMATIC:
        raise InvalidTransition(f"Moving from {frm} to {to} needs a person to do it.")
    if by is not None and (frm, to) not in TRAVELER_MOVES and not by.can(Permission.DECIDE_CASES):
        raise PermissionDenied("Only an enrollment officer can make that decision.")
    _check_guards(application, frm, to, by)

    now = utcnow()
    application.status = to.value
    application.status_entered_at = now
    if to is S.SUBMITTED and application.submitted_at is None:
        application.submitted_at = now
    if to in (S.APPROVED, S.DENIED, S.REVOKED):
        application.decided_at = now
    event = StatusEvent(
        application=application,
        from_status=frm.value,
        to_status=to.value,
        actor_id=getattr(by, "id", None),
        reason_code=reason_code,
        note=note,
        created_at=now,
    )
    db.session.add(event)
    if by is not None and by.is_staff:
        record_event(
            "application.transition",
            "application",
            application.reference,
            by=by,
            from_status=frm.value,
            to_status=to.value,
            reason_code=reason_code,
        )
    old_label, new_label = public_label(program_code, frm), public_label(program_code, to)
    if notify and old_label != new_label and to is not S.WITHDRAWN:
        notify_about(
            application,
            kind="status_changed",
            title=_l(
                "%(program)s application %(reference)s: %(status)s",
                program=application.program.name,
                reference=application.reference,
                status=_l(new_label),
            ),
            body=_l(
                "Your %(program)s application is now: %(status)s.",
                program=application.program.name,
                status=_l(new_label),
            ),
        )
    if to in (S.DENIED, S.WITHDRAWN) and application.renewal_of_id is not None:
        # A renewal filed before expiry kept the membership in use while pending; decided so, past the expiry
        # date, the membership expires now rather than at the next daily run.
        renewal_closed(application, service_today())
    db.session.flush()
    return event


def record_step(application: Application, *, by, reason_code: str, note: str | None = None) -> StatusEvent:
    """A step taken on a case that leaves its status as it is (an open request's due date moved by an officer, an
    appointment moved by the traveler): a status event from and to the present status, so the case history tells
    it, with who and when, as it tells every move. The time in the status is not restarted, the traveler's timeline
    shows only the steps it names (states.TIMELINE_STEPS), and the typical times pass over it (casework.stats). The
    application's row is written, so its version moves on: a page made before the step, or the same button pressed
    twice, is told the case changed (as after a move)."""
    now = utcnow()
    status = application.status
    event = StatusEvent(
        application=application,
        from_status=status,
        to_status=status,
        actor_id=getattr(by, "id", None),
        reason_code=reason_code,
        note=note,
        created_at=now,
    )
    db.session.add(event)
    application.updated_at = now
    db.session.flush()
    return event
