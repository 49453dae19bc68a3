"""What a draft changes, in plain words: rules added, removed or changed, and settings proposed."""

from __future__ import annotations

import datetime as dt

from trusted_traveler.errors import NotFound
from trusted_traveler.programs.service import parameter_value
from trusted_traveler.rules.describe import describe


def _label(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def changes(base, draft, proposals, *, today: dt.date) -> list[str]:
    """Sentences describing how `draft` (with its proposed settings) differs from `base`."""
    lines: list[str] = []
    before = {r.code: r for r in (base.rules if base else [])}
    after = {r.code: r for r in draft.rules}
    for code, rule in after.items():
        old = before.get(code)
        if old is None:
            lines.append(f"New rule {code} ({rule.outcome.replace('_', ' ')}): when {describe(rule.condition)}.")
            continue
        if old.condition != rule.condition:
            lines.append(
                f"Rule {code} now applies when {describe(rule.condition)} (before: when {describe(old.condition)})."
            )
        if old.outcome != rule.outcome:
            lines.append(
                f"Rule {code} now makes the applicant {rule.outcome.replace('_', ' ')} "
                f"(before: {old.outcome.replace('_', ' ')})."
            )
        if old.message_en != rule.message_en:
            lines.append(f"Rule {code} has a new English message: “{rule.message_en}”")
        if old.message_es != rule.message_es:
            lines.append(f"Rule {code} has a new Spanish message: “{rule.message_es}”")
        if (old.citation or "") != (rule.citation or ""):
            lines.append(f"Rule {code} now cites {rule.citation or 'nothing'} (before: {old.citation or 'nothing'}).")
    for code in before.keys() - after.keys():
        lines.append(f"Rule {code} is removed.")
    program = draft.rule_set.program
    for proposal in proposals:
        try:
            current = _label(parameter_value(program if proposal.program_id else None, proposal.key, today))
        except NotFound:
            current = "not set"
        lines.append(
            f"Setting “{proposal.key.replace('_', ' ')}” becomes {_label(proposal.value)} "
            f"(now {current}); source: {proposal.reference}."
        )
    return lines
