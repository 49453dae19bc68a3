"""The program lead's console: programs, rule-set versions, rules in plain words, and dated parameters."""

from __future__ import annotations

import datetime as dt

from flask import abort, render_template
from sqlalchemy import select

from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import list_programs
from trusted_traveler.rules.describe import describe
from trusted_traveler.rules.models import Parameter, RuleSet, RuleSetVersion
from trusted_traveler.rules.service import version_in_force
from trusted_traveler.web.rules_console import bp


@bp.get("/")
@require(Permission.MANAGE_RULES)
def overview():
    today = dt.date.today()
    programs = []
    for program in list_programs():
        rule_set = db.session.scalar(select(RuleSet).where(RuleSet.program_id == program.id))
        parameters = db.session.scalars(
            select(Parameter)
            .where((Parameter.program_id == program.id) | Parameter.program_id.is_(None))
            .order_by(Parameter.key, Parameter.effective_from.desc())
        ).all()
        history: dict[str, list[Parameter]] = {}
        for parameter in parameters:
            history.setdefault(parameter.key, []).append(parameter)
        programs.append(
            {
                "program": program,
                "versions": rule_set.versions if rule_set else [],
                "in_force": version_in_force(program, today),
                "parameters": history,
            }
        )
    return render_template("rules_console/overview.html", programs=programs, today=today)


@bp.get("/versions/<label>")
@require(Permission.MANAGE_RULES)
def version(label: str):
    found = db.session.scalar(select(RuleSetVersion).where(RuleSetVersion.label == label))
    if found is None:
        abort(404)
    rules = [{"rule": r, "plain": describe(r.condition)} for r in found.rules]
    return render_template("rules_console/version.html", version=found, rules=rules)
