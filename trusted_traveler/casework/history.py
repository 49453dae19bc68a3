"""A case's history as officers read it: statuses and reasons by their labels rather than their codes, and the
latest change to a case in words ("Sam Supervisor conditionally approved this at 07:16 UTC"), for an officer whose
page was out of date when they acted. Reads only; nothing here changes a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.reasons import BY_CODE
from trusted_traveler.casework.states import Status, staff_label
from trusted_traveler.extensions import db

S = Status

# A status event's reason code that is not one of the decision reasons (reasons.BY_CODE), as the history says it.
EVENT_REASONS = {
    "vetting_hit": "Vetting found a possible match",
    "vetting_clear": "Vetting all clear",
    "eligibility_changed": "Eligibility worse since submission",
    "membership_revoked": "A revocation stands against it",
    "revocation_reconsidered": "Closed: the revocation is being reconsidered",
    "officer_cleared": "Hits reviewed, not disqualifying",
    "cleared_to_enroll": "Cleared to enroll",
    "officer_approved": "Approved by an officer",
    "info_requested": "Information requested",
    "info_answered": "Applicant answered",
    "info_due_extended": "Due date extended",
    "info_withdrawn": "Request for information withdrawn",
    "determination_answered": "Applicant responded to the determination",
    "reconsideration": "Applicant asked for reconsideration",
    "reconsideration_opened": "Reconsideration opened",
    "interview_held": "Interview held",
    "enrollment_on_arrival": "Enrollment on Arrival",
    "enrollment_visit": "Enrollment visit",
    "no_response": "No response in time",
    "appointment_booked": "Appointment booked",
    "appointment_moved": "Appointment moved",
    "cancelled_by_applicant": "Appointment cancelled by the applicant",
    "no_show": "Did not come to the appointment",
}


def reason_label(code: str | None) -> str:
    """A status event's reason code as words: a decision's reasons (comma-separated codes) by the labels the officer
    picked them by, the other codes by EVENT_REASONS; an unknown code with its underscores as spaces."""
    if not code:
        return ""
    words = []
    for part in code.split(","):
        reason = BY_CODE.get(part)
        words.append(reason.label if reason else EVENT_REASONS.get(part, part.replace("_", " ").capitalize()))
    return "; ".join(words)


# What a person did, by the status their act moved the case to (and, where one status is reached several ways, the
# reason code): the verb of "Sam Supervisor conditionally approved this".
_DONE = {
    S.CONDITIONALLY_APPROVED: "conditionally approved this",
    S.APPROVED: "approved this",
    S.DENIED: "denied this",
    S.PRELIMINARY_INELIGIBLE: "sent a preliminary determination of ineligibility",
    S.INFO_REQUESTED: "asked the applicant for information",
    S.REVOKED: "revoked the membership",
    S.INTERVIEW_COMPLETED: "recorded the interview",
    S.BIOMETRICS_CAPTURED: "recorded the enrollment visit",
    S.RECONSIDERATION_REQUESTED: "asked for a reconsideration",
    S.WITHDRAWN: "closed this",
}
_DONE_BY_REASON = {
    "cleared_to_enroll": "cleared this to enroll",
    "reconsideration_opened": "opened the reconsideration for review",
    "info_answered": "answered the request for information",
    "info_due_extended": "gave the applicant more time to answer",
    "info_withdrawn": "withdrew the request for information",
    "determination_answered": "responded to the preliminary determination",
    "no_response": "made this a final denial (no response in time)",
    "appointment_moved": "moved the appointment",
}
# Acts told apart by their reason rather than by the status they reach (Change.key): a due date or an appointment
# moved reaches no new status, and a withdrawn request reaches officer review as an answer does.
_KEYED_BY_REASON = frozenset({"info_due_extended", "info_withdrawn", "appointment_moved"})
# the system's moves that follow a person's act in the same request (vetting after an enrollment visit, say) are
# told as that act
_SAME_ACT = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Change:
    """The latest change to a case: who (None: the system), when, what (a verb phrase), and `key`, what it amounts
    to for telling a repeated act from another (the status moved to, the reason of an act told by its reason, or
    "claimed", "assigned", "released")."""

    actor: Account | None
    at: dt.datetime
    what: str
    key: str

    def sentence(self, viewer) -> str:
        """ "Sam Supervisor conditionally approved this at 07:16 UTC." ("You …" to the person who did it)."""
        return f"{self._who(viewer)} {self.what} at {_when(self.at)}."

    def already(self, viewer) -> str:
        """The same change as news to the person who just asked for it again: "You already … at 07:12 UTC."."""
        return f"{self._who(viewer)} already {self.what} at {_when(self.at)}."

    def _who(self, viewer) -> str:
        if self.actor is None:
            return "The system"
        return "You" if viewer is not None and self.actor.id == viewer.id else self.actor.label


def _when(at: dt.datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    at = at.astimezone(dt.UTC)
    today = dt.datetime.now(dt.UTC).date()
    return f"{at:%H:%M} UTC" if at.date() == today else f"{at:%Y-%m-%d %H:%M} UTC"


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _status_change(application: Application) -> Change | None:
    events: list[StatusEvent] = sorted(application.events, key=lambda e: (_utc(e.created_at), e.id or 0))
    if not events:
        return None
    event = events[-1]
    for earlier in reversed(events[:-1]):  # a system move right after a person's act is part of that act
        if event.actor_id is not None or _utc(event.created_at) - _utc(earlier.created_at) > _SAME_ACT:
            break
        event = earlier
    to = Status(event.to_status)
    what = _DONE_BY_REASON.get(event.reason_code or "") or _DONE.get(to)
    if what is None:
        what = f"moved this to {staff_label(application.program.code, to)}"
    key = event.reason_code if event.reason_code in _KEYED_BY_REASON else to.value
    return Change(event.actor, _utc(event.created_at), what, key)


def _assignment_change(application: Application) -> Change | None:
    found = db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.object_id == application.reference,
            AuditEvent.action.in_(("case.assigned", "case.released")),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    if found is None:
        return None
    actor = db.session.get(Account, found.actor_id) if found.actor_id is not None else None
    if found.action == "case.released":
        return Change(actor, _utc(found.created_at), "released this to the unassigned queue", "released")
    to_officer = found.details.get("to_officer")
    if to_officer is not None and to_officer == found.actor_id:
        return Change(actor, _utc(found.created_at), "took this case", "claimed")
    officer = db.session.get(Account, to_officer) if to_officer is not None else None
    return Change(
        actor, _utc(found.created_at), f"assigned this to {officer.label if officer else 'another officer'}", "assigned"
    )


def latest_change(application: Application) -> Change | None:
    """The latest change to `application`: its latest status event (with the system's moves that followed it in the
    same act), or its latest assignment, whichever came last. None when it has neither."""
    found = [c for c in (_status_change(application), _assignment_change(application)) if c is not None]
    return max(found, key=lambda c: c.at) if found else None
