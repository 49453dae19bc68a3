"""Trying the public check's answers under a chosen version, in the rules console: a draft, one in review or one
published to take effect later, which the public check cannot be asked about (it answers by published versions
only, and its `as_of` cannot be in the future). The answer itself is `rules.service.check_eligibility_with`: the
public check's body, through the same engine, fees and recommendation; this module says which versions can be
tried, on which dates, and whether the public check would really use the version on the date chosen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from trusted_traveler.extensions import db
from trusted_traveler.programs.service import list_programs
from trusted_traveler.rules import authoring
from trusted_traveler.rules.models import RuleSet, RuleSetVersion
from trusted_traveler.rules.service import version_in_force


def versions_to_try(today: dt.date) -> list[RuleSetVersion]:
    """By program: its open change (a draft or one in review), its published versions that take effect after
    `today` (soonest first), and the version in force today (to compare). Versions that have had their day, and
    retired ones, are not offered."""
    found: list[RuleSetVersion] = []
    for program in list_programs():
        open_change = authoring.open_draft(program)
        if open_change is not None:
            found.append(open_change)
        found.extend(
            db.session.scalars(
                select(RuleSetVersion)
                .join(RuleSet, RuleSetVersion.rule_set_id == RuleSet.id)
                .where(
                    RuleSet.program_id == program.id,
                    RuleSetVersion.status == "published",
                    RuleSetVersion.effective_from > today,
                )
                .order_by(RuleSetVersion.effective_from, RuleSetVersion.number)
            )
        )
        in_force = version_in_force(program, today)
        if in_force is not None:
            found.append(in_force)
    return found


def can_try(version: RuleSetVersion, *, today: dt.date, in_force: RuleSetVersion | None) -> bool:
    """Whether `version` is among versions_to_try(today); `in_force`: its program's version in force today."""
    if version.status in ("draft", "in_review"):
        return True
    if version.status != "published":
        return False
    return version.effective_from > today or (in_force is not None and in_force.id == version.id)


def choice_label(version: RuleSetVersion, today: dt.date) -> str:
    """How a version is named in the list to choose from: its program, label, status and dates."""
    name = f"{version.rule_set.program.name}: {version.label}"
    if version.status == "published" and version.effective_from <= today:
        return f"{name} (in force today)"
    status = version.status.replace("_", " ")
    if version.effective_from is None:
        return f"{name} ({status}, no effective date yet)"
    until = f" until {version.effective_until.isoformat()}" if version.effective_until else ""
    return f"{name} ({status}, takes effect {version.effective_from.isoformat()}{until})"


def default_date(version: RuleSetVersion, today: dt.date) -> dt.date:
    """The first day the public check would answer by `version`: its effective date, or today when that has passed
    or there is none yet (a draft)."""
    if version.effective_from is not None and version.effective_from > today:
        return version.effective_from
    return today


def date_problem(version: RuleSetVersion, as_of: dt.date, today: dt.date) -> str | None:
    """Why `version` cannot be tried on `as_of`, in plain words, or None: a day before today (the public check
    answers about the days behind us by the versions that were in force then), or outside the version's dates."""
    if as_of < today:
        return f"Choose today ({today.isoformat()}) or a later day."
    if version.effective_from is not None and as_of < version.effective_from:
        return f"{version.label} takes effect on {version.effective_from.isoformat()}: choose that day or a later one."
    if version.effective_until is not None and as_of >= version.effective_until:
        return f"{version.label} ends on {version.effective_until.isoformat()}: choose a day before it."
    return None


def in_force_instead(version: RuleSetVersion, as_of: dt.date) -> RuleSetVersion | None:
    """The published version the public check would use on `as_of` instead of `version`, had `version` been
    published with its dates (a later version has taken over by then, say), or None when it would use `version`.
    A draft has no dates yet: it is tried as if it were in force on the day chosen (None)."""
    if version.effective_from is None:
        return None
    holding = [
        v
        for v in (*authoring.published_versions(version.rule_set_id, excluding=version.id), version)
        if v.effective_from <= as_of and (v.effective_until is None or as_of < v.effective_until)
    ]
    if not holding:
        return None
    winner = max(holding, key=lambda v: (v.effective_from, v.number))
    return None if winner.id == version.id else winner
