"""Queue queries for officers: named queues, filters, and keyset pagination (no OFFSET, so page 10,000 costs what
page 1 does), sorted by priority, then by how long the case has waited in its present state. They only read, but
for one write: a page listed for an officer names its applicants, so `list_queue` records the view of each."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, exists, func, select, text, tuple_

from trusted_traveler import replica
from trusted_traveler.audit.record import record_views
from trusted_traveler.auth.models import Account, RoleGrant, account_label
from trusted_traveler.auth.roles import Role
from trusted_traveler.casework.models import (
    AWAITING_SQL,
    NEEDS_OFFICER_SQL,
    QUEUE_ORDER,
    WORKING_SQL,
    Application,
    InfoRequest,
)
from trusted_traveler.casework.states import AWAITING_APPLICANT, NEEDS_OFFICER
from trusted_traveler.db import ID_MAX, from_micros, service_date, service_zone, to_micros
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import ApplicantProfile, full_name
from trusted_traveler.programs.models import Program
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import local_time

QUEUE_LABELS = {
    "unassigned": "Unassigned",
    "mine": "Assigned to me",
    "awaiting_applicant": "Awaiting the applicant",
    "today": "Today's interviews",
}
# Supervisors also have one officer's open cases, the officer chosen as a filter (the workload page links each row
# here): the officers' own index (assigned officer, then queue order) reads it, so it pages as "mine" does.
SUPERVISOR_QUEUE_LABELS = {**QUEUE_LABELS, "officer": "An officer's cases"}
PAGE_SIZE = 50
COUNT_CAP = 1000  # a tab counts its cases up to here, then says "1,000+": counting 500,000 would cost 100 ms a page
# Each queue's rows, written as the literal SQL of its partial index (casework/models.py) so the planner uses it.
_QUEUE_WHERE = {
    "unassigned": lambda officer_id: text(
        f"applications.assigned_officer_id IS NULL AND applications.{NEEDS_OFFICER_SQL}"
    ),
    "mine": lambda officer_id: and_(Application.assigned_officer_id == officer_id, text(f"applications.{WORKING_SQL}")),
    "awaiting_applicant": lambda officer_id: text(f"applications.{AWAITING_SQL}"),
}


@dataclass(frozen=True)
class QueueFilters:
    program: str | None = None
    center_id: int | None = None
    status: str | None = None
    min_days: int | None = None
    overdue_only: bool = False
    officer_id: int | None = None  # whose cases the supervisors' "officer" queue lists (no other queue reads it)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


@dataclass(frozen=True)
class QueueRow:
    """What a queue row shows, as plain values (no ORM objects: 50 rows of them cost a fifth of the page)."""

    id: int
    reference: str
    priority: int
    applicant: str
    program_code: str
    program_name: str
    status: str
    officer: str | None  # the assigned officer's label
    days_waiting: int
    overdue_since: dt.date | None
    appointment_at: dt.datetime | None = None
    # the applicant changed an answer after submitting and the rules now judge them worse (casework.changes)
    eligibility_worse: bool = False
    # the officer reading the queue is the applicant: listed (another officer decides it), not offered to them
    own: bool = False


# What a queue row shows, in one joined statement of those columns only: not the eligibility snapshot or the
# profile's other fields, which the case page reads.
_ROW_COLUMNS = (
    Application.id,
    Application.reference,
    Application.priority,
    Application.status,
    Application.status_entered_at,
    Application.eligibility_worse_since,
    Program.code.label("program_code"),
    Program.name.label("program_name"),
    ApplicantProfile.given_names,
    ApplicantProfile.middle_names,
    ApplicantProfile.surname,
    ApplicantProfile.account_id.label("applicant_account_id"),
    Account.display_name,
    Account.email,
)


def _joined(stmt):
    """A statement of _ROW_COLUMNS from applications, joined to what they show."""
    return (
        stmt.join(ApplicantProfile, ApplicantProfile.id == Application.profile_id)
        .join(Program, Program.id == Application.program_id)
        .outerjoin(Account, Account.id == Application.assigned_officer_id)
    )


def _row(found, today: dt.date, officer_id: int, overdue_since=None, appointment_at=None) -> QueueRow:
    return QueueRow(
        id=found.id,
        reference=found.reference,
        priority=found.priority,
        applicant=full_name(found.given_names, found.middle_names, found.surname),
        program_code=found.program_code,
        program_name=found.program_name,
        status=found.status,
        officer=account_label(found.display_name, found.email) if found.email else None,
        days_waiting=(today - service_date(found.status_entered_at)).days,  # both the service's days
        overdue_since=overdue_since,
        appointment_at=appointment_at,
        eligibility_worse=found.eligibility_worse_since is not None,
        own=found.applicant_account_id == officer_id,
    )


def _overdue_clause(today: dt.date):
    return exists().where(
        InfoRequest.application_id == Application.id, InfoRequest.answered_at.is_(None), InfoRequest.due_on < today
    )


def encode_cursor(application) -> str:
    """The cursor after `application` (an Application or a queue row with its priority, entered time and id)."""
    return _cursor_text(application.priority, application.status_entered_at, application.id)


def _cursor_text(priority: int, at: dt.datetime, ident: int) -> str:
    return f"{priority}.{to_micros(at)}.{ident}"


def decode_cursor(cursor: str | None) -> tuple[int, dt.datetime, int] | None:
    """A page cursor, or None for the first page: a malformed cursor also starts from the first page, and so does
    one whose numbers the database's integers cannot hold (an edited link, which PostgreSQL would refuse)."""
    try:
        priority, micros, ident = (int(part) for part in (cursor or "").split("."))
        if abs(priority) > ID_MAX or not 0 < ident <= ID_MAX:
            return None
        return priority, from_micros(micros), ident
    except (ValueError, OverflowError, OSError):
        return None


