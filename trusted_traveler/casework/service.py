"""Application lifecycle. Every status change goes through `transition`; services flush, callers commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework.models import Application, StatusEvent, VettingResult
from trusted_traveler.casework.references import new_reference
from trusted_traveler.casework.states import (
    AUTOMATIC,
    EXPLANATIONS,
    OPEN,
    TRAVELER_MOVES,
    Status,
    allowed_moves,
    public_label,
)
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation, InvalidTransition, NotFound, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import current_membership, issue_membership, renewal_window
from trusted_traveler.notifications.service import notify, notify_about
from trusted_traveler.payments.models import Payment, PaymentItem
from trusted_traveler.profiles.service import eligibility_facts
from trusted_traveler.programs.service import fee_for, list_programs
from trusted_traveler.rules.service import check_eligibility
from trusted_traveler.vetting.sandbox import get_provider

S = Status


def amount_paid(application: Application) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(PaymentItem.amount), 0))
        .join(Payment)
        .where(PaymentItem.application_id == application.id, Payment.status == "completed")
    )
    return Decimal(str(total))


def _check_guards(application: Application, to: Status, by) -> None:
    if to is S.SUBMITTED and application.status == S.DRAFT:
        if application.fee is None:
            raise BusinessRuleViolation("The fee for this application has not been set.")
        if amount_paid(application) < application.fee:
            raise BusinessRuleViolation("The fee must be paid before the application is submitted.")
        if application.attested_at is None:
            raise BusinessRuleViolation("The applicant must confirm the declaration before submitting.")


def transition(
    application: Application,
    to: Status | str,
    *,
    by=None,
    reason_code: str | None = None,
    note: str | None = None,
) -> StatusEvent:
    """Move an application to `to`, or raise.

    Checks the program's transition table and the guards (fee paid, declaration, staff-only moves), stamps the
    state's entry time, appends a status event, audits staff moves and tells the traveler when the label they
    see changes.

    Raises:
        InvalidTransition: the move is not in the program's table, or only the system may make it.
        PermissionDenied: a staff-only move attempted by someone without the permission.
        BusinessRuleViolation: a guard failed (for example the fee is unpaid).
    """
    to = Status(to)
    frm = Status(application.status)
    program_code = application.program.code
    if to not in allowed_moves(program_code, frm):
        raise InvalidTransition(
            f"An application that is {public_label(program_code, frm)!r} cannot move to "
            f"{public_label(program_code, to)!r}."
        )
    if by is None and (frm, to) not in AUTOMATIC:
        raise InvalidTransition(f"Moving from {frm} to {to} needs a person to do it.")
    if by is not None and (frm, to) not in TRAVELER_MOVES and not by.can(Permission.DECIDE_CASES):
        raise PermissionDenied("Only an enrollment officer can make that decision.")
    _check_guards(application, to, by)

    now = utcnow()
    application.status = to.value
    application.status_entered_at = now
    if to is S.SUBMITTED and application.submitted_at is None:
        application.submitted_at = now
    if to in (S.APPROVED, S.DENIED):
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
    if old_label != new_label and to is not S.WITHDRAWN:
        notify_about(
            application,
            kind="status_changed",
            title=f"{application.program.name} application {application.reference}: {new_label}",
            body=f"Your {application.program.name} application is now: {new_label}.",
        )
    db.session.flush()
    return event


# --- Traveler actions ---------------------------------------------------------------------------------------


def start_application(
    profile, program, *, by, today: dt.date, kind: str = "new", renewal_of=None, eligibility: dict | None = None
) -> Application:
    """Open a draft for `program`, or return the open one the profile already has. `eligibility` is the rule
    engine's answer for this program (kept as the application's snapshot; its fee includes any waiver)."""
    existing = db.session.scalar(
        select(Application).where(
            Application.profile_id == profile.id,
            Application.program_id == program.id,
            Application.status.in_([s.value for s in OPEN]),
        )
    )
    if existing is not None:
        return existing
    fee = fee_for(program, today, kind=kind)
    if eligibility is not None and kind == "new":
        fee = Decimal(eligibility["fee"])
    application = Application(
        reference=new_reference(),
        profile=profile,
        program=program,
        kind=kind,
        renewal_of_id=renewal_of.id if renewal_of is not None else None,
        fee=fee,
        fee_waiver_reason="minor_with_member_parent" if fee == 0 and kind == "new" else None,
        eligibility_snapshot=eligibility,
    )
    db.session.add(application)
    db.session.flush()
    db.session.add(StatusEvent(application=application, from_status=None, to_status=S.DRAFT.value, actor_id=by.id))
    db.session.flush()
    return application


def program_options(profile, *, today: dt.date, language: str = "en") -> dict:
    """What each program offers this person today: the rule engine's answer (outcome, reasons, fee) and what they
    can do: `apply`, `renew`, `open` (an application is under way), `member` (renewal opens later) or
    `ineligible`."""
    answer = check_eligibility(eligibility_facts(profile, today), as_of=today, language=language)
    options = {}
    for program in list_programs():
        result = dict(answer["programs"][program.code])
        option = {"program": program, "eligibility": result, "action": "apply", "fee": Decimal(result["fee"])}
        open_app = db.session.scalar(
            select(Application).where(
                Application.profile_id == profile.id,
                Application.program_id == program.id,
                Application.status.in_([s.value for s in OPEN]),
            )
        )
        membership = current_membership(profile.id, program.id, today)
        if open_app is not None:
            option.update(action="open", application=open_app)
        elif result["outcome"] == "ineligible":
            option["action"] = "ineligible"
        elif membership is not None:
            opens, closes = renewal_window(membership)
            option.update(membership=membership, renewal_opens=opens, renewal_closes=closes)
            if opens <= today:
                option.update(action="renew", fee=fee_for(program, today, kind="renewal"))
            else:
                option["action"] = "member"
        options[program.code] = option
    options["recommended"] = answer["recommended_program"]
    options["as_of"] = answer["as_of"]
    return options


def apply_for(profile, program_codes: list[str], *, by, today: dt.date, language: str = "en") -> list[Application]:
    """Open drafts for the chosen programs (one or both), each judged by the rules in force today.

    Raises:
        BusinessRuleViolation: a chosen program is one this person cannot apply for now (with the reason).
    """
    if not program_codes:
        raise BusinessRuleViolation("Choose at least one program.")
    options = program_options(profile, today=today, language=language)
    drafts = []
    for code in program_codes:
        option = options.get(code)
        if option is None or code in ("recommended", "as_of"):
            raise BusinessRuleViolation(f"There is no program called {code!r}.")
        name = option["program"].name
        if option["action"] == "ineligible":
            reasons = " ".join(r["message"] for r in option["eligibility"]["reasons"])
            raise BusinessRuleViolation(f"You cannot apply for {name}. {reasons}")
        if option["action"] == "member":
            raise BusinessRuleViolation(
                f"You are a {name} member until {option['membership'].valid_until:%B %-d, %Y}. "
                f"You can renew from {option['renewal_opens']:%B %-d, %Y}."
            )
        if option["action"] == "open":
            drafts.append(option["application"])
            continue
        snapshot = {**option["eligibility"], "as_of": options["as_of"]}
        renewal_of = option["membership"].application if option["action"] == "renew" else None
        drafts.append(
            start_application(
                profile,
                option["program"],
                by=by,
                today=today,
                kind="renewal" if renewal_of else "new",
                renewal_of=renewal_of,
                eligibility=snapshot,
            )
        )
    return drafts


def open_drafts(profile) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.profile_id == profile.id, Application.status == S.DRAFT.value)
            .order_by(Application.id)
        )
    )


def attest(application: Application, *, by) -> None:
    if application.status != S.DRAFT:
        raise BusinessRuleViolation("This application has already been submitted.")
    application.attested_at = utcnow()


def submit(application: Application, *, by) -> None:
    """Submit a paid, attested draft; Global Entry goes straight on to vetting."""
    transition(application, S.SUBMITTED, by=by)
    if application.program.code == "global_entry":
        run_vetting(application)


DRAFT_RETENTION = dt.timedelta(days=180)
DRAFT_REMINDER_BEFORE = dt.timedelta(days=14)


def expire_drafts(now: dt.datetime) -> tuple[int, int]:
    """Remind the owners of drafts that expire within two weeks (once), and close drafts older than the retention
    period. The profile itself is kept. Returns (reminded, expired)."""
    drafts = db.session.scalars(
        select(Application)
        .where(
            Application.status == S.DRAFT.value, Application.created_at <= now - DRAFT_RETENTION + DRAFT_REMINDER_BEFORE
        )
        .order_by(Application.id)
    ).all()
    reminded = expired = 0
    for draft in drafts:
        expires_at = draft.created_at + DRAFT_RETENTION
        if expires_at <= now:
            transition(draft, S.WITHDRAWN, reason_code="draft_expired")
            expired += 1
        elif draft.draft_reminder_sent_at is None:
            notify(
                draft.profile.account,
                kind="draft_expiring",
                title=f"Your {draft.program.name} application will be deleted on {expires_at:%B %-d, %Y}",
                body=f"You started a {draft.program.name} application ({draft.reference}) but have not submitted "
                f"it. Finish and pay before {expires_at:%B %-d, %Y}, or it will be closed. Your profile is kept.",
                link="/checkout",
            )
            draft.draft_reminder_sent_at = now
            reminded += 1
    db.session.flush()
    return reminded, expired


def withdraw(application: Application, *, by) -> None:
    transition(application, S.WITHDRAWN, by=by, reason_code="withdrawn_by_applicant")


# --- Vetting and officer actions ----------------------------------------------------------------------------


def run_vetting(application: Application) -> list[VettingResult]:
    """Check the applicant with the vetting provider, store what it found, and route the case."""
    transition(application, S.IN_VETTING)
    profile = application.profile
    provider = get_provider()
    findings = provider.check(
        surname=profile.surname or "",
        given_names=profile.given_names or "",
        date_of_birth=profile.date_of_birth,
    )
    results = [
        VettingResult(
            application=application,
            source=f.source,
            outcome=f.outcome,
            detail=f.detail,
            provider=provider.name,
        )
        for f in findings
    ]
    db.session.add_all(results)
    if any(f.outcome == "hit" for f in findings):
        transition(application, S.OFFICER_REVIEW, reason_code="vetting_hit")
    elif application.program.code == "global_entry":
        transition(application, S.CONDITIONALLY_APPROVED, reason_code="vetting_clear")
    else:
        approve(application, by=None, today=dt.date.today(), automatic=True)
    return results


def record_biometrics(application: Application, *, by) -> None:
    """PreCheck enrollment visit: documents checked and fingerprints taken; vetting follows."""
    transition(application, S.BIOMETRICS_CAPTURED, by=by, reason_code="enrollment_visit")
    run_vetting(application)


def approve(application: Application, *, by, today: dt.date, automatic: bool = False, note: str | None = None):
    if automatic:
        # The all-clear route from vetting is a system move (in the AUTOMATIC table).
        transition(application, S.APPROVED, reason_code="vetting_clear")
    else:
        transition(application, S.APPROVED, by=by, reason_code="officer_approved", note=note)
    membership = issue_membership(application, today=today)
    db.session.flush()
    record_event("membership.issued", "membership", membership.ktn, by=by, application=application.reference)
    return membership


def deny(application: Application, *, by, reason_code: str, note: str | None = None) -> None:
    transition(application, S.DENIED, by=by, reason_code=reason_code, note=note)


def public_timeline(application: Application) -> list[dict]:
    """The steps a traveler sees: one entry each time the public label changed (drafting is not shown)."""
    code = application.program.code
    steps: list[dict] = []
    for event in application.events:
        if event.to_status == S.DRAFT:
            continue
        label = public_label(code, event.to_status)
        if steps and steps[-1]["label"] == label:
            continue
        steps.append(
            {
                "label": label,
                "status": event.to_status,
                "at": event.created_at,
                "explanation": EXPLANATIONS[Status(event.to_status)],
            }
        )
    return steps


# --- Loaders that authorize ---------------------------------------------------------------------------------


def get_application_for_traveler(reference: str, account) -> Application:
    """The traveler's own application, or NotFound (another person's is indistinguishable from none)."""
    application = db.session.scalar(select(Application).where(Application.reference == reference))
    if application is None or application.profile.account_id != account.id:
        raise NotFound("We could not find that application.")
    return application


def get_case_for_officer(reference: str, officer) -> Application:
    if not officer.can(Permission.WORK_CASES):
        raise PermissionDenied("Only enrollment officers can open cases.")
    application = db.session.scalar(select(Application).where(Application.reference == reference))
    if application is None or application.status == S.DRAFT:
        raise NotFound("We could not find that case.")
    record_event("profile.viewed", "application", application.reference, by=officer)
    return application
