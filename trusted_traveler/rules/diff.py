"""What a draft changes, in plain words: rules added, removed or changed, and settings proposed."""

from __future__ import annotations

import datetime as dt

from trusted_traveler.programs.service import parameter_in_force_since
from trusted_traveler.rules.authoring import SETTINGS, applies_to, said_day, setting_label, shown_value, value_on
from trusted_traveler.rules.describe import describe


def _current(program, key: str, *, today: dt.date, on: dt.date) -> str:
    """A setting's value in force today, and, when another published value takes its place before the draft's
    date `on` (a version published for later), that one too and from when: "now 18; from January 1, 2027 it is
    19". The value the draft replaces is the one in force just before `on`."""
    now = value_on(program, key, today)
    said = f"now {now}" if now is not None else "no value is in force now"
    last = on - dt.timedelta(days=1)
    if last <= today:
        return said
    then = value_on(program, key, last)
    if then is None or then == now:
        return said
    since = parameter_in_force_since(program, key, last)
    return f"{said}; from {said_day(since)} it is {then}"


def changes(base, draft, proposals, *, today: dt.date, on: dt.date) -> list[str]:
    """Sentences describing how `draft` (with its proposed settings) differs from `base`, the version it replaces
    on `on`. A setting's value is said as it is `today`, and as it is just before `on` when that differs."""
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
        name = setting_label(proposal.key)
        if not applies_to(proposal.key, program.code):  # kept from before the check: never published as it is
            lines.append(
                f"Setting “{name}” does not apply to {program.name}: it cannot be sent for review or published with "
                "this version. Withdraw it."
            )
            continue
        shared = SETTINGS[proposal.key].shared
        current = _current(None if shared else program, proposal.key, today=today, on=on)
        if shared:
            lines.append(
                f"Setting “{name}”, shared by TSA PreCheck and Global Entry, becomes {shown_value(proposal.value)} "
                f"({current}) for both programs; source: {proposal.reference}."
            )
        else:
            lines.append(
                f"Setting “{name}” for {program.name} becomes {shown_value(proposal.value)} ({current}); "
                f"source: {proposal.reference}."
            )
    return lines