def _apply_filters(stmt, filters: QueueFilters, today: dt.date):
    """`stmt` reads applications joined to their programs (_joined)."""
    if filters.program:
        stmt = stmt.where(Program.code == filters.program)
    if filters.center_id:
        stmt = stmt.where(Application.enrollment_center_id == filters.center_id)
    if filters.status:
        stmt = stmt.where(Application.status == filters.status)
    if filters.min_days:
        # the end of that service day (in SERVICE_TIMEZONE, as days_waiting counts), not of the UTC day
        cutoff = dt.datetime.combine(today - dt.timedelta(days=filters.min_days), dt.time.max, tzinfo=service_zone())
        stmt = stmt.where(Application.status_entered_at <= cutoff)
    if filters.overdue_only:
        stmt = stmt.where(_overdue_clause(today))
    return stmt


def list_queue(
    name: str, *, officer, filters: QueueFilters, today: dt.date, cursor: str | None = None, limit: int = PAGE_SIZE
) -> QueuePage:
    """One page of a named queue, recorded as seen by `officer`: the page names each applicant, so each row is a
    `queue.viewed` audit event on its application, with the queue and the page's cursor (one INSERT for the page;
    nothing for an empty page), and "who looked at TT-…" finds the queue as it finds the case page. The caller
    commits. Raises KeyError for an unknown queue name."""
    paging: dict[str, str] = {}
    if name == "today":  # one page
        page = _todays_interviews(officer=officer, filters=filters, today=today)
    else:
        after = decode_cursor(cursor)
        page = _queue_page(name, officer=officer, filters=filters, today=today, after=after, limit=limit)
        if after is not None:  # the cursor as the page read it, not an edited link's text (leading zeros and all)
            paging["after"] = _cursor_text(*after)
    record_views("queue.viewed", "application", [row.reference for row in page.rows], by=officer, queue=name, **paging)
    return page


def _queue_page(
    name: str, *, officer, filters: QueueFilters, today: dt.date, after: tuple[int, dt.datetime, int] | None, limit: int
) -> QueuePage:
    if name == "officer":
        base = and_(Application.assigned_officer_id == filters.officer_id, text(f"applications.{WORKING_SQL}"))
    else:
        base = _QUEUE_WHERE[name](officer.id)
    stmt = _apply_filters(_joined(select(*_ROW_COLUMNS)).where(base), filters, today)
    if after is not None:
        priority, at, ident = after
        # One row comparison in the index's own order (-priority, entered, id): the scan starts at the cursor, so a
        # page 10,000 deep costs what the first does.
        stmt = stmt.where(tuple_(*QUEUE_ORDER) > (-priority, at, ident))
    # The page size written into the statement, not sent as a parameter: PostgreSQL then plans the prepared
    # statement once (a generic plan), where "LIMIT $1" had it plan afresh each time (1.7 ms of a 2 ms query)
    page_size = bindparam("page_size", limit + 1, literal_execute=True)
    found = replica.read(stmt.order_by(*QUEUE_ORDER).limit(page_size)).all()
    more = len(found) > limit
    found = found[:limit]
    # Only a case waiting on the applicant has an unanswered request (answering, or deciding, moves it on).
    overdue = _overdue_dates([f.id for f in found if f.status in AWAITING_APPLICANT], today)
    officer_id = officer.id  # once, not through the current_user proxy for each row
    rows = [_row(f, today, officer_id, overdue.get(f.id)) for f in found]
    return QueuePage(rows, encode_cursor(found[-1]) if more else None)


