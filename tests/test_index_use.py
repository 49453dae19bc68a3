"""The traveler's status page and dashboard reach the big tables only through indexes (issue 8): every statement
they run is explained on the database the suite runs on, and none may read a whole big table. A missing index
does not show in a small test database's timings or query counts: at 1,000,000 applications one made both pages
30 times slower (`make bench`, before migration 0016). SQLite's planner assumes large tables; PostgreSQL is asked
with sequential scans priced out (`enable_seqscan = off`), so it reads a table whole only when no index serves. An
index that serves but is not selective passes that check, so the lookups known to need their own index are named.
`make bench`'s EXPLAIN (ANALYZE) on the loaded data remains the measure."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from sqlalchemy import event, text

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.casework import decisions
from trusted_traveler.extensions import db

BIG = (
    "applications",
    "status_events",
    "memberships",
    "appointments",
    "notifications",
    "applicant_profiles",
    "accounts",
)


@contextlib.contextmanager
def statements(app):
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def plans(app, seen) -> list[tuple[str, str]]:
    """(statement, plan) for each statement seen, from the database the suite runs on."""
    found = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, parameters in seen:
            if conn.dialect.name == "postgresql":
                with conn.begin():
                    conn.execute(text("SET LOCAL enable_seqscan = off"))
                    plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
            else:
                plan = "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            found.append((statement, plan))
    return found


def whole_table_reads(explained) -> list[str]:
    found = []
    for statement, plan in explained:
        scans = re.findall(r"Seq Scan on (\w+)", plan) + re.findall(r"\bSCAN (\w+)(?! USING)", plan)
        found += [f"{table}: {statement[:200]}" for table in scans if table in BIG]
    return found


def _member_with_a_renewal(app) -> str:
    """A Global Entry member with a renewal under way: the pages ask whether it keeps the membership in use."""
    from tests.factories import create_officer
    from trusted_traveler.casework import service as casework
    from trusted_traveler.db import service_today
    from trusted_traveler.payments import service as payments

    with app.app_context():
        profile = create_profile(create_account("kept@example.com"))
        application = create_application("global_entry", profile=profile, submitted=True)
        decisions.record_interview(application, by=create_officer(), documents_verified=True, biometrics_captured=True)
        membership = decisions.approve(application, by=create_officer("second@example.com"), today=service_today())
        membership.valid_until = service_today() + dt.timedelta(days=30)
        renewal = casework.start_application(
            profile,
            application.program,
            by=profile.account,
            today=service_today(),
            kind="renewal",
            renewal_of=application,
        )
        casework.attest(renewal, by=profile.account)
        payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
        casework.submit(renewal, by=profile.account)
        db.session.commit()
        return application.reference


def test_the_status_page_and_the_dashboard_read_no_big_table_whole(app, client):
    reference = _member_with_a_renewal(app)
    sign_in(client, "kept@example.com")
    client.get("/dashboard")  # warm: reference data read once a process
    with statements(app) as seen:
        assert client.get(f"/applications/{reference}").status_code == 200
        assert client.get("/dashboard").status_code == 200
    explained = plans(app, seen)
    assert whole_table_reads(explained) == []
    # An index search can still read far too much: the renewal keeping a membership in use was found through the
    # index on status (every application under way) until migration 0016 gave renewal_of_id its own.
    renewal_lookups = [plan for statement, plan in explained if "renewal_of_id = " in statement]
    assert renewal_lookups and all("ix_applications_renewal_of_id" in plan for plan in renewal_lookups)
