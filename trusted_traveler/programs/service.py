"""Programs and their dated parameters (fees, validity, windows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, or_, select

from trusted_traveler.errors import NotFound
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.rules.models import Parameter, RuleSetVersion


def get_program(code: str) -> Program:
    program = db.session.scalar(select(Program).where(Program.code == code))
    if program is None:
        raise NotFound(f"There is no program called {code!r}.")
    return program


def list_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.id)))


def parameter_value(program: Program | None, key: str, on: dt.date):
    """The value of a dated parameter in force on `on` (the latest effective_from not after it).

    A value proposed in a rule-set version counts only once the version is published, and ends with it: not on
    the day a later version takes over (a later version that does not change the value keeps it), but on the
    version's own end date, when a temporary version has one; the value before it is in force again from then."""
    in_force = and_(
        RuleSetVersion.status == "published",
        or_(RuleSetVersion.effective_until.is_(None), RuleSetVersion.effective_until > on),
    )
    stmt = (
        select(Parameter.value)
        .where(Parameter.key == key, Parameter.effective_from <= on)
        .where(or_(Parameter.version_id.is_(None), Parameter.version.has(in_force)))
        .order_by(Parameter.effective_from.desc(), Parameter.id.desc())
        .limit(1)
    )
    stmt = (
        stmt.where(Parameter.program_id == (program.id if program else None))
        if program
        else stmt.where(Parameter.program_id.is_(None))
    )
    value = db.session.scalar(stmt)
    if value is None:
        raise NotFound(f"No value for {key!r} is in force on {on.isoformat()}.")
    return value


def fee_for(program: Program, on: dt.date, *, kind: str = "new") -> Decimal:
    key = "fee_renewal" if kind == "renewal" else "fee_new"
    return Decimal(str(parameter_value(program, key, on))).quantize(Decimal("0.01"))