def _overdue_dates(application_ids: list[int], today: dt.date) -> dict[int, dt.date]:
    if not application_ids:
        return {}
    rows = replica.read(
        select(InfoRequest.application_id, func.min(InfoRequest.due_on))
        .where(
            InfoRequest.application_id.in_(application_ids),
            InfoRequest.answered_at.is_(None),
            InfoRequest.due_on < today,
        )
        .group_by(InfoRequest.application_id)
    )
    return dict(rows.all())


def _todays_interviews(*, officer, filters: QueueFilters, today: dt.date) -> QueuePage:
    """Booked or checked-in appointments on today's date in each center's own time zone."""
    start = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(hours=14)
    end = dt.datetime.combine(today, dt.time.max, tzinfo=dt.UTC) + dt.timedelta(hours=14)
    stmt = (
        _joined(
            select(*_ROW_COLUMNS, Slot.starts_at, EnrollmentCenter.tz_name)
            .select_from(Appointment)
            .join(Slot, Appointment.slot_id == Slot.id)
            .join(EnrollmentCenter, EnrollmentCenter.id == Slot.center_id)
            .join(Application, Appointment.application_id == Application.id)
        )
        .where(Appointment.status.in_(("booked", "checked_in")), Slot.starts_at.between(start, end))
        .order_by(Slot.starts_at, Appointment.id)
    )
    if filters.center_id:
        stmt = stmt.where(Slot.center_id == filters.center_id)
    stmt = _apply_filters(stmt, QueueFilters(program=filters.program, status=filters.status), today)
    rows = []
    for found in replica.read(stmt):
        local = local_time(found.starts_at, found)  # the center's own day (the row carries its tz_name)
        if local.date() == today:
            rows.append(_row(found, today, officer.id, appointment_at=local))
    return QueuePage(rows, None)


def queue_counts(*, officer, today: dt.date) -> dict[str, int]:
    """How many cases each list holds (the tabs show them), counted up to COUNT_CAP + 1: a figure above COUNT_CAP
    means "more than COUNT_CAP". One statement, each count reading at most that many index entries."""
    return dict(replica.read(_counts_statement(COUNT_CAP), {"officer_id": officer.id}).one()._mapping)


@functools.cache
def _counts_statement(cap: int):
    """queue_counts' statement counting up to `cap` + 1, built once a process (the officer is a parameter): building
    it and its cache key for every page was 2% of the officer queue's time."""
    officer_id = bindparam("officer_id", type_=Integer)
    capped = (
        select(func.count())
        .select_from(select(Application.id).where(where(officer_id)).limit(cap + 1).subquery())
        .scalar_subquery()
        .label(name)
        for name, where in _QUEUE_WHERE.items()
    )
    return select(*capped)


def count_label(count: int) -> str:
    """A tab's count as shown: 1,000+ above COUNT_CAP."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


@dataclass(frozen=True)
class Workload:
    officer_id: int
    officer: str  # how staff pages name the officer (account_label)
    open_cases: int
    needs_decision: int
    oldest: dt.datetime | None


def workload() -> list[Workload]:
    """For supervisors: each officer's open assigned cases, how many need a decision, and the oldest waiting."""
    needs = Application.status.in_([s.value for s in NEEDS_OFFICER])
    counts = (
        select(
            Application.assigned_officer_id.label("officer_id"),
            func.count().label("open_cases"),
            func.count().filter(needs).label("needs_decision"),
            func.min(Application.status_entered_at).label("oldest"),
        )
        .where(text(f"applications.{WORKING_SQL}"), Application.assigned_officer_id.is_not(None))
        .group_by(Application.assigned_officer_id)
        .subquery()
    )
    officers = (
        select(Account.id)
        .join(RoleGrant, RoleGrant.account_id == Account.id)
        .where(RoleGrant.role.in_((Role.OFFICER.value, Role.SUPERVISOR.value)))
        .distinct()
        .subquery()
    )
    rows = replica.read(
        select(
            Account.id,
            Account.display_name,
            Account.email,
            counts.c.open_cases,
            counts.c.needs_decision,
            counts.c.oldest,
        )
        .join(officers, officers.c.id == Account.id)
        .outerjoin(counts, counts.c.officer_id == Account.id)
        .order_by(func.coalesce(counts.c.open_cases, 0).desc(), Account.email)
    ).all()
    return [
        Workload(
            officer_id=row.id,
            officer=account_label(row.display_name, row.email),
            open_cases=row.open_cases or 0,
            needs_decision=row.needs_decision or 0,
            oldest=row.oldest,
        )
        for row in rows
    ]


def officers_for_assignment() -> list[Account]:
    return list(
        db.session.scalars(
            select(Account)
            .join(RoleGrant, RoleGrant.account_id == Account.id)
            .where(RoleGrant.role.in_((Role.OFFICER.value, Role.SUPERVISOR.value)))
            .distinct()
            .order_by(Account.email)
        )
    )
