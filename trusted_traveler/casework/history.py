"""A case's history as officers read it: statuses and reasons by their labels rather than their codes, and the
latest change to a case in words ("Sam Supervisor conditionally approved this at 07:16 UTC"), for an officer whose
page was out of date when they acted. Reads only; nothing here changes a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account, account_label
from trusted_traveler.casework.models import Application, StatusEvent, VettingResult
from trusted_traveler.casework.reasons import BY_CODE
from trusted_traveler.casework.states import Status, staff_label
from trusted_traveler.extensions import db

S = Status

# A status event's reason code that is not one of the decision reasons (reasons.BY_CODE), as the history says it.
EVENT_REASONS = {
    "vetting_hit": "Vetting found a possible match",
    "vetting_clear": "Vetting all clear",
    "vetting_reviewed_hits_only": "Vetting found only hits an officer already reviewed",
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


# --- The case page's history: status events and changes of who holds the case, in time order -------------------

# The audit actions of a change of who holds a case (casework.assignment, and decisions.CASE_TAKEN: an officer
# acting on a case nobody held). The audit log is where they are recorded; the history reads them from there.
ASSIGNMENT_ACTIONS = ("case.assigned", "case.taken", "case.released")


@dataclass(frozen=True)
class HistoryEntry:
    """One row of the case history: a status event (`event`) or a change of who holds the case (`what`: "Olga
    Officer → Sam Officer", say). `actor_label` names who did it as every staff page names an account
    (auth.models.account_label), "The traveler" for the applicant, "The system" when nobody did, and a deleted
    account by its number."""

    at: dt.datetime
    actor_label: str
    reason: str
    event: StatusEvent | None = None
    what: str | None = None
    note: str | None = None

    @property
    def is_assignment(self) -> bool:
        return self.event is None


SYSTEM = "The system"
TRAVELER = "The traveler"


def case_history(application: Application) -> list[HistoryEntry]:
    """The case's history, oldest first: its status events and every assignment, reassignment, release and bulk
    move, as the audit log recorded them (who, when, from whom to whom). Two statements beside the events: the
    assignment records, and the accounts that the events and the records name (by their labels, in one read)."""
    moves = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "application", AuditEvent.object_id == application.reference)
        .where(AuditEvent.action.in_(ASSIGNMENT_ACTIONS))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    named = {e.actor_id for e in application.events if e.actor_id is not None} | {
        ident
        for m in moves
        for ident in (m.actor_id, (m.details or {}).get("to_officer"), (m.details or {}).get("from_officer"))
        if isinstance(ident, int)
    }
    labels = (
        {
            row.id: account_label(row.display_name, row.email)
            for row in db.session.execute(
                select(Account.id, Account.display_name, Account.email)
                .where(Account.id.in_(named))
                .order_by(Account.id)
            )
        }
        if named
        else {}
    )
    traveler = application.profile.account_id

    def actor(ident) -> str:
        if ident is None:
            return SYSTEM
        if ident == traveler:
            return TRAVELER
        return labels.get(ident) or f"deleted account {ident}"

    def officer(ident) -> str:
        if ident is None:
            return "nobody"
        return labels.get(ident) or f"deleted account {ident}"

    entries = [
        HistoryEntry(
            at=_utc(e.created_at),
            actor_label=actor(e.actor_id),
            reason=reason_label(e.reason_code),
            event=e,
            note=e.note,
        )
        for e in application.events
    ]
    for m in moves:
        details = m.details or {}
        from_officer, to_officer = details.get("from_officer"), details.get("to_officer")
        if m.action == "case.released":
            why = details.get("reason")
            reason = "Released to the unassigned queue" + (f" ({why})" if why else "")
            what = f"{officer(from_officer)} → nobody"
        else:
            if m.action == "case.taken":
                reason = "Took the case by acting on it"
            elif details.get("bulk"):
                reason = "Bulk assignment from a queue"
            elif to_officer is not None and to_officer == m.actor_id:
                reason = "Assigned to themselves"
            elif from_officer is not None:
                reason = "Reassigned"
            else:
                reason = "Assigned"
            what = f"{officer(from_officer)} → {officer(to_officer)}"
        entries.append(HistoryEntry(at=_utc(m.created_at), actor_label=actor(m.actor_id), reason=reason, what=what))
    # a stable sort: at the same moment, the status event (read first) before the assignment
    return sorted(entries, key=lambda entry: entry.at)


# --- Vetting, run by run ------------------------------------------------------------------------------------------

VETTING_TRIGGER_LABELS = {
    "submission": "On submission",
    "enrollment_visit": "After the enrollment visit (fingerprints)",
    "retry": "Asked again: the agency had not answered",
}
# an officer's decision that a case's hits do not disqualify: Global Entry's conditional approval, PreCheck's clearing
# to enroll (casework.decisions)
_HITS_CLEARED = {"officer_cleared", "cleared_to_enroll"}


@dataclass(frozen=True)
class Review:
    """An officer's review of a hit: who (named as staff pages name an account, Account.label; None when the account
    is gone), when, what they decided, and whether it came before the run that shows the hit (found again)."""

    by: str | None
    at: dt.datetime
    what: str
    before_this_run: bool


@dataclass(frozen=True)
class VettingRun:
    """One vetting check: when it ran, what ran it, and each source's result with its review (hits only)."""

    at: dt.datetime
    trigger: str | None
    results: tuple[tuple[VettingResult, Review | None], ...]

    @property
    def trigger_label(self) -> str:
        return VETTING_TRIGGER_LABELS.get(self.trigger or "", "What ran it was not recorded")

    @property
    def hits(self) -> int:
        return sum(1 for result, _ in self.results if result.outcome == "hit")

    @property
    def only_reviewed_hits(self) -> bool:
        """Whether every hit of this run was one an officer had already reviewed before it ran (found again)."""
        hits = [review for result, review in self.results if result.outcome == "hit"]
        return bool(hits) and all(review is not None and review.before_this_run for review in hits)


