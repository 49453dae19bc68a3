"""Changes to the profile after an application was submitted.

The profile is one per traveler, shared by every application and editable at any time (people correct mistakes),
so the case page cannot read it as "what was submitted". At submission each application keeps the profile as it
was (`Application.submitted_profile`, from profiles.service.profile_record). Afterwards:

- a change to a fact the eligibility rules read (`profiles.service.RULE_FIELDS`) has the rules answer again, with
  the rules in force that day, for every application under way (`recheck`). The answer is kept beside the submitted
  one (`eligibility_now`), never over it: `eligibility_snapshot` stays what the application was judged by. When the
  outcome is worse than the submitted one (eligible → needs review → ineligible), the case is flagged
  (`eligibility_worse_since`, shown in the queue and on the case page), gets priority, and a PreCheck background
  check no longer approves it by itself (decisions.run_vetting sends it to an officer);
- the case page lists every change since submission from the audit log (`profile.updated`: when, which topic, which
  fields) and, for the sensitive items (names, date of birth, citizenship, documents, background disclosures), the
  value as submitted beside the value now (`compare`), so removing a disclosed offense never makes a case look
  cleaner than what the applicant declared. The profile now is built for that only when it has been saved since
  the record was taken (`saved_since_submission`).

Imports no profile service (profiles.service calls `recheck`, casework.service calls the profile's record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.audit.record import record_event
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import UNDER_WAY
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.rules.conditions import OFFENSE_NAMES
from trusted_traveler.rules.service import InvalidFacts, NoRulesInForce, check_eligibility

# How bad an outcome is. Now, no answer (the rules could not judge the facts) counts as the worst, so an officer
# looks; as submitted, no answer (an application opened without one) counts as eligible, since it was let through.
SEVERITY = {"eligible": 0, "needs_review": 1, "ineligible": 2}
CHANGES_SHOWN = 200  # changes listed on a case page (each save of a topic that changed something is one)

# The intake topics as staff pages name them (the traveler's titles speak to the traveler: "Your name").
TOPICS = {
    "names": "Names",
    "birth": "Birth and description",
    "citizenship": "Citizenship",
    "documents": "Identity documents",
    "contact": "Contact details",
    "addresses": "Addresses",
    "employment": "Work and study",
    "travel": "Travel abroad",
    "background": "Background questions",
    "guardian": "Parent or guardian",
}
# Stamped on every save of its topic, so never a change in itself.
NOT_A_CHANGE = frozenset({"background_answered_at"})


# --- At submission and after a change -----------------------------------------------------------------------


def under_way(profile_id: int) -> list[Application]:
    """The profile's submitted applications that are still open: those a change reaches."""
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.profile_id == profile_id, Application.status.in_(sorted(s.value for s in UNDER_WAY)))
            .order_by(Application.id)
        )
    )


def worse(submitted: str | None, now: str | None) -> bool:
    """Whether the outcome `now` is worse than the one submitted (eligible → needs_review → ineligible)."""
    return SEVERITY.get(now or "", len(SEVERITY)) > SEVERITY.get(submitted or "", 0)


def recheck(
    applications: list[Application], facts: Callable[[], dict], *, step: str, fields: list[str], by, today: dt.date
) -> None:
    """The rules' answer again for `applications` (under way) after the applicant changed `fields` of `step`,
    which the rules read. `facts` gives the profile's eligibility facts now. Each answer is kept as the application's
    `eligibility_now` and audited; the submitted snapshot is left as it is. An outcome worse than the submitted one
    flags the case and gives it priority; one no longer worse lifts the flag (the changes stay listed)."""
    if not applications:
        return
    fields = [f for f in fields if f not in NOT_A_CHANGE]
    try:
        answer = check_eligibility(facts(), as_of=today)["programs"]
        problem = None
    except (InvalidFacts, NoRulesInForce) as err:
        answer, problem = {}, err.message
    now = utcnow()
    for application in applications:
        result = answer.get(application.program.code)
        submitted = (application.eligibility_snapshot or {}).get("outcome")
        outcome = result["outcome"] if result else None
        application.eligibility_now = {
            "outcome": outcome,
            "reasons": result["reasons"] if result else [],
            "rule_set": result["rule_set"] if result else None,
            "problem": problem,
            "as_of": today.isoformat(),
            "checked_at": now.isoformat(),
            "step": step,
            "fields": fields,
        }
        if worse(submitted, outcome):
            application.eligibility_worse_since = application.eligibility_worse_since or now
            application.priority = max(application.priority, 1)
        else:
            application.eligibility_worse_since = None
        record_event(
            "application.eligibility_rechecked",
            "application",
            application.reference,
            by=by,
            step=step,
            fields=fields,
            submitted=submitted,
            now=outcome,
            worse=application.eligibility_worse_since is not None,
        )
    db.session.flush()


# --- What the case page shows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileChange:
    at: dt.datetime
    topic: str
    fields: list[str]


@dataclass(frozen=True)
class Difference:
    key: str
    label: str
    submitted: str
    now: str


