"""Impact preview: what a draft rule set would change for the applications now pending, computed in the database
(the conditions compiled to SQL), so it takes a fraction of a second on a million applications.

Only an application whose profile some differing rule (of either version) fires for can change outcome: every other
rule is the same on both sides. So the preview works in one statement, in three steps:

1. candidates (a materialized CTE): the pending applications of the program, joined to their profiles, whose
   profile is among `rules.sql.candidate_profiles` of the differing rules (offense or citizenship rows; on
   PostgreSQL as ``= ANY(ARRAY(...))`` so that their applications are looked up through the profile_id index);
   when a differing rule cannot be narrowed so (an age, a flag, a `not`), those whose profile a differing rule
   fires for, which reads the whole tables;
2. judged: each distinct rule condition of the two versions evaluated once per candidate, its sub-queries
   restricted to the candidates (`within`, see rules.sql), so that a few rows are read through the profile_id
   indexes rather than whole tables hashed; every `exists` over offenses of both versions read in one grouped pass
   over the candidates' offense rows (`rules.sql.offense_flags`), LEFT JOINed to them;
3. both outcomes from those flags; the candidates whose outcome changes are counted by direction and center, and
   the first references of each direction (by application id) taken as samples; or every one of them listed
   (`affected`, the console's CSV download).

A test compares the result with judging every pending application through the engine.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import and_, any_, func, literal, null, or_, select, text, union, union_all

from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import OPEN, Status
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.programs.models import Program
from trusted_traveler.rules import authoring
from trusted_traveler.rules.conditions import PARAMETER_KINDS, canonical, parameters_used
from trusted_traveler.rules.models import RuleSetVersion
from trusted_traveler.rules.service import resolve_params, rules_of, version_in_force
from trusted_traveler.rules.sql import (
    FACT_COLUMNS,
    assessable,
    candidate_profiles,
    compile_condition,
    offense_flags,
    outcome_case,
    rule_condition,
    rule_outcome,
)
from trusted_traveler.scheduling.models import EnrollmentCenter

PENDING = sorted(s.value for s in OPEN if s is not Status.DRAFT)  # submitted and not yet decided
NO_CENTER = "No center chosen yet"


@dataclass
class Impact:
    base_label: str  # the version the draft replaces ...
    replaces_on: dt.date | None = None  # ... and the date it does (authoring.replaced_version)
    pending: int = 0
    changed: int = 0
    directions: dict[tuple[str, str], int] = field(default_factory=dict)  # (before, after) -> count
    by_center: dict[str, int] = field(default_factory=dict)  # changed applications per center
    samples: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (before, after) -> references


def _rules_and_params(version: RuleSetVersion, params_on: dt.date, overrides: dict | None = None):
    """The version's rules, and the values in force on `params_on` of the settings they read."""
    rules = rules_of(version)
    keys = set().union(*(parameters_used(r.condition) for r in rules)) if rules else set()
    params = resolve_params(version.rule_set.program, keys, params_on)
    params.update({k: v for k, v in (overrides or {}).items() if k in keys})
    return rules, params


def _differing(rules, params, other_rules, other_params) -> list:
    """The rules of one version that could decide differently from the other: new or changed rules, and rules
    whose parameters have other values."""
    others = {r.code: r for r in other_rules}
    found = []
    for rule in rules:
        twin = others.get(rule.code)
        used = parameters_used(rule.condition)
        if (
            twin is None
            or twin.condition != rule.condition
            or twin.outcome != rule.outcome
            or any(params.get(k) != other_params.get(k) for k in used)
        ):
            found.append(rule)
    return found


def _same_condition(rule, params) -> str:
    """A key equal for two rules exactly when their conditions, with the parameter values they use, are equal."""
    used = {k: params.get(k) for k in sorted(parameters_used(rule.condition))}
    return canonical(rule.condition) + json.dumps(used, sort_keys=True, default=str)


