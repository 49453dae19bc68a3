"""Impact preview: what a draft rule set would change for the applications now pending, computed in the database
(the conditions compiled to SQL), so it takes seconds on a million applications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import OPEN, Status
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.rules import authoring
from trusted_traveler.rules.conditions import PARAMETER_KINDS, parameters_used
from trusted_traveler.rules.models import RuleSetVersion
from trusted_traveler.rules.service import resolve_params, rules_of, version_in_force
from trusted_traveler.rules.sql import outcome_expression
from trusted_traveler.scheduling.models import EnrollmentCenter

PENDING = sorted(s.value for s in OPEN if s is not Status.DRAFT)  # submitted and not yet decided


@dataclass
class Impact:
    base_label: str
    pending: int = 0
    changed: int = 0
    directions: dict[tuple[str, str], int] = field(default_factory=dict)  # (before, after) -> count
    by_center: dict[str, int] = field(default_factory=dict)  # changed applications per center
    samples: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (before, after) -> references


def outcomes(version: RuleSetVersion, as_of: dt.date, overrides: dict | None = None):
    """The CASE expression of `version`'s outcome per profile, with its parameters (and `overrides`) on as_of."""
    rules = rules_of(version)
    keys = set().union(*(parameters_used(r.condition) for r in rules)) if rules else set()
    params = resolve_params(version.rule_set.program, keys, as_of)
    params.update({k: v for k, v in (overrides or {}).items() if k in keys})
    return outcome_expression(rules, params, as_of, parameter_kinds=PARAMETER_KINDS)


def preview(draft: RuleSetVersion, *, as_of: dt.date, samples: int = 5) -> Impact:
    program = draft.rule_set.program
    base = version_in_force(program, as_of)
    before = outcomes(base, as_of).label("before")
    after = outcomes(draft, as_of, {p.key: p.value for p in authoring.proposals(draft)}).label("after")
    scope = and_(Application.program_id == program.id, Application.status.in_(PENDING))
    joined = select().select_from(Application).join(ApplicantProfile, Application.profile_id == ApplicantProfile.id)
    center = func.coalesce(EnrollmentCenter.name, "No center chosen yet").label("center")
    rows = db.session.execute(
        joined.add_columns(before, after, center, func.count().label("n"))
        .outerjoin(EnrollmentCenter, Application.enrollment_center_id == EnrollmentCenter.id)
        .where(scope)
        .group_by(before, after, center)
    ).all()
    impact = Impact(base_label=base.label)
    for old, new, center_name, count in rows:
        impact.pending += count
        if old != new:
            impact.changed += count
            impact.directions[(old, new)] = impact.directions.get((old, new), 0) + count
            impact.by_center[center_name] = impact.by_center.get(center_name, 0) + count
    for old, new in impact.directions:
        impact.samples[(old, new)] = list(
            db.session.scalars(
                joined.add_columns(Application.reference)
                .where(scope, before == old, after == new)
                .order_by(Application.id)
                .limit(samples)
            )
        )
    return impact
