"""Publishing a version in review, in two steps: the approving lead first reads what will be published (the
program, the label it takes, its dates, what it changes against the version it replaces and how many pending
applications would change outcome), then publishes exactly that. `confirmation` gathers the page; `publish` publishes
only from it, and only while the version and the version it replaces are still what that page showed
(`authoring.approve_and_publish` then checks the two-person rule and the dates, and writes the audit record)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _

from trusted_traveler.auth.models import Account
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.rules import authoring
from trusted_traveler.rules.diff import changes
from trusted_traveler.rules.impact import Impact, preview, shared_previews
from trusted_traveler.rules.models import RuleSetVersion
from trusted_traveler.rules.service import version_in_force

NONE_REPLACED = "none"


class NotConfirmed(BusinessRuleViolation):
    """A publication sent from anywhere but the confirmation page (it names no version replaced): nothing is done,
    and the lead is shown that page."""

    def __init__(self):
        super().__init__(_("Nothing was published yet: check what will be published, then press Publish."))


class ReplacedChanged(authoring.StaleVersion):
    """The version that `version` replaces on its effective date is not the one the confirmation page compared it
    with (that one was retired meanwhile, say): what the page said it changes no longer holds."""


def replaced_token(replaced: RuleSetVersion | None) -> str:
    """What the confirmation page carries of the version it compared with: its label and revision."""
    return f"{replaced.label}@{replaced.revision}" if replaced is not None else NONE_REPLACED


@dataclass
class Confirmation:
    version: RuleSetVersion
    program: Program
    published_as: str  # the label it takes when published (authoring.published_label)
    effective_from: dt.date
    effective_until: dt.date | None
    replaced: RuleSetVersion | None  # the version it replaces on its effective date ...
    replaces_on: dt.date  # ... and that date
    in_force_today: RuleSetVersion | None  # said too when it is not the one replaced (a later one waits)
    changes: list[str]  # rules.diff.changes: in plain words (rules.describe)
    impact: Impact  # rules.impact.preview: counts only, no applicant is named
    replaced_token: str  # what the page's form carries (replaced_token)
    today: dt.date
    submitted_by: str | None = None  # who sent it for review
    refusal: str | None = None  # why it cannot be published as it stands (its date has passed, say)
    # A shared setting it proposes (the age of majority) changes the other programs too: their counts, by name.
    shared_impacts: list[tuple[str, Impact]] = field(default_factory=list)
    # Another version not in force yet proposing the same shared setting: which value it proposes, and which one
    # holds once both are published (authoring.shared_setting_clashes). Said, not refused.
    shared_clashes: list[str] = field(default_factory=list)

    @property
    def days_ahead(self) -> int:
        """How many days from today it takes effect (0: today)."""
        return (self.effective_from - self.today).days


def confirmation(version: RuleSetVersion, *, by, today: dt.date) -> Confirmation:
    """What the confirmation page states. Refused (BusinessRuleViolation) for a version not in review, or to a lead
    the two-person rule keeps from approving it: the page offers publication only to a lead who may publish."""
    if version.status != "in_review":
        raise BusinessRuleViolation(_("Only a version in review can be published."))
    refusal = authoring.approval_refusal(version, by)
    if refusal:
        raise BusinessRuleViolation(refusal)
    program = version.rule_set.program
    replaced, replaces_on = authoring.replaced_version(version, today=today)
    submitter = db.session.get(Account, version.submitted_by_id) if version.submitted_by_id else None
    problem = None
    try:
        authoring.check_dates(version, version.effective_from, version.effective_until, today)
    except authoring.RuleError as exc:
        problem = exc.message
    problem = " ".join([problem or "", *authoring.proposal_problems(version)]).strip() or None
    return Confirmation(
        version=version,
        program=program,
        published_as=authoring.published_label(version),
        effective_from=version.effective_from,
        effective_until=version.effective_until,
        replaced=replaced,
        replaces_on=replaces_on,
        in_force_today=version_in_force(program, today),
        changes=changes(replaced, version, authoring.proposals(version), today=today, on=replaces_on),
        impact=preview(version, as_of=today),
        replaced_token=replaced_token(replaced),
        today=today,
        submitted_by=submitter.label if submitter is not None else None,
        refusal=problem,
        shared_impacts=shared_previews(version, as_of=today),
        shared_clashes=authoring.shared_setting_clashes(version, today=today),
    )


def publish(version: RuleSetVersion, *, by, today: dt.date, seen_revision: str | None, seen_replaced: str | None):
    """Publish `version` as the confirmation page showed it: `seen_revision` and `seen_replaced` are what its form
    carries. Refused, with nothing done, when they are missing (NotConfirmed), when the version changed since the
    page was loaded (authoring.StaleVersion, naming who changed it and when), or when it now replaces another
    version than the page compared it with (ReplacedChanged). Then authoring.approve_and_publish: the two-person
    rule, the dates, and the audit record `rules.published`."""
    if not (seen_replaced or "").strip():
        raise NotConfirmed()
    authoring.check_revision(version, seen_revision)
    replaced, replaces_on = authoring.replaced_version(version, today=today)
    if replaced_token(replaced) != seen_replaced.strip():
        now = replaced.label if replaced is not None else _("no version")
        raise ReplacedChanged(
            _(
                "The version this one replaces on %(date)s changed after your page was loaded: it is now %(label)s.",
                date=replaces_on.isoformat(),
                label=now,
            )
        )
    authoring.approve_and_publish(version, by=by, today=today)