def vetting_runs(application: Application) -> list[VettingRun]:
    """The case's vetting results, run by run, oldest first. A run's results share their time and trigger
    (decisions._check_with_provider); results stored before runs were marked (no trigger) go together when checked
    within a few seconds of each other. A hit is shown with the officer's review that cleared it (Global Entry:
    conditionally approved; PreCheck: cleared to enroll): the first such decision after the hit was first found,
    said as made before this run when the run found the hit again."""
    ordered = sorted(application.vetting_results, key=lambda r: (_utc(r.checked_at), r.id or 0))
    groups: list[list[VettingResult]] = []
    for result in ordered:
        last = groups[-1][0] if groups else None
        if (
            last is None
            or last.trigger != result.trigger
            or _utc(result.checked_at) - _utc(last.checked_at) > _SAME_ACT
        ):
            groups.append([result])
        else:
            groups[-1].append(result)
    clearings = sorted(
        (e for e in application.events if e.reason_code in _HITS_CLEARED and e.actor_id is not None),
        key=lambda e: (_utc(e.created_at), e.id or 0),
    )
    first_found: dict[tuple[str, str | None], dt.datetime] = {}
    runs = []
    for group in groups:
        at = _utc(group[0].checked_at)
        rows = []
        for result in group:
            review = None
            if result.outcome == "hit":
                found = first_found.setdefault((result.source, result.detail), at)
                cleared = next((e for e in clearings if _utc(e.created_at) >= found), None)
                if cleared is not None:
                    review = Review(
                        by=cleared.actor.label if cleared.actor else None,
                        at=_utc(cleared.created_at),
                        what=reason_label(cleared.reason_code),
                        before_this_run=_utc(cleared.created_at) <= at,
                    )
            rows.append((result, review))
        runs.append(VettingRun(at=at, trigger=group[0].trigger, results=tuple(rows)))
    return runs
