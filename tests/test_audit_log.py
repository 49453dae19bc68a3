"""The audit log (issue 6): supervisors and administrators search it and download it as CSV, those searches and
downloads are audited too, and nothing — neither the ORM nor raw SQL — can change or delete an entry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import operator
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.factories import create_account, create_application, create_officer, sign_in
from tests.support.queries import count_queries
from tests.test_migrations import _scratch_databases
from trusted_traveler import create_app
from trusted_traveler.audit.models import AuditEvent, AuditLogIsAppendOnly
from trusted_traveler.audit.record import record_event, record_views
from trusted_traveler.audit.search import AuditFilters, Cursor, iter_events, search_events
from trusted_traveler.extensions import db

T0 = dt.datetime(2026, 4, 12, 9, 30, tzinfo=dt.UTC)


def add_event(action="profile.viewed", object_type="application", object_id="TT-1", *, by=None, at=T0, **details):
    """An audit event written as the app writes them, at a chosen time."""
    row = AuditEvent(
        actor_id=getattr(by, "id", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        source_address="203.0.113.7",
        request_id="req-0001",
        details=details,
        created_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def supervisor(app):
    with app.app_context():
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        db.session.commit()
    return "sue.supervisor@example.com"


def page_html(client, query=""):
    response = client.get(f"/admin/audit{query}")
    return response, response.get_data(as_text=True)


def download(client, path: str) -> list[list[str]]:
    """The CSV rows of a download. The streamed response is closed, as a server would, which ends its request."""
    with client.get(path) as response:
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def event_ids_on(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', html)]


# Access


@pytest.mark.parametrize(
    ("roles", "status"),
    [((), 403), (("officer",), 403), (("program_lead",), 403), (("supervisor",), 200), (("admin",), 200)],
    ids=["traveler", "officer", "program-lead", "supervisor", "administrator"],
)
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit/export.csv"])
def test_only_supervisors_and_administrators_reach_the_audit_log(app, client, roles, status, path):
    """Officers, program leads and travelers get 403 on the search and the export; supervisors and admins 200."""
    with app.app_context():
        create_account("someone@example.com", roles=roles)
        db.session.commit()
    sign_in(client, "someone@example.com")
    with client.get(path) as response:
        assert response.status_code == status


def test_a_signed_out_person_is_sent_to_sign_in_from_the_audit_log(client):
    """Nobody reads the audit log without signing in."""
    response = client.get("/admin/audit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in")


def test_supervisors_and_administrators_find_the_audit_log_in_the_navigation(app, client, supervisor):
    """The audit log is one click away for those who may use it, and hidden from officers."""
    with app.app_context():
        create_officer("olive@example.com")
        db.session.commit()
    sign_in(client, supervisor)
    assert 'href="/admin/audit"' in client.get("/dashboard").get_data(as_text=True)
    other = app.test_client()
    sign_in(other, "olive@example.com")
    assert 'href="/admin/audit"' not in other.get("/dashboard").get_data(as_text=True)


# Searching


def test_a_supervisor_sees_who_viewed_an_application_with_when_and_from_where(app, client, supervisor):
    """An officer's view of a case (through the real case page) shows up when searching by the reference."""
    with app.app_context():
        reference = create_application("precheck", submitted=True).reference
        create_officer("olive@example.com")
        db.session.commit()
    officer = app.test_client()
    sign_in(officer, "olive@example.com")
    assert officer.get(f"/officer/cases/{reference}", headers={"X-Request-ID": "case-view-123"}).status_code == 200

    sign_in(client, supervisor)
    response, html = page_html(client, f"?object_id={reference}")
    assert response.status_code == 200
    assert "olive@example.com" in html
    assert "profile.viewed" in html
    assert "case-view-123" in html
    assert "127.0.0.1" in html
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z">', html)
    with app.app_context():
        other = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.object_id != reference, AuditEvent.action != "audit.searched")
        ).all()
    assert not set(event_ids_on(html)) & set(other), "only events about this application are listed"