def _without_jit(session):
    """PostgreSQL compiles a query to machine code (JIT) when its estimated cost passes jit_above_cost. The
    preview's estimates are dominated by index look-ups per candidate, far above what it reads; compiling then
    took longer than the query (1.4 s of 1.7 s at 1,000,000 applications). Off for this transaction's statements
    until `restore` is called with the value returned."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.execute(text("SELECT current_setting('jit'), set_config('jit', 'off', true)")).first()[0]


def _restore_jit(session, previous) -> None:
    if previous is not None:
        session.execute(text("SELECT set_config('jit', :value, true)"), {"value": previous})


def preview(draft: RuleSetVersion, *, as_of: dt.date, samples: int = 5) -> Impact:
    """Counts of pending applications whose outcome the draft would change, by direction and by center, with the
    first `samples` references of each direction. Equal to comparing both outcomes of every pending application.

    The draft is compared with the version it replaces on its effective date (authoring.replaced_version), with
    the settings in force on that date, not with today's: a published future-dated change in between would
    otherwise be counted as the draft's, or the draft's undoing of it missed. The applications are judged as they
    stand on `as_of` (ages and look-backs from today)."""
    impact, changed = _changed(draft, as_of)
    return _counted(impact, changed, _pending(draft), samples)


def shared_previews(draft: RuleSetVersion, *, as_of: dt.date, samples: int = 5) -> list[tuple[str, Impact]]:
    """For a draft that proposes a setting shared by every program (the age of majority), the same counts for each
    other program: its version in force on the day the draft takes over, judged with the values in force then and
    again with the draft's shared values. (program name, Impact) pairs; none when the draft proposes no shared
    setting. Publishing the draft changes these too, so the console shows them beside the draft's own."""
    shared = {
        p.key: p.value
        for p in authoring.proposals(draft)
        if p.key in authoring.SETTINGS and authoring.SETTINGS[p.key].shared
    }
    if not shared:
        return []
    _, replaces_on = authoring.replaced_version(draft, today=as_of)
    found = []
    others = db.session.scalars(
        select(Program).where(Program.id != draft.rule_set.program_id).order_by(Program.id)
    ).all()
    for program in others:
        in_force = version_in_force(program, replaces_on)
        if in_force is None:
            continue
        old_rules, old_params = _rules_and_params(in_force, replaces_on)
        new_rules, new_params = _rules_and_params(in_force, replaces_on, shared)
        impact = Impact(base_label=in_force.label, replaces_on=replaces_on)
        changed = _changed_between(program.id, (old_rules, old_params), (new_rules, new_params), as_of)
        found.append((program.name, _counted(impact, changed, _pending_in(program.id), samples)))
    return found


def _counted(impact: Impact, changed, scope, samples: int) -> Impact:
    """Fill `impact` with the pending applications in `scope` and the counts and samples of `changed`."""
    impact.pending = db.session.scalar(select(func.count()).select_from(Application).where(scope))
    if changed is None:
        return impact
    center = func.coalesce(EnrollmentCenter.name, NO_CENTER)
    counts = (
        select(
            changed.c.before,
            changed.c.after,
            center.label("center"),
            func.count().label("n"),
            null().label("reference"),
            null().label("rank"),
        )
        .outerjoin(EnrollmentCenter, changed.c.center_id == EnrollmentCenter.id)
        .group_by(changed.c.before, changed.c.after, center)
    )
    ranked = select(
        changed.c.before,
        changed.c.after,
        changed.c.reference,
        func.row_number()
        .over(partition_by=(changed.c.before, changed.c.after), order_by=changed.c.application_id)
        .label("rank"),
    ).subquery("ranked")
    firsts = select(ranked.c.before, ranked.c.after, null(), null(), ranked.c.reference, ranked.c.rank).where(
        ranked.c.rank <= literal(samples)
    )
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for old, new, center_name, count, reference, rank in _run(union_all(counts, firsts)):
        if reference is None:
            impact.changed += count
            impact.directions[(old, new)] = impact.directions.get((old, new), 0) + count
            impact.by_center[center_name] = impact.by_center.get(center_name, 0) + count
        else:
            found.setdefault((old, new), []).append((rank, reference))
    for direction in impact.directions:
        impact.samples[direction] = [reference for _, reference in sorted(found.get(direction, []))]
    return impact


def affected(draft: RuleSetVersion, *, as_of: dt.date) -> list:
    """Every pending application whose outcome the draft would change, in the order they were made: its
    reference, status, center (or NO_CENTER), and outcome with the version replaced (`before`) and with the draft
    (`after`); the rows `preview` counts, judged the same way (None where the rules cannot judge)."""
    _, changed = _changed(draft, as_of)
    if changed is None:
        return []
    return _run(
        select(
            changed.c.reference,
            Application.status,
            func.coalesce(EnrollmentCenter.name, NO_CENTER).label("center"),
            changed.c.before,
            changed.c.after,
        )
        .join(Application, Application.id == changed.c.application_id)
        .outerjoin(EnrollmentCenter, changed.c.center_id == EnrollmentCenter.id)
        .order_by(changed.c.application_id)
    )


def _pending(draft: RuleSetVersion):
    return _pending_in(draft.rule_set.program_id)


def _pending_in(program_id: int):
    return and_(Application.program_id == program_id, Application.status.in_(PENDING))


def _run(statement) -> list:
    jit = _without_jit(db.session)
    try:
        return db.session.execute(statement).all()
    finally:
        _restore_jit(db.session, jit)


