"""Queues: the right cases in each list, filters that narrow them, keyset pages that neither skip nor repeat, and
bulk assignment that checks every row."""

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.factories import create_account, create_application, create_officer, create_profile
from trusted_traveler.casework import assignment, decisions, queues
from trusted_traveler.casework.queues import (
    QueueFilters,
    count_label,
    decode_cursor,
    list_queue,
    queue_counts,
    workload,
)
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db

pytestmark = pytest.mark.usefixtures("app_ctx")


def hit_case(n: int, program="global_entry", *, days_ago=0):
    profile = create_profile(create_account(f"hit{n}@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application(program, profile=profile, submitted=True)
    application.status_entered_at = utcnow() - dt.timedelta(days=days_ago, minutes=n)
    return application


def refs(page):
    return [row.reference for row in page.rows]


def test_unassigned_lists_cases_needing_an_officer_by_priority_then_longest_waiting(today):
    officer = create_officer()
    old, new = hit_case(1, days_ago=10), hit_case(2, days_ago=1)
    urgent = hit_case(3, days_ago=0)
    urgent.priority = 5
    clean = create_application("global_entry", submitted=True)  # conditionally approved: nothing to decide
    db.session.flush()
    page = list_queue("unassigned", officer=officer, filters=QueueFilters(), today=today)
    assert refs(page) == [urgent.reference, old.reference, new.reference]
    assert clean.reference not in refs(page)
    assert page.rows[1].days_waiting == 10


def test_the_tabs_count_each_queue_up_to_the_cap_then_say_more(monkeypatch, today):
    officer = create_officer()
    cases = [hit_case(n) for n in range(7)]
    assignment.assign(cases[0], officer, by=officer)
    db.session.flush()
    assert queue_counts(officer=officer, today=today) == {"unassigned": 6, "mine": 1, "awaiting_applicant": 0}
    monkeypatch.setattr(queues, "COUNT_CAP", 3)
    counts = queue_counts(officer=officer, today=today)
    assert counts["unassigned"] == 4 and counts["mine"] == 1  # 6 waiting, read no further than one past the cap
    assert count_label(counts["unassigned"]) == "3+" and count_label(counts["mine"]) == "1"
    monkeypatch.setattr(queues, "COUNT_CAP", 1000)
    assert count_label(1001) == "1,000+" and count_label(1000) == "1,000"


def test_keyset_pages_cover_every_case_once_in_order(today):
    officer = create_officer()
    cases = [hit_case(n, days_ago=n % 4) for n in range(7)]
    cases[2].priority = 1
    db.session.flush()
    seen, cursor = [], None
    while True:
        page = list_queue("unassigned", officer=officer, filters=QueueFilters(), today=today, cursor=cursor, limit=3)
        seen += refs(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    whole = refs(list_queue("unassigned", officer=officer, filters=QueueFilters(), today=today, limit=100))
    assert seen == whole and sorted(seen) == sorted(c.reference for c in cases)
    assert decode_cursor("garbage") is None  # a bad cursor starts from the first page


def test_a_cursor_holds_its_instant_to_the_microsecond():
    """The cursor's time went through a float and came out a microsecond short for some instants (about one in five
    from 2039): the page's last case then showed again at the top of the next page."""
    for micros in range(0, 1000, 7):
        at = dt.datetime(2039, 6, 1, 12, 0, 0, micros, tzinfo=dt.UTC)
        cursor = queues.encode_cursor(SimpleNamespace(priority=1, status_entered_at=at, id=42))
        assert decode_cursor(cursor) == (1, at, 42)


def test_filters_by_program_status_days_and_overdue(today):
    officer = create_officer()
    ge, pc = hit_case(1, days_ago=8), hit_case(2, "precheck", days_ago=2)
    db.session.flush()

    def listed(**filters):
        return refs(list_queue("unassigned", officer=officer, filters=QueueFilters(**filters), today=today))

    assert listed(program="precheck") == [pc.reference]
    assert listed(min_days=5) == [ge.reference]
    assert listed(status="officer_review") == [ge.reference, pc.reference]
    decisions.request_info(ge, by=officer, message="?", due_on=today + dt.timedelta(days=3), today=today)
    later = today + dt.timedelta(days=4)
    waiting = list_queue("awaiting_applicant", officer=officer, filters=QueueFilters(overdue_only=True), today=later)
    assert refs(waiting) == [ge.reference] and waiting.rows[0].overdue_since == today + dt.timedelta(days=3)
    assert (
        refs(list_queue("awaiting_applicant", officer=officer, filters=QueueFilters(overdue_only=True), today=today))
        == []
    )


def test_bulk_assignment_checks_each_row_and_reports_each_refusal(today):
    me, other = create_officer("me@example.com"), create_officer("other@example.com")
    free, taken = hit_case(1), hit_case(2)
    closed = create_application("precheck", submitted=True)
    closed.status = "withdrawn"
    assignment.assign(taken, other, by=other)
    result = assignment.bulk_assign([free.id, taken.id, closed.id, 999999], me, by=me)
    assert result.assigned == [free.reference]
    assert dict(result.refused) == {
        taken.reference: "it is assigned to other@example.com; only a supervisor can reassign it",
        closed.reference: "it is closed",
        "999999": "there is no such case",
    }
    mine = list_queue("mine", officer=me, filters=QueueFilters(), today=today)
    assert refs(mine) == [free.reference]


def test_a_supervisor_reassigns_and_sees_each_officers_workload():
    boss = create_account("boss@example.com", roles=("supervisor",))
    a, b = create_officer("a@example.com"), create_officer("b@example.com")
    case = hit_case(1, days_ago=3)
    assignment.assign(case, a, by=a)
    with pytest.raises(Exception, match="Only a supervisor"):
        assignment.assign(case, b, by=a)
    assignment.assign(case, b, by=boss)
    rows = {w.officer: w for w in workload()}  # named as staff pages name them: no display name, the e-mail
    assert rows["b@example.com"].open_cases == 1 and rows["b@example.com"].needs_decision == 1
    assert rows["a@example.com"].open_cases == 0


def test_the_queue_indexes_list_the_same_statuses_as_the_status_machines():
    """The partial indexes' literal status lists (casework/models.py) must not drift from casework/states.py."""
    import re

    from trusted_traveler.casework import models
    from trusted_traveler.casework.states import AWAITING_APPLICANT, CLOSED, NEEDS_OFFICER, Status

    def listed(sql):
        return set(re.findall(r"'(\w+)'", sql))

    assert listed(models.NEEDS_OFFICER_SQL) == {s.value for s in NEEDS_OFFICER}
    assert listed(models.AWAITING_SQL) == {s.value for s in AWAITING_APPLICANT}
    assert listed(models.WORKING_SQL) == {s.value for s in CLOSED} | {Status.DRAFT.value}


def test_todays_interviews_list_each_booked_case_at_its_centers_local_time_with_its_officer():
    """The rows carry what the page shows: name, program, status, officer and the local time of the visit."""
    from zoneinfo import ZoneInfo

    from trusted_traveler.scheduling import service as scheduling
    from trusted_traveler.scheduling.models import EnrollmentCenter, Slot

    officer = create_officer()
    center = db.session.get(EnrollmentCenter, 8001)
    zone = ZoneInfo(center.tz_name)
    day = dt.datetime.now(zone).date() + dt.timedelta(days=3)  # the list is for a given day: three days on
    visit_at = dt.datetime.combine(day, dt.time(23, 0), tzinfo=zone)  # the next day in UTC, that day at the center
    slot = Slot(center_id=center.id, starts_at=visit_at.astimezone(dt.UTC), capacity=1)
    db.session.add(slot)
    profile = create_profile(create_account("visit@example.com"), surname="Visitor")
    application = create_application("precheck", profile=profile, submitted=True)
    db.session.flush()
    scheduling.book(application, slot, by=profile.account, now=utcnow())
    assignment.assign(application, officer, by=officer)
    db.session.flush()
    page = list_queue("today", officer=officer, filters=QueueFilters(), today=day)
    [row] = [r for r in page.rows if r.reference == application.reference]
    assert row.applicant.endswith("Visitor") and row.program_code == "precheck"
    assert row.officer == officer.label and row.status == application.status
    assert row.appointment_at == visit_at and row.appointment_at.tzname() in ("EST", "EDT")
    assert list_queue("today", officer=officer, filters=QueueFilters(program="global_entry"), today=day).rows == []
    assert list_queue("today", officer=officer, filters=QueueFilters(), today=day + dt.timedelta(days=1)).rows == []
