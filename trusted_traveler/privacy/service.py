"""Everything we hold about a traveler, for them to download, and deleting a draft they no longer want.

The export is the traveler's own records only: account, profile (with their own document numbers), applications
with the status history (and what the traveler wrote asking for reconsideration), requests for information and
letters they were sent (the officer's explanation included), the files they uploaded (names, not contents: each
downloads from its application's page), their appointments and waitlist places, their survey answers, payments,
memberships and notifications.
It never holds officer-only matter: vetting results, officers' notes and identities, assignment or priority. Both
actions are audited; the export reads a fixed number of statements whatever the number of applications. Submitted
applications are kept under the records-retention rules, so only drafts can go (and, while nothing was ever sent,
the whole account: privacy.deletion). The readable copy (web.portal.my_data) is this same export, laid out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload, selectinload

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.feedback.models import FeedbackResponse, SurveyOffer
from trusted_traveler.memberships.service import memberships_for
from trusted_traveler.notifications.models import Notification
from trusted_traveler.payments.models import Payment, PaymentItem
from trusted_traveler.profiles import service as profiles
from trusted_traveler.scheduling.models import Appointment, Slot, WaitlistEntry

FORMAT_VERSION = 1
# Columns of the profile that are bookkeeping, not about the person.
PROFILE_SKIP = {"id", "account_id", "guardian_profile_id", "intake_progress"}


def _row(obj, skip=()) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs if c.key not in skip}


def _children(rows, skip=("id", "profile_id")) -> list[dict]:
    return [_row(r, skip) for r in rows]


def export_for(account, *, shown_as: str = "file", today: dt.date | None = None) -> dict[str, Any]:
    """The traveler's data as a JSON-ready dict (dates and decimals become strings when dumped): the JSON download
    (`shown_as` "file") and the readable copy (web.portal.my_data, "page") are both this dict. Audited, with which."""
    profile = profiles.profile_for(account)
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "exported_at": dt.datetime.now(dt.UTC),
        "account": {
            "email": account.email,
            "name": account.display_name,
            "preferred_language": account.preferred_language,
            "created_at": account.created_at,
            "last_sign_in_at": account.last_sign_in_at,
        },
        "profile": None,
        "applications": [],
        "payments": [
            {
                "amount": p.amount,
                "status": p.status,
                "receipt_number": p.gateway_reference,
                "started_at": p.created_at,
                "completed_at": p.completed_at,
                "failure_message": p.failure_message,
                "items": [{"application": i.application.reference, "amount": i.amount} for i in p.items],
            }
            for p in db.session.scalars(
                select(Payment)
                .where(Payment.account_id == account.id)
                .options(selectinload(Payment.items).joinedload(PaymentItem.application))
                .order_by(Payment.id)
            )
        ],
        "memberships": [],
        "notifications": [
            {"title": n.title, "body": n.body, "link": n.link, "created_at": n.created_at, "read_at": n.read_at}
            for n in db.session.scalars(
                select(Notification).where(Notification.account_id == account.id).order_by(Notification.id)
            )
        ],
    }
    if profile is not None:
        data["profile"] = {
            **_row(profile, PROFILE_SKIP),
            "other_names": _children(profile.other_names),
            "citizenships": [c.country_code for c in profile.citizenships],
            "documents": _children(profile.documents, ("id", "profile_id", "number_encrypted")),
            "addresses": _children(profile.addresses),
            "employment": _children(profile.employment),
            "countries_visited": [c.country_code for c in profile.countries_visited],
            "offenses": _children(profile.offenses),
        }
        applications = db.session.scalars(
            select(Application)
            .where(Application.profile_id == profile.id)
            .options(
                joinedload(Application.program),
                selectinload(Application.events),
                selectinload(Application.info_requests),
                selectinload(Application.letters),
                selectinload(Application.documents),
            )
            .order_by(Application.id)
        ).all()
        theirs = _theirs(a.id for a in applications)
        data["applications"] = [_application(a, theirs, account.id) for a in applications]
        data["memberships"] = [
            {
                "known_traveler_number": m.ktn,
                "program": m.program.code,
                "valid_from": m.valid_from,
                "valid_until": m.valid_until,
                "status": m.status,
            }
            for m in memberships_for(profile.id)
        ]
    record_event("privacy.exported", "account", account.id, by=account, shown_as=shown_as)
    return data


def _theirs(application_ids) -> dict[str, dict[int, list]]:
    """The appointments, waitlist places and survey answers of these applications, by application, in three
    statements."""
    ids = list(application_ids)
    found: dict[str, dict[int, list]] = {"appointments": {}, "waitlist": {}, "surveys": {}}
    if not ids:
        return found
    for appointment in db.session.scalars(
        select(Appointment)
        .where(Appointment.application_id.in_(ids))
        .options(joinedload(Appointment.slot).joinedload(Slot.center))
        .order_by(Appointment.id)
    ):
        found["appointments"].setdefault(appointment.application_id, []).append(appointment)
    for entry in db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.application_id.in_(ids))
        .options(selectinload(WaitlistEntry.centers))
        .order_by(WaitlistEntry.id)
    ):
        found["waitlist"].setdefault(entry.application_id, []).append(entry)
    for response in db.session.scalars(
        select(FeedbackResponse).where(FeedbackResponse.application_id.in_(ids)).order_by(FeedbackResponse.id)
    ):
        found["surveys"].setdefault(response.application_id, []).append(response)
    return found


def _application(application: Application, theirs: dict[str, dict[int, list]], account_id: int) -> dict[str, Any]:
    return {
        "reference": application.reference,
        "program": application.program.code,
        "kind": application.kind,
        "status": application.status,
        "fee": application.fee,
        "fee_waiver_reason": application.fee_waiver_reason,
        "created_at": application.created_at,
        "attested_at": application.attested_at,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "eligibility": application.eligibility_snapshot,
        # the profile as it was when the application was submitted, and the rules' answer after a later change
        "profile_as_submitted": application.submitted_profile,
        "eligibility_after_a_change": application.eligibility_now,
        # the history of statuses, without who acted or officers' notes (their working papers); what the traveler
        # wrote with a step of their own (asking for reconsideration, answering a determination) is theirs
        "status_history": [
            {"status": e.to_status, "at": e.created_at}
            | ({"your_statement": e.note} if e.note and e.actor_id == account_id else {})
            for e in application.events
        ],
        "information_requests": [
            {"message": r.message, "due_on": r.due_on, "answer": r.answer, "answered_at": r.answered_at}
            for r in application.info_requests
        ],
        "letters": [
            # the officer's explanation is part of the letter the traveler reads
            {"kind": x.kind, "reason_codes": x.reason_codes, "explanation": x.note, "issued_at": x.issued_at}
            for x in application.letters
        ],
        "files_uploaded": [
            {"filename": d.filename, "purpose": d.purpose, "size_bytes": d.size_bytes, "uploaded_at": d.created_at}
            for d in application.documents
        ],
        "appointments": [
            {
                "center": a.slot.center.name,
                "starts_at": a.slot.starts_at,
                "status": a.status,
                "booked_at": a.booked_at,
                "times_moved": a.reschedule_count,
                "checked_in_at": a.checked_in_at,
                "cancelled_at": a.cancelled_at,
            }
            for a in theirs["appointments"].get(application.id, [])
        ],
        "waitlist": [
            {
                "centers": [c.name for c in w.centers],
                "earliest_date": w.earliest_date,
                "latest_date": w.latest_date,
                "status": w.status,
                "joined_at": w.joined_at,
            }
            for w in theirs["waitlist"].get(application.id, [])
        ],
        "survey_answers": [
            {"about": r.touchpoint, "scores": r.scores, "comment": r.free_text, "at": r.created_at}
            for r in theirs["surveys"].get(application.id, [])
        ],
    }


# Never sent: a draft, or a draft closed unsent (removed at checkout, or expired): nothing of it is a federal record.
UNSENT = (Status.DRAFT.value, Status.WITHDRAWN.value)


def never_sent(application: Application) -> bool:
    return application.submitted_at is None and application.status in UNSENT


def unsent_applications(profile) -> list[Application]:
    """The traveler's applications never sent that they may delete (delete_draft): drafts, and drafts closed unsent,
    but none a payment was started for, which stays with the payment record."""
    if profile is None:
        return []
    paid_for = select(PaymentItem.application_id).where(PaymentItem.application_id == Application.id).exists()
    return list(
        db.session.scalars(
            select(Application)
            .options(joinedload(Application.program))
            .where(
                Application.profile_id == profile.id,
                Application.submitted_at.is_(None),
                Application.status.in_(UNSENT),
                ~paid_for,
            )
            .order_by(Application.id)
        )
    )


def delete_draft(application: Application, *, by) -> None:
    """Delete the traveler's own application never sent (a draft, or one closed unsent) and not paid for. Audited by
    reference.

    Raises:
        BusinessRuleViolation: the application was sent, or a payment for it has started.
    """
    if not never_sent(application):
        raise BusinessRuleViolation(
            gettext(
                "Only an application you have not sent can be deleted. Sent applications are kept under the federal "
                "records-retention rules."
            )
        )
    if db.session.scalar(select(PaymentItem).where(PaymentItem.application_id == application.id).limit(1)):
        raise BusinessRuleViolation(
            gettext("A payment for this draft has started, so it is kept with the payment record.")
        )
    reference = application.reference
    remove_unsent(application)
    record_event("privacy.draft_deleted", "application", reference, by=by)
    db.session.flush()


def remove_unsent(application: Application) -> None:
    """Delete an application never sent, checked by the caller (delete_draft, deletion.delete_account), with its
    status events (cascade) and the survey offers made on it. A survey answered from it, linked to it by choice,
    keeps its answers without the link."""
    db.session.execute(
        update(FeedbackResponse).where(FeedbackResponse.application_id == application.id).values(application_id=None)
    )
    # the database cascades these where it enforces foreign keys (PostgreSQL); SQLite here does not
    db.session.execute(delete(SurveyOffer).where(SurveyOffer.application_id == application.id))
    db.session.delete(application)