@dataclass(frozen=True)
class SinceSubmission:
    """What the case page's "Changed since submission" panel shows."""

    changes: list[ProfileChange]
    differences: list[Difference]
    kept: bool  # whether the profile as submitted was kept (not for applications submitted before migration 0015)

    @property
    def as_submitted(self) -> dict[str, str]:
        """The sensitive items that differ now, each as submitted (the case page shows it beside the value now)."""
        return {d.key: d.submitted for d in self.differences}

    def __bool__(self) -> bool:
        return bool(self.changes or self.differences)


def profile_changes(application: Application) -> list[ProfileChange]:
    """The applicant's changes to the profile since `application` was submitted, oldest first, from the audit log
    (which records the fields that changed, never their values)."""
    if application.submitted_at is None:
        return []
    rows = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.details)
        .where(
            AuditEvent.object_type == "profile",
            AuditEvent.object_id == str(application.profile_id),
            AuditEvent.action == "profile.updated",
            AuditEvent.created_at > application.submitted_at,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
        .limit(CHANGES_SHOWN)
    ).all()
    changes = []
    for at, details in rows:
        fields = [f for f in (details or {}).get("fields", []) if f not in NOT_A_CHANGE]
        if fields:
            step = (details or {}).get("step", "")
            changes.append(ProfileChange(at=at, topic=TOPICS.get(step, step), fields=fields))
    return changes


def saved_since_submission(application: Application) -> bool:
    """Whether the profile may differ from the one kept at submission: its last save (`updated_at`, stamped by every
    save of the profile or of its parts, profiles.service.save_step) is not the one the kept record was taken from
    (its `saved_at`), or the record does not say (kept before it did). The stamp is compared, not the submission
    time: a save committed while the submission was under way, or stamped by a server whose clock is behind, can
    read as earlier than the submission and still not be in the record."""
    saved_at = (application.submitted_profile or {}).get("saved_at")
    return saved_at is None or application.profile.updated_at != dt.datetime.fromisoformat(saved_at)


def since_submission(application: Application, now_record: Callable[[], dict]) -> SinceSubmission:
    """The changes since submission and, when the profile as submitted was kept, how its sensitive items differ
    from the profile now (`now_record`: profiles.service.profile_record of it, built only when the profile has been
    saved since the record was taken)."""
    submitted = application.submitted_profile
    differences = compare(submitted, now_record()) if submitted and saved_since_submission(application) else []
    return SinceSubmission(changes=profile_changes(application), differences=differences, kept=submitted is not None)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _joined(items: list[str]) -> str:
    return "; ".join(items) or "none"


def _offense(o: dict) -> str:
    category = o.get("category") or ""
    text = f"{OFFENSE_NAMES.get(category, category)} ({o.get('status')}, {o.get('date')}"
    return text + (f", released {o['released_on']})" if o.get("released_on") else ")")


def _document(d: dict) -> str:
    where = d.get("issuing_country") or ""
    if d.get("issuing_region"):
        where += f"-{d['issuing_region']}"
    text = f"{(d.get('kind') or '').replace('_', ' ')} ({where}) ending {d.get('number_last4')}"
    return text + (f", expires {d['expires_on']}" if d.get("expires_on") else "")


def _name(n: dict) -> str:
    return " ".join(p for p in (n.get("given_names"), n.get("middle_names"), n.get("surname")) if p) or "—"


# The sensitive items, as the case page writes them: (key, label, text of a profile record).
SENSITIVE: tuple[tuple[str, str, Callable[[dict], str]], ...] = (
    ("name", "Name", lambda r: _name(r.get("name") or {})),
    (
        "other_names",
        "Other names",
        lambda r: _joined([f"{_name(n)} ({n.get('kind')})" for n in r.get("other_names") or []]),
    ),
    ("date_of_birth", "Date of birth", lambda r: r["facts"].get("date_of_birth") or "—"),
    ("citizenships", "Citizenship", lambda r: ", ".join(r["facts"].get("citizenships") or []) or "none"),
    (
        "lawful_permanent_resident",
        "Lawful permanent resident",
        lambda r: _yes_no(r["facts"].get("lawful_permanent_resident")),
    ),
    ("documents", "Documents", lambda r: _joined([_document(d) for d in r.get("documents") or []])),
    ("offenses", "Offenses disclosed", lambda r: _joined([_offense(o) for o in r["facts"].get("offenses") or []])),
    (
        "customs_immigration_violation",
        "Customs or immigration violation",
        lambda r: _yes_no(r["facts"].get("customs_immigration_violation")),
    ),
    ("under_investigation", "Under investigation", lambda r: _yes_no(r["facts"].get("under_investigation"))),
    ("inadmissible_or_waiver", "Inadmissible or waiver", lambda r: _yes_no(r["facts"].get("inadmissible_or_waiver"))),
    ("background_details", "Background explanation", lambda r: r.get("background_details") or "—"),
)


def compare(submitted: dict, now: dict) -> list[Difference]:
    """The sensitive items whose text differs between two profile records, as submitted and now."""
    differences = []
    for key, label, text in SENSITIVE:
        before, after = text(submitted), text(now)
        if before != after:
            differences.append(Difference(key=key, label=label, submitted=before, now=after))
    return differences
