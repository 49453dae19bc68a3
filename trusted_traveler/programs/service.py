"""Programs and their dated parameters (fees, validity, windows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

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


def parameter_in_force_since(program: Program | None, key: str, on: dt.date) -> dt.date | None:
    """The day the value parameter_value gives on `on` took effect (None when none is in force): the effective date
    of its row, or later, the day a temporary version whose proposed value had taken its place ended, giving it back.
    For a page that says since when what it shows has been in force."""
    in_force = and_(
        RuleSetVersion.status == "published",
        or_(RuleSetVersion.effective_until.is_(None), RuleSetVersion.effective_until > on),
    )
    owner = Parameter.program_id == program.id if program else Parameter.program_id.is_(None)
    row = db.session.execute(
        select(Parameter.id, Parameter.effective_from)
        .where(owner, Parameter.key == key, Parameter.effective_from <= on)
        .where(or_(Parameter.version_id.is_(None), Parameter.version.has(in_force)))
        .order_by(Parameter.effective_from.desc(), Parameter.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    # A value proposed by a version that had taken over from this row (a later date, or the same date and a later
    # row) and whose version has ended since: this row's value came back on the version's end date.
    gave_back = db.session.scalar(
        select(func.max(RuleSetVersion.effective_until))
        .join(Parameter, Parameter.version_id == RuleSetVersion.id)
        .where(owner, Parameter.key == key, Parameter.effective_from <= on)
        .where(
            or_(
                Parameter.effective_from > row.effective_from,
                and_(Parameter.effective_from == row.effective_from, Parameter.id > row.id),
            )
        )
        .where(RuleSetVersion.status == "published", RuleSetVersion.effective_until <= on)
        .where(RuleSetVersion.effective_until > row.effective_from)
    )
    return max(row.effective_from, gave_back) if gave_back else row.effective_from


def parameter_periods(program: Program, key: str) -> list[tuple[dt.date, dt.date | None, object]]:
    """A dated parameter's values over time, as (from, until, value) in date order: each period runs from its first
    day to the day before `until` (None: no end), and `value` is what parameter_value gives on every day of it (None
    where nothing is in force); before the first period there is no value. parameter_value changes only on a value's
    effective date or on the end date of the version that proposed it, so those days bound the periods. For a job
    that compares every row's date with the value in force on it in one statement (memberships.service)."""
    rows = db.session.execute(
        select(Parameter.effective_from, Parameter.version_id).where(
            Parameter.key == key, Parameter.program_id == program.id
        )
    ).all()
    days = {row.effective_from for row in rows}
    versions = {row.version_id for row in rows if row.version_id is not None}
    if versions:
        days |= set(
            db.session.scalars(
                select(RuleSetVersion.effective_until).where(
                    RuleSetVersion.id.in_(versions), RuleSetVersion.effective_until.is_not(None)
                )
            )
        )
    bounds = sorted(days)
    periods = []
    for start, until in zip(bounds, [*bounds[1:], None][: len(bounds)], strict=True):
        try:
            value = parameter_value(program, key, start)
        except NotFound:
            value = None
        periods.append((start, until, value))
    return periods


def fee_for(program: Program, on: dt.date, *, kind: str = "new") -> Decimal:
    key = "fee_renewal" if kind == "renewal" else "fee_new"
    return Decimal(str(parameter_value(program, key, on))).quantize(Decimal("0.01"))
