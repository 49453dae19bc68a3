"""Who works a case: claiming, releasing, (bulk) assignment and a supervisor's reassignment. Each row is checked
on its own, and every change is audited. Services flush; the request commits once."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.models import Account
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import CLOSED, NEEDS_OFFICER, UNDER_WAY, Status, staff_label
from trusted_traveler.errors import BusinessRuleViolation, PermissionDenied
from trusted_traveler.extensions import db


@dataclass
class AssignmentResult:
    assigned: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference or id, why)


def _refusal(application: Application, officer: Account, *, by: Account) -> str | None:
    if application.status_enum in CLOSED or application.status_enum is Status.DRAFT:
        return "it is closed"
    if application.is_applicant(by):  # staff never act on their own application (casework.transitions)
        return _("it is your own application")
    if application.is_applicant(officer):
        return _("it is %(officer)s’s own application", officer=officer.label)
    if application.assigned_officer_id == officer.id:
        return f"it is already assigned to {officer.label}"
    if application.assigned_officer_id is not None and not by.can(Permission.SUPERVISE):
        return f"it is assigned to {application.assigned_officer.label}; only a supervisor can reassign it"
    return None


def assign(application: Application, officer: Account, *, by: Account) -> None:
    """Give one case to `officer` (yourself, or anyone when `by` is a supervisor).

    Raises:
        PermissionDenied: assigning to someone else without being a supervisor, or to someone who is not an officer.
        BusinessRuleViolation: the case is closed, already someone else's, or the application of `officer` or `by`.
    """
    if officer.id != by.id and not by.can(Permission.SUPERVISE):
        raise PermissionDenied("Only a supervisor can assign cases to someone else.")
    if not officer.can(Permission.WORK_CASES):
        raise PermissionDenied(f"{officer.label} is not an enrollment officer.")
    why = _refusal(application, officer, by=by)
    if why:
        raise BusinessRuleViolation(f"{application.reference} was not assigned: {why}.")
    _assign(application, officer, by=by)
    db.session.flush()


def _assign(application: Application, officer: Account, *, by: Account, bulk: bool = False) -> None:
    """The assignment itself, audited (`bulk`: one of several ticked in a queue, which the case history says); the
    caller checked it (`_refusal`) and flushes."""
    previous = application.assigned_officer_id
    application.assigned_officer_id = officer.id
    extra = {"bulk": True} if bulk else {}
    record_event(
        "case.assigned",
        "application",
        application.reference,
        by=by,
        to_officer=officer.id,
        from_officer=previous,
        **extra,
    )


def release_refusal(application: Application) -> str | None:
    """Why the case cannot be released to the unassigned queue, or None. That queue lists the cases nobody holds
    that need an officer's decision (states.NEEDS_OFFICER, casework.queues._QUEUE_WHERE): released in any other
    status, a case would be in no queue at all while the page said it was back in one."""
    if application.assigned_officer_id is None:
        return "Nobody is assigned to this case: it is not held by anyone to release."
    if application.status_enum not in NEEDS_OFFICER:
        status = staff_label(application.program.code, application.status_enum)
        holder = application.assigned_officer.label if application.assigned_officer else "its officer"
        return (
            f"This case was not released. It is {status}: nothing waits on an officer's decision, so the "
            f"unassigned queue would not list it. It stays with {holder}; a supervisor can reassign it."
        )
    return None


def release(application: Application, *, by: Account) -> None:
    """Hand a case that needs an officer's decision back to the unassigned queue (its officer, or a supervisor).

    Raises:
        PermissionDenied: `by` neither holds the case nor supervises.
        BusinessRuleViolation: the case would not be in the unassigned queue (release_refusal says why).
    """
    if application.assigned_officer_id != by.id and not by.can(Permission.SUPERVISE):
        raise PermissionDenied("Only the assigned officer or a supervisor can release this case.")
    if (why := release_refusal(application)) is not None:
        raise BusinessRuleViolation(why)
    record_event(
        "case.released", "application", application.reference, by=by, from_officer=application.assigned_officer_id
    )
    application.assigned_officer_id = None
    db.session.flush()


def release_all(officer: Account, *, by: Account | None, why: str) -> list[str]:
    """Put every case under way that is assigned to `officer` back in the unassigned queue, each release recorded
    (their last casework role was removed); returns the references."""
    cases = db.session.scalars(
        select(Application)
        .where(Application.assigned_officer_id == officer.id, Application.status.in_([s.value for s in UNDER_WAY]))
        .order_by(Application.id)
    ).all()
    for application in cases:
        record_event("case.released", "application", application.reference, by=by, from_officer=officer.id, reason=why)
        application.assigned_officer_id = None
    db.session.flush()
    return [a.reference for a in cases]


def bulk_assign(application_ids: list[int], officer: Account, *, by: Account) -> AssignmentResult:
    """Assign many cases, checking each row: a row that cannot be assigned is reported, never silently skipped. The
    cases are read with what the checks need (whose application each is, who holds it) and written in one flush, so
    the statements do not grow with the number of cases."""
    if officer.id != by.id and not by.can(Permission.SUPERVISE):
        raise PermissionDenied("Only a supervisor can assign cases to someone else.")
    if not officer.can(Permission.WORK_CASES):
        raise PermissionDenied(f"{officer.label} is not an enrollment officer.")
    found = {
        a.id: a
        for a in db.session.scalars(
            select(Application)
            .where(Application.id.in_(application_ids))
            .options(joinedload(Application.profile, innerjoin=True), joinedload(Application.assigned_officer))
            .with_for_update(of=Application)
        )
    }
    result = AssignmentResult()
    for ident in dict.fromkeys(application_ids):
        application = found.get(ident)
        if application is None:
            result.refused.append((str(ident), "there is no such case"))
            continue
        why = _refusal(application, officer, by=by)
        if why:
            result.refused.append((application.reference, why))
            continue
        _assign(application, officer, by=by, bulk=True)
        result.assigned.append(application.reference)
    db.session.flush()
    return result