def test_the_audit_log_names_the_people_an_event_names_by_account_id(app, client, supervisor):
    """A role granted to an account, and a case moved from one officer to another, read as e-mails, not numbers."""
    with app.app_context():
        olive, owen = create_officer("olive@example.com"), create_officer("owen@example.com")
        add_event("role.granted", "account", str(olive.id), role="officer")
        add_event("case.assigned", "application", "TT-7", to_officer=owen.id, from_officer=olive.id)
        db.session.commit()
        ids = olive.id, owen.id
    sign_in(client, supervisor)
    _, html = page_html(client, "?action=role.granted")
    assert f"account <strong>{ids[0]}</strong> (olive@example.com)" in html
    _, html = page_html(client, "?object_id=TT-7")
    assert f"to_officer: owen@example.com ({ids[1]})" in html and f"from_officer: olive@example.com ({ids[0]})" in html


def test_each_filter_narrows_the_search(app_ctx):
    """Actor e-mail, exact action, action prefix, object type and object id each select exactly their events."""
    olive, sam = create_officer("olive@example.com"), create_account("sam@example.com", roles=("supervisor",))
    viewed = add_event("profile.viewed", "application", "TT-1", by=olive)
    approved = add_event("application.transition", "application", "TT-2", by=sam)
    published = add_event("rules.published", "rule_set_version", "precheck-2027-01-01", by=sam)
    drafted = add_event("rules.draft_started", "rule_set_version", "precheck-2027-01-01", by=sam)
    system = add_event("payment.completed", "payment", "7")

    def found(**filters):
        ids = {r.id for r in search_events(AuditFilters(**filters)).rows}
        return ids & {viewed.id, approved.id, published.id, drafted.id, system.id}

    assert found(actor_email="OLIVE@example.com") == {viewed.id}
    assert found(actor_email="sam@example.com") == {approved.id, published.id, drafted.id}
    assert found(action="rules.published") == {published.id}
    assert found(action="rules.*") == {published.id, drafted.id}
    assert found(action="rules") == set(), "without * the action matches exactly"
    assert found(object_type="payment") == {system.id}
    assert found(object_id="TT-2") == {approved.id}
    assert found(object_type="rule_set_version", actor_email="sam@example.com", action="rules.draft_started") == {
        drafted.id
    }
    assert found(actor_email="nobody@example.com") == set()


def test_a_case_decisions_are_found_without_the_page_views_around_them(app, client, supervisor):
    """A case's decisions were lost among the queue's views of it (50 to a queue page): "Only what was done" leaves
    out every record of a page seen and every search of the log, on the page and in the CSV alike."""
    with app.app_context():
        olive = create_officer("olive@example.com")
        views = [add_event(action, "application", "TT-9", by=olive) for action in ("queue.viewed", "profile.viewed")]
        views.append(add_event("document.viewed", "application", "TT-9", by=olive))
        decided = add_event("application.transition", "application", "TT-9", by=olive, to="denied")
        db.session.commit()
        view_ids, decided_id = {v.id for v in views}, decided.id
    sign_in(client, supervisor)
    _, everything = page_html(client, "?object_id=TT-9")
    assert view_ids | {decided_id} <= set(event_ids_on(everything))
    response, done = page_html(client, "?object_id=TT-9&without_views=y")
    assert event_ids_on(done) == [decided_id]
    assert re.search(r'<input(?=[^>]*\bchecked\b)[^>]*name="without_views"', done)  # kept ticked
    _, searches = page_html(client, "?actor=sue.supervisor%40example.com&without_views=y")
    assert "audit.searched" not in searches  # the supervisor's own searches, recorded above, are left out too
    rows = download(client, "/admin/audit/export.csv?object_id=TT-9&without_views=y")
    assert [row[3] for row in rows[1:]] == ["application.transition"]