def _changed(draft: RuleSetVersion, as_of: dt.date):
    """The Impact to fill (the versions compared), and the statement's `changed` CTE: each pending application
    whose outcome differs, with its id, reference, center and both outcomes; None when no rule differs."""
    base, replaces_on = authoring.replaced_version(draft, today=as_of)
    old = _rules_and_params(base, replaces_on)
    new = _rules_and_params(draft, replaces_on, {p.key: p.value for p in authoring.proposals(draft)})
    impact = Impact(base_label=base.label, replaces_on=replaces_on)
    return impact, _changed_between(draft.rule_set.program_id, old, new, as_of)


def _changed_between(program_id: int, old, new, as_of: dt.date):
    """The `changed` CTE for the pending applications of the program between two (rules, params) pairs; None when
    no rule differs."""
    (old_rules, old_params), (new_rules, new_params) = old, new
    differing = [
        (rule, params)
        for rules, params, other_rules, other_params in (
            (old_rules, old_params, new_rules, new_params),
            (new_rules, new_params, old_rules, old_params),
        )
        for rule in _differing(rules, params, other_rules, other_params)
        if rule.outcome != "condition"
    ]
    scope = _pending_in(program_id)
    if not differing:
        return None
    kinds = PARAMETER_KINDS

    # 1. the candidates
    narrowed = [candidate_profiles(rule.condition, params, as_of, parameter_kinds=kinds) for rule, params in differing]
    if all(q is not None for q in narrowed):
        queries = [q for found in narrowed for q in found]
        profile_ids = queries[0] if len(queries) == 1 else union(*queries)
        if db.session.get_bind().dialect.name == "postgresql":
            # = ANY(ARRAY(...)): PostgreSQL cannot estimate the array, so it looks the few profile ids up through
            # the profile_id index of applications; with IN it hashed them and read every application instead
            # (at 1,000,000 applications, 14,260 ids: about 110 ms against 200 to 300 ms).
            restriction = Application.profile_id == any_(func.array(profile_ids.scalar_subquery()))
        else:
            restriction = Application.profile_id.in_(profile_ids)
    else:
        restriction = or_(
            *(compile_condition(rule.condition, params, as_of, parameter_kinds=kinds) for rule, params in differing)
        )
    candidates = (
        select(
            Application.id.label("application_id"),
            Application.reference,
            Application.enrollment_center_id.label("center_id"),
            ApplicantProfile.id.label("profile_id"),
            *(getattr(ApplicantProfile, name).label(name) for name in FACT_COLUMNS),
        )
        .join(ApplicantProfile, Application.profile_id == ApplicantProfile.id)
        .where(scope, assessable(as_of), restriction)
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    within = candidates if all(q is not None for q in narrowed) else None

    # 2. every distinct condition of both versions, once per candidate; their offense rows read in one grouped pass
    profile = SimpleNamespace(id=candidates.c.profile_id, **{name: candidates.c[name] for name in FACT_COLUMNS})
    versions = ((old_rules, old_params), (new_rules, new_params))
    for rules, _ in versions:
        for rule in rules:
            rule_outcome(rule)
    offenses = offense_flags(
        [(rule.condition, params) for rules, params in versions for rule in rules],
        as_of,
        within=within,
        parameter_kinds=kinds,
    )
    flags: dict[str, tuple[str, object]] = {}  # condition key -> (column name, compiled condition)
    for rules, params in versions:
        for rule in rules:
            key = _same_condition(rule, params)
            if key not in flags:
                compiled = rule_condition(
                    rule, params, as_of, profile=profile, parameter_kinds=kinds, within=within, offense_flags=offenses
                )
                flags[key] = (f"r{len(flags)}", compiled)
    judged_from = candidates
    if offenses.table is not None:
        judged_from = candidates.outerjoin(offenses.table, offenses.table.c.profile_id == candidates.c.profile_id)
    judged = (
        select(
            candidates.c.application_id,
            candidates.c.reference,
            candidates.c.center_id,
            candidates.c.date_of_birth,
            *(compiled.label(name) for name, compiled in flags.values()),
        )
        .select_from(judged_from)
        .cte("judged")
        .prefix_with("MATERIALIZED")
    )

    # 3. both outcomes; the applications whose outcome changes (counted and sampled by `preview`)
    def outcome(rules, params):
        fired = [(r.outcome, judged.c[flags[_same_condition(r, params)][0]]) for r in rules if r.outcome != "condition"]
        return outcome_case(fired, as_of, profile=SimpleNamespace(date_of_birth=judged.c.date_of_birth))

    before, after = outcome(old_rules, old_params), outcome(new_rules, new_params)
    changed = (
        select(
            judged.c.application_id,
            judged.c.reference,
            judged.c.center_id,
            before.label("before"),
            after.label("after"),
        )
        .where(before.is_distinct_from(after))
        .cte("changed")
    )
    return changed