def test_the_date_range_is_whole_utc_days_with_both_ends_included(app_ctx):
    """From is the start of its UTC day, To the end of its UTC day."""
    before = add_event(at=dt.datetime(2026, 4, 9, 23, 59, 59, 999999, tzinfo=dt.UTC))
    first = add_event(at=dt.datetime(2026, 4, 10, 0, 0, tzinfo=dt.UTC))
    last = add_event(at=dt.datetime(2026, 4, 12, 23, 59, 59, 999999, tzinfo=dt.UTC))
    after = add_event(at=dt.datetime(2026, 4, 13, 0, 0, tzinfo=dt.UTC))
    rows = search_events(AuditFilters(date_from=dt.date(2026, 4, 10), date_to=dt.date(2026, 4, 12))).rows
    assert [r.id for r in rows] == [last.id, first.id]
    assert {r.id for r in search_events(AuditFilters(date_to=dt.date(2026, 4, 9))).rows} == {before.id}
    assert {r.id for r in search_events(AuditFilters(date_from=dt.date(2026, 4, 13))).rows} == {after.id}
    assert search_events(AuditFilters(date_to=dt.date.max)).rows, "the last possible day does not overflow"


def test_results_are_newest_first_and_pages_are_keyset_never_offset(app, app_ctx):
    """120 events, many sharing a timestamp, page into 50 + 50 + 20 with nothing repeated or lost, back again,
    and no query uses OFFSET."""
    events = [add_event(object_id=f"TT-{i}", at=T0 + dt.timedelta(seconds=i // 3)) for i in range(120)]
    newest_first = sorted(events, key=lambda e: (e.created_at, e.id), reverse=True)
    statements = []
    listener = lambda conn, cursor, sql, params, *rest: statements.append((sql, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        first = search_events(AuditFilters())
        second = search_events(AuditFilters(), after=first.older)
        third = search_events(AuditFilters(), after=second.older)
        back = search_events(AuditFilters(), before=third.newer)
        top = search_events(AuditFilters(), before=back.newer)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [len(p.rows) for p in (first, second, third)] == [50, 50, 20]
    assert [r.id for p in (first, second, third) for r in p.rows] == [e.id for e in newest_first]
    assert first.newer is None and third.older is None
    assert [r.id for r in back.rows] == [r.id for r in second.rows]
    assert [r.id for r in top.rows] == [r.id for r in first.rows] and top.newer is None
    # SQLite's dialect always writes "LIMIT ? OFFSET ?", with 0 for the offset
    offsets = [params[-1] if "OFFSET" in sql.upper() else 0 for sql, params in statements]
    assert len(statements) == 5 and offsets == [0] * 5


def test_export_batches_read_every_matching_event_in_order(app_ctx):
    """The CSV reads the log in keyset batches: every event once, newest first, whatever the batch size."""
    events = [add_event(object_id=f"TT-{i}", at=T0 + dt.timedelta(seconds=i // 2)) for i in range(23)]
    expected = [e.id for e in sorted(events, key=lambda e: (e.created_at, e.id), reverse=True)]
    assert [r.id for r in iter_events(AuditFilters(object_type="application"), batch=5)] == expected


def test_the_page_links_walk_through_the_results_keeping_the_filters(app, client, supervisor):
    """Following "Older events" then "Newer events" links in the page keeps the filters and the order."""
    with app.app_context():
        for i in range(60):
            add_event(object_id="TT-PAGED", at=T0 + dt.timedelta(minutes=i))
        add_event(object_id="TT-OTHER", at=T0 + dt.timedelta(days=1))
        db.session.commit()
    sign_in(client, supervisor)
    _, first = page_html(client, "?object_id=TT-PAGED")
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "object_id=TT-PAGED" in older and "after=" in older
    second = client.get(older).get_data(as_text=True)
    assert len(event_ids_on(first)) == 50 and len(event_ids_on(second)) == 10
    assert not set(event_ids_on(first)) & set(event_ids_on(second))
    assert 'rel="next"' not in second
    newer = re.search(r'href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert event_ids_on(client.get(newer).get_data(as_text=True)) == event_ids_on(first)


# Query parameters that url_for reads itself: passed on, they raise (a 500) or change the link (another scheme, a
# fragment). A page link carries only its search form's own fields and a cursor.
URL_FOR_KEYS = ["_method=POST", "_external=1&_scheme=javascript", "_scheme=https", "_anchor=top", "utm_source=mail"]


def link_parts(href: str) -> tuple[str, set[str]]:
    """A link's path and the names of its query parameters; it must be a plain same-site path (no scheme, host or
    fragment)."""
    parts = urlsplit(href.replace("&amp;", "&"))
    assert (parts.scheme, parts.netloc, parts.fragment) == ("", "", ""), href
    return parts.path, set(parse_qs(parts.query, keep_blank_values=True))


@pytest.mark.parametrize("stray", URL_FOR_KEYS)
def test_the_page_links_carry_only_the_search_fields(app, client, supervisor, stray):
    with app.app_context():
        for i in range(60):
            add_event(object_id="TT-PAGED", at=T0 + dt.timedelta(minutes=i))
        db.session.commit()
    sign_in(client, supervisor)
    response, first = page_html(client, f"?object_id=TT-PAGED&action=&{stray}")
    assert response.status_code == 200
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    assert link_parts(older) == ("/admin/audit", {"object_id", "after"})
    response, second = page_html(client, f"?{urlsplit(older.replace('&amp;', '&')).query}&{stray}")
    assert response.status_code == 200
    links = re.findall(r'class="usa-pagination__link[^"]*" href="([^"]+)"', second)
    assert [link_parts(link) for link in links] == [
        ("/admin/audit", {"object_id"}),
        ("/admin/audit", {"object_id", "before"}),
    ]


def test_a_broken_page_link_shows_the_newest_events_instead_of_failing(app, client, supervisor):
    """An edited or truncated cursor is never a 500: the first page is shown with a note."""
    with app.app_context():
        add_event()
        db.session.commit()
    sign_in(client, supervisor)
    for cursor in (
        "nonsense",
        "99999999999999999999-1",
        "1-",
        "-5",
        "1-99999999999",
        "1-" + "9" * 5000,
        "12345678901234567-2147483647",
    ):
        response, html = page_html(client, f"?after={cursor}")
        assert response.status_code == 200, cursor
        if cursor.startswith("12345"):
            continue  # well formed, just past every event: an empty page
        assert "That page link was not complete" in html


def test_cursors_round_trip_to_the_microsecond():
    cursor = Cursor(dt.datetime(2026, 4, 12, 9, 30, 1, 123456, tzinfo=dt.UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode("") is None and Cursor.decode("1.5-2") is None


# Bad input


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?date_from=12/04/2026", "date_from", "Enter the from date as year-month-day, like 2026-04-12."),
        ("?date_to=2026-02-30", "date_to", "2026-02-30 is not a real date"),
        ("?date_from=2026-04-12&date_to=2026-04-11", "date_to", "must be the same day as “From” (2026-04-12) or later"),
        ("?actor=not-an-email", "actor", "Enter a real e-mail address"),
        ("?object_id=" + "x" * 41, "object_id", "An object id is at most 40 characters."),
        ("?action=profile%00viewed", "action", "has a character that cannot be searched for"),
    ],
    ids=["date-format", "impossible-date", "to-before-from", "email", "too-long", "nul-byte"],
)
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit/export.csv"])
def test_bad_input_gets_a_message_on_the_field_and_keeps_what_was_typed(
    client, supervisor, path, query, field, message
):
    """A malformed date, "to" before "from", a bad e-mail, an overlong id or a control character: 400 with the
    message next to the field and in the summary, the typed value still in the box; never a 500."""
    sign_in(client, supervisor)
    response = client.get(path + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<span class="usa-error-message" id="{field}-error">([^<]*)</span>', html)
    assert error and message in error.group(1).replace("&#34;", '"'), html[:3000]
    assert f'href="#{field}"' in html, "the summary links to the field"
    typed = query.split("=")[-1]
    if "%00" not in typed:
        assert f'value="{typed.replace("/", "&#x2F;")}"' in html or f'value="{typed}"' in html


# The CSV download


def test_the_csv_has_a_header_and_every_matching_event(app, client, supervisor):
    """The download is the whole filtered result (not one page), newest first, with who, what, when and where."""
    with app.app_context():
        olive = create_officer("olive@example.com")
        for i in range(60):
            add_event(object_id="TT-CSV", by=olive, at=T0 + dt.timedelta(minutes=i), step=i)
        add_event(object_id="TT-NOT-THIS-ONE")
        db.session.commit()
    sign_in(client, supervisor)
    with client.get("/admin/audit/export.csv?object_id=TT-CSV") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-events-')
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "event_id",
        "when_utc",
        "actor_email",
        "action",
        "object_type",
        "object_id",
        "source_address",
        "request_id",
        "details",
    ]
    assert len(rows) == 61
    assert {r[5] for r in rows[1:]} == {"TT-CSV"}
    assert rows[1][1] == "2026-04-12T10:29:00.000000Z" and rows[-1][1] == "2026-04-12T09:30:00.000000Z"
    assert rows[1][2:5] == ["olive@example.com", "profile.viewed", "application"]
    assert rows[1][6:9] == ["203.0.113.7", "req-0001", '{"step": 59}']


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", " =", "  +", "\n-", "\t@", "\u3000="])
def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_start_with_a_quote(app, client, supervisor, start):
    """CSV injection (OWASP): a value beginning with =, +, - or @, even after whitespace a spreadsheet may trim, or
    with a tab or a carriage return, is written with a leading single quote."""
    formula = f'{start}HYPERLINK("http://evil.example","x")'
    with app.app_context():
        add_event("profile.viewed", f"{start}type", f"{start}1+1", note=formula)
        add_event("profile.viewed", "application", "plain-id")
        db.session.commit()
    sign_in(client, supervisor)
    rows = download(client, "/admin/audit/export.csv")
    (bad,) = [r for r in rows[1:] if r[4].endswith("type")]
    assert bad[4] == f"'{start}type"
    assert bad[5] == f"'{start}1+1"
    (plain,) = [r for r in rows if r[5] == "plain-id"]
    assert plain[4] == "application", "other values are left alone"
    assert json.loads(bad[8]) == {"note": formula}, "JSON details start with { and are safe as they are"


# Searches and downloads are audited


def test_searching_the_audit_log_is_itself_audited(app, client, supervisor):
    """Who searched, for what, from where: an "audit.searched" event with the filters."""
    sign_in(client, supervisor)
    client.get("/admin/audit?object_id=TT-42&action=profile.viewed", headers={"X-Request-ID": "audit-search-1"})
    with app.app_context():
        (searched,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.searched")).all()
        assert searched.actor_id is not None and searched.object_type == "audit_log"
        assert searched.details["filters"] == {"object_id": "TT-42", "action": "profile.viewed"}
        assert searched.request_id == "audit-search-1" and searched.source_address == "127.0.0.1"


def test_a_csv_export_is_audited_and_shows_up_in_the_audit_log(app, supervisor):
    """An export of who looked at what is visible to the next person who searches the log."""
    # plain clients: pytest-flask's `client` keeps its last request's context pushed, which a second client reuses
    exporter = app.test_client()
    sign_in(exporter, supervisor)
    download(exporter, "/admin/audit/export.csv?actor=olive@example.com&date_from=2026-01-01")
    with app.app_context():
        (exported,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
        assert exported.details["filters"] == {"actor_email": "olive@example.com", "date_from": "2026-01-01"}
    admin = app.test_client()
    with app.app_context():
        create_account("ada.admin@example.com", roles=("admin",))
        db.session.commit()
    sign_in(admin, "ada.admin@example.com")
    html = admin.get("/admin/audit?action=audit.exported").get_data(as_text=True)
    assert "audit.exported" in html and supervisor in html


def test_an_invalid_search_is_not_run_and_not_recorded(app, client, supervisor):
    sign_in(client, supervisor)
    client.get("/admin/audit?date_from=yesterday")
    client.get("/admin/audit/export.csv?date_from=yesterday")
    with app.app_context():
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "audit_log")).all()


# Recording


def test_a_page_of_views_is_written_as_record_event_writes_one_view_in_one_statement(app):
    """record_views (a queue page, a center's day) writes for each object the row record_event would, all in one
    INSERT; for no objects it writes nothing."""
    with app.test_request_context("/officer/", environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        g.request_id = "req-views"
        officer = create_officer("olive@example.com")
        single = record_event("queue.viewed", "application", "TT-1", by=officer, queue="mine")
        db.session.flush()
        with count_queries(app) as statements:
            record_views("queue.viewed", "application", ["TT-2", "TT-3"], by=officer, queue="mine")
            record_views("queue.viewed", "application", [], by=officer, queue="mine")
        assert len(statements) == 1 and statements[0].lstrip().startswith("INSERT INTO audit_events")
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "queue.viewed").order_by(AuditEvent.id)
        ).all()
        assert [event.object_id for event in events] == ["TT-1", "TT-2", "TT-3"]

        columns = operator.attrgetter("actor_id", "action", "object_type", "details", "source_address", "request_id")
        assert [columns(event) for event in events] == [columns(single)] * 3
        assert columns(single) == (
            officer.id,
            "queue.viewed",
            "application",
            {"queue": "mine"},
            "198.51.100.4",
            "req-views",
        )
        assert all(event.created_at.tzinfo is not None for event in events)


# Append-only


def test_the_orm_refuses_to_change_an_audit_event(app_ctx):
    """Changing a loaded event and flushing raises, and nothing is written."""
    row = add_event()
    db.session.commit()
    row.action = "profile.forgotten"
    with pytest.raises(AuditLogIsAppendOnly, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, row.id).action == "profile.viewed"


def test_the_orm_refuses_to_delete_an_audit_event(app_ctx):
    row = add_event()
    db.session.commit()
    db.session.delete(row)
    with pytest.raises(AuditLogIsAppendOnly, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, row.id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(AuditEvent).values(action="x"),
        lambda: delete(AuditEvent).where(AuditEvent.id > 0),
        lambda: AuditEvent.__table__.delete(),
        lambda: update(AuditEvent.__table__).values(details={}),
    ],
    ids=["orm-update", "orm-delete", "core-delete", "core-update"],
)
def test_the_orm_refuses_bulk_update_and_delete_statements(app_ctx, statement):
    """`session.execute(update(...) / delete(...))` on the audit log is refused before it reaches the database."""
    add_event()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement())
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.query(AuditEvent).delete()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_events SET action = 'profile.forgotten'", "DELETE FROM audit_events WHERE id > 0"],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_or_delete_audit_events_by_raw_sql(app_ctx, sql):
    """Triggers from migration 0006 stop raw SQL that bypasses the ORM, on SQLite and PostgreSQL."""
    row = add_event()
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(sql))
    db.session.rollback()
    assert db.session.get(AuditEvent, row.id).action == "profile.viewed"


def test_the_database_refuses_to_empty_the_audit_log_at_once(app_ctx):
    """TRUNCATE on PostgreSQL (a statement trigger); SQLite has none, and its DELETE without WHERE is refused."""
    row = add_event()
    db.session.commit()
    sql = "TRUNCATE audit_events" if db.engine.dialect.name == "postgresql" else "DELETE FROM audit_events"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(sql))
    db.session.rollback()
    assert db.session.get(AuditEvent, row.id) is not None


def test_the_database_still_accepts_new_audit_events(app_ctx):
    """Append-only, not read-only: inserts by raw SQL work."""
    db.session.execute(
        text(
            "INSERT INTO audit_events (action, object_type, object_id, details, created_at) "
            "VALUES ('x.y', 'application', 'TT-9', '{}', :at)"
        ),
        {"at": T0},
    )
    db.session.commit()
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == "TT-9")) == "x.y"


def test_downgrading_migration_0006_removes_the_guard(tmp_path):
    """0006 comes down cleanly: after it, audit events can be changed again (on SQLite and PostgreSQL)."""
    for _dialect, url in _scratch_databases(tmp_path):
        app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO audit_events (action, object_type, object_id, details, created_at) "
                        "VALUES ('x.y', 'application', 'TT-9', '{}', CURRENT_TIMESTAMP)"
                    )
                )
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text("UPDATE audit_events SET action = 'changed'"))
            downgrade(revision="0005")
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE audit_events SET action = 'changed'"))
                conn.execute(text("DELETE FROM audit_events"))
            upgrade()
            db.engine.dispose()
