"""`make bench`: the benchmark suite of issue 8 on PostgreSQL, written to BENCHMARKS.md.

Creates its own database (dropped at the end), migrates it, seeds the reference data, loads BENCH_APPLICATIONS
(default 1,000,000) synthetic applications with `flask seed-synthetic`'s loader, then:

1. the impact preview beside a hand-written SQL count (bench/impact_preview.py);
2. gunicorn with the production configuration (bench/wsgi.py) on a loopback port, and wrk against each page for a
   fixed time with a fixed number of connections, beside `/bench/hello` (TT_BENCH_HELLO=1) from the same gunicorn
   in the same run: the traveler's status page and dashboard, the officer queue's first page and a page 10,000
   deep, the public slots API and the eligibility check API; each worker's resident memory from /proc;
3. EXPLAIN (ANALYZE, BUFFERS) of the queries those pages run, captured from the app itself;
4. booking under 50-way contention (bench/booking.py), with the overbooks counted.

Quick mode: BENCH_APPLICATIONS=50000 BENCH_SECONDS=5 make bench (a few minutes). Other settings: BENCH_ADMIN_URL,
BENCH_CONNECTIONS, BENCH_WORKERS, BENCH_BOOKING_SECONDS, BENCH_OUT (default BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import booking, impact_preview  # noqa: E402
from bench.database import scratch_database  # noqa: E402
from bench.serving import Endpoint, Server, ensure_wrk  # noqa: E402

ENV = {
    "SECRET_KEY": "bench-only-not-secret",
    "DOCUMENT_KEYS": "dGVzdC1vbmx5LWRvY3VtZW50LWtleS1ub3Qtc2VjcnQ=",
}
APPLICATIONS_PER_APPLICANT = 1.16  # seed-synthetic's journeys: some applicants apply to both programs, or renew
PAGE_SIZE = 50
DEEP_PAGES = 10_000
UNASSIGNED = (
    "assigned_officer_id IS NULL AND status IN ('interview_completed', 'officer_review', 'reconsideration_requested')"
)
ELIGIBILITY_BODY = json.dumps(
    {
        "date_of_birth": "1984-06-02",
        "citizenships": ["US"],
        "offenses": [{"category": "dui", "status": "convicted", "date": "2015-03-01"}],
        "travels_internationally": True,
    }
)

TARGETS = {  # key: (what, test, text)
    "status": "at least 40% of hello",
    "slots": "at least 70% of hello",
    "eligibility": "at least 40% of hello",
    "queue_loaded": "p99 under 50 ms",
    "queue_first": "p99 under 50 ms",
    "queue_deep": "p99 under 50 ms",
}
RATIO_TARGETS = {"status": 0.40, "slots": 0.70, "eligibility": 0.40}


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def main() -> int:
    count = setting("BENCH_APPLICATIONS", 1_000_000)
    with scratch_database() as url:
        return Suite(url, count).run()


class Suite:
    def __init__(self, url: str, count: int):
        self.url, self.count = url, count
        self.seconds = setting("BENCH_SECONDS", 15)
        self.warmup = setting("BENCH_WARMUP", 3)
        self.workers = setting("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1)
        self.connections = setting("BENCH_CONNECTIONS", self.workers)
        self.booking_seconds = setting("BENCH_BOOKING_SECONDS", 20)
        self.out = Path(os.environ.get("BENCH_OUT", ROOT / "BENCHMARKS.md"))
        self.notes: list[str] = []
        self.load_averages: list[tuple[str, tuple[float, float, float]]] = []

    def mark(self, moment: str) -> None:
        self.load_averages.append((moment, os.getloadavg()))
        print(f"[bench] {moment} (load average {', '.join(f'{a:.2f}' for a in os.getloadavg())})", flush=True)

    # --- data ---------------------------------------------------------------------------------------------------

    def run(self) -> int:
        from trusted_traveler import create_app

        wrk = ensure_wrk()
        self.mark("started")
        # As measured since issue 4: a database of its own, loaded with generate_series (bench/synthetic.py)
        impact_section, impact_ok, self.impact = impact_preview.in_own_database(self.count)
        self.mark("impact preview measured (generate_series data)")
        self.app = create_app("production", env={**ENV, "DATABASE_URL": self.url, "LOG_JSON": "0"})
        with self.app.app_context():
            self.load()
            self.mark("data loaded")
            _, _, self.impact_realistic = impact_preview.measure(self.count, self.loaded)
            self.mark("impact preview measured (seed-synthetic data)")
            self.sign_ins()
        self.http = self.serve_and_measure(wrk)
        self.mark("HTTP measured")
        self.booking = booking.run_contention(self.url, ENV, seconds=self.booking_seconds)
        self.mark("booking measured")
        report, ok = self.report(impact_section, impact_ok)
        self.out.write_text(report)
        print(report)
        return 0 if ok else 1

    def load(self) -> None:
        from flask_migrate import upgrade

        from seeds.centers import load_centers
        from seeds.reference import load_reference
        from seeds.rules import load_rules
        from trusted_traveler.extensions import db

        upgrade()
        load_reference(), load_rules(), load_centers()
        db.session.commit()
        started = time.perf_counter()
        try:
            from trusted_traveler import synthetic
        except ImportError:  # an older tree: bench/synthetic.py's generate_series rows
            from bench.synthetic import load
            from trusted_traveler.programs.service import get_program

            with db.engine.begin() as conn:
                load(
                    conn,
                    self.count,
                    precheck_id=get_program("precheck").id,
                    global_entry_id=get_program("global_entry").id,
                )
            how = "bench/synthetic.py (generate_series)"
        else:
            synthetic.load(max(1, round(self.count / APPLICATIONS_PER_APPLICANT)), seed=1)
            how = "`flask seed-synthetic`'s loader (COPY)"
        seconds = time.perf_counter() - started
        try:  # as the worker does hourly (and seed-synthetic at its end): the status pages read these figures
            from trusted_traveler.casework.stats import refresh_typical_times
            from trusted_traveler.db import utcnow
        except ImportError:  # an older tree: each worker computes them on its first status page
            pass
        else:
            refresh_typical_times(utcnow())
            db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        self.rows = {
            table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("accounts", "applications", "status_events", "appointments", "slots", "memberships")
        }
        db.session.rollback()
        self.applications = self.rows["applications"]
        self.loaded = f"{self.applications:,} applications loaded in {seconds:.0f} s with {how}"

    def sign_ins(self) -> None:
        """Session cookies signed with the app's SECRET_KEY, as a sign-in leaves them: a synthetic traveler (the
        one whose application has the longest history) and an officer."""
        from flask import session
        from flask_login import login_user

        from trusted_traveler.auth.models import Account
        from trusted_traveler.auth.service import account_for_sign_in, grant_role
        from trusted_traveler.extensions import db

        row = db.session.execute(
            text(
                "SELECT a.reference, p.account_id FROM applications a JOIN applicant_profiles p ON p.id = a.profile_id "
                "WHERE a.id = (SELECT application_id FROM status_events WHERE application_id <= 20000 "
                "GROUP BY application_id ORDER BY count(*) DESC, application_id LIMIT 1)"
            )
        ).one()
        self.reference = row.reference
        self.traveler_application = db.session.execute(
            text("SELECT id FROM applications WHERE reference = :r"), {"r": row.reference}
        ).scalar_one()
        officer = account_for_sign_in(issuer="urn:bench-staff", subject="officer", email="officer@bench.example.com")
        grant_role(officer, "officer", by=None)
        db.session.commit()
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        name = self.app.config["SESSION_COOKIE_NAME"]
        cookies = {}
        for key, account_id in (("traveler", row.account_id), ("officer", officer.id)):
            with self.app.test_request_context("/"):
                login_user(db.session.get(Account, account_id))
                session.permanent = True
                cookies[key] = f"{name}={serializer.dumps(dict(session))}"
        self.traveler_cookie, self.officer_cookie = cookies["traveler"], cookies["officer"]

    def deepen_queue(self) -> None:
        """A page 10,000 deep needs 500,000 cases waiting in one queue. The synthetic population's unassigned
        queue is far shorter (cases wait there for days, not months), so closed applications are moved into
        officer review until it is long enough, or as many as there are. After the impact preview, which counts
        pending applications."""
        from trusted_traveler.casework.models import _OPEN_SQL as OPEN  # the index's own predicate
        from trusted_traveler.extensions import db

        waiting = db.session.execute(text(f"SELECT count(*) FROM applications WHERE {UNASSIGNED}")).scalar_one()
        wanted = DEEP_PAGES * PAGE_SIZE + PAGE_SIZE
        moved = 0
        if waiting < wanted:
            moved = db.session.execute(  # one per profile and program, never beside an open one (one open each)
                text(
                    "UPDATE applications SET status = 'officer_review', assigned_officer_id = NULL WHERE id IN ("
                    "SELECT DISTINCT ON (a.profile_id, a.program_id) a.id FROM applications a "
                    f"WHERE NOT ({OPEN}) AND a.id <> :keep AND NOT EXISTS (SELECT 1 FROM applications o "
                    f"WHERE o.profile_id = a.profile_id AND o.program_id = a.program_id AND {OPEN}) "
                    "ORDER BY a.profile_id, a.program_id, a.id LIMIT :n)"
                ),
                {"n": wanted - waiting, "keep": self.traveler_application},
            ).rowcount
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE applications"))
        self.queue_rows = waiting + moved
        self.deep_pages = min(DEEP_PAGES, max(0, (self.queue_rows - 1) // PAGE_SIZE))
        self.queue_note = (
            f"The synthetic population has {waiting:,} cases in the unassigned queue"
            + (
                f"; {moved:,} closed applications were moved into officer review to make it {self.queue_rows:,} "
                f"long ({self.queue_rows // PAGE_SIZE:,} pages)"
                if moved
                else ""
            )
            + f". The deep page is page {self.deep_pages + 1:,} (after {self.deep_pages * PAGE_SIZE:,} cases)."
        )
        if self.deep_pages < DEEP_PAGES:
            self.notes.append(
                f"The queue holds only {self.queue_rows:,} cases, so the deep page is {self.deep_pages:,} pages "
                f"deep, not {DEEP_PAGES:,}."
            )
        row = db.session.execute(
            text(
                f"SELECT priority, status_entered_at, id FROM applications WHERE {UNASSIGNED} "
                "ORDER BY -priority, status_entered_at, id OFFSET :skip LIMIT 1"
            ),
            {"skip": max(0, self.deep_pages * PAGE_SIZE - 1)},
        ).one()
        db.session.rollback()
        micros = int(row.status_entered_at.timestamp() * 1_000_000)
        self.deep_cursor = f"{row.priority}.{micros}.{row.id}"

    # --- pages ----------------------------------------------------------------------------------------------------

    def endpoints_before(self) -> list[Endpoint]:
        from trusted_traveler.extensions import db

        with self.app.app_context():
            locations = (
                db.session.execute(text("SELECT id FROM enrollment_centers WHERE operational ORDER BY id"))
                .scalars()
                .all()
            )
            self.queue_as_loaded = db.session.execute(
                text(f"SELECT count(*) FROM applications WHERE {UNASSIGNED}")
            ).scalar_one()
        slots = [f"/schedulerapi/slots?orderBy=soonest&limit=1&locationId={i}&minimum=1" for i in locations]
        return [
            Endpoint("hello", "hello (`/bench/hello`, the ceiling)", ["/bench/hello"], expect="hello"),
            Endpoint(
                "status",
                "traveler status page `/applications/<ref>`",
                [f"/applications/{self.reference}"],
                cookie=self.traveler_cookie,
                expect=self.reference,
            ),
            Endpoint(
                "dashboard",
                "traveler dashboard `/dashboard`",
                ["/dashboard"],
                cookie=self.traveler_cookie,
                expect=self.reference,
            ),
            Endpoint(
                "queue_loaded",
                f"officer queue, first page, queue as loaded ({self.queue_as_loaded:,} cases)",
                ["/officer/?queue=unassigned"],
                cookie=self.officer_cookie,
                expect='name="application_ids"',
            ),
            Endpoint(
                "slots",
                f"public slots API `/schedulerapi/slots` (soonest at each of {len(slots)} locations)",
                slots,
                expect="[",
            ),
            Endpoint(
                "eligibility",
                "eligibility check API `POST /api/v1/eligibility/check`",
                ["/api/v1/eligibility/check"],
                body=ELIGIBILITY_BODY,
                expect="precheck",
            ),
        ]

    def endpoints_after(self) -> list[Endpoint]:
        return [
            Endpoint(
                "queue_first",
                f"officer queue, first page, queue of {self.queue_rows:,} cases",
                ["/officer/?queue=unassigned"],
                cookie=self.officer_cookie,
                expect='name="application_ids"',
            ),
            Endpoint(
                "queue_deep",
                f"officer queue, {self.deep_pages:,} pages deep",
                [f"/officer/?queue=unassigned&after={self.deep_cursor}"],
                cookie=self.officer_cookie,
                expect='name="application_ids"',
            ),
            Endpoint("hello_again", "hello again, at the end", ["/bench/hello"], expect="hello"),
        ]

    def serve_and_measure(self, wrk: str) -> dict:
        results: dict = {}
        self.labels = {}
        with Server(self.url, ENV, self.workers) as server:
            server.sample_rss()
            self.gunicorn_version = subprocess.run(  # noqa: S603 - our own gunicorn
                [str(Path(sys.executable).with_name("gunicorn")), "--version"], capture_output=True, text=True
            ).stdout.strip()
            for endpoint in self.endpoints_before():
                self.measure_one(server, wrk, endpoint, results)
            with self.app.app_context():  # between the two: a queue 10,000 pages deep, and the plans on it
                self.deepen_queue()
                self.explained = self.explain()
            self.mark("queue deepened, EXPLAIN done")
            for endpoint in self.endpoints_after():
                self.measure_one(server, wrk, endpoint, results)
            self.rss = dict(server.peak_rss)
        return results

    def measure_one(self, server: Server, wrk: str, endpoint: Endpoint, results: dict) -> None:
        result = server.measure(wrk, endpoint, seconds=self.seconds, connections=self.connections, warmup=self.warmup)
        results[endpoint.key] = result
        self.labels[endpoint.key] = endpoint.label
        print(
            f"[bench] {endpoint.label}: {result.requests_per_second:.0f}/s p50 {result.p50_ms:.1f} ms "
            f"p99 {result.p99_ms:.1f} ms errors {result.errors}",
            flush=True,
        )

    # --- EXPLAIN ----------------------------------------------------------------------------------------------------

    def explain(self) -> list[tuple[str, str, str]]:
        """Each page's queries as the app runs them (captured from a test client), with EXPLAIN (ANALYZE,
        BUFFERS) of those that read the big tables."""
        from trusted_traveler.extensions import db

        pages = [
            ("traveler status page", f"/applications/{self.reference}", self.traveler_cookie),
            ("officer queue, first page", "/officer/?queue=unassigned", self.officer_cookie),
            ("officer queue, deep page", f"/officer/?queue=unassigned&after={self.deep_cursor}", self.officer_cookie),
        ]
        client = self.app.test_client(use_cookies=False)  # only the cookie given
        found = []
        self.query_counts = {}
        for label, path, cookie in pages:
            with self.app.app_context():  # each request in its own context (flask_login keeps the user in g)
                client.get(path, headers={"Cookie": cookie})  # warm
            seen: list[tuple[str, object]] = []

            def before(conn, cursor, statement, parameters, context, executemany, seen=seen):
                seen.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", before)
            try:
                with self.app.app_context():
                    answer = client.get(path, headers={"Cookie": cookie})
                assert answer.status_code == 200, (path, answer.status_code, answer.headers.get("Location"))
            finally:
                event.remove(db.engine, "before_cursor_execute", before)
            self.query_counts[label] = len(seen)
            big = ("FROM applications", "FROM status_events", "JOIN applications")
            for statement, parameters in seen:
                if statement.lstrip().upper().startswith("SELECT") and any(b in statement for b in big):
                    with db.engine.connect() as conn:
                        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
                        found.append((label, statement, "\n".join(plan)))
        return found

    # --- report -----------------------------------------------------------------------------------------------------

    def report(self, impact_section: str, impact_ok: bool) -> tuple[str, bool]:
        r = self.http
        hello = max(r["hello"].requests_per_second, r["hello_again"].requests_per_second)
        rows, verdicts = [], {}
        for key, result in r.items():
            ratio = result.requests_per_second / hello
            verdict = ""
            if key in RATIO_TARGETS:
                verdict = "PASS" if ratio >= RATIO_TARGETS[key] else "FAIL"
                if verdict == "FAIL":
                    self.notes.append(
                        f"{self.labels[key]}: {ratio:.0%} of hello against a target of {RATIO_TARGETS[key]:.0%} "
                        f"(short by {RATIO_TARGETS[key] - ratio:.0%} of hello, "
                        f"{hello * RATIO_TARGETS[key] - result.requests_per_second:.0f} requests/s)."
                    )
            elif key.startswith("queue"):
                verdict = "PASS" if result.p99_ms < 50 else "FAIL"
                if verdict == "FAIL":
                    self.notes.append(f"{self.labels[key]}: p99 {result.p99_ms:.1f} ms against a target of 50 ms.")
            if result.errors:
                verdict = f"{verdict} ({result.errors} errors)".strip()
                self.notes.append(f"{self.labels[key]}: {result.errors} errors or non-2xx answers during the run.")
            verdicts[key] = verdict
            target = TARGETS.get(key, "the ceiling" if key.startswith("hello") else "(no target)")
            rows.append(
                f"| {self.labels[key]} | {result.requests_per_second:,.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} "
                f"| {ratio:.0%} | {target} | {verdict} |"
            )
        b = self.booking
        booking_ok = b.overbooked_slots == 0 and b.miscounted_slots == 0
        booking_rate_ok = b.per_second >= 300
        if not booking_rate_ok:
            self.notes.append(
                f"Booking: {b.per_second:.0f} bookings/s against a target of 300 (short by {300 - b.per_second:.0f}/s)."
            )
        peak = max(self.rss.values()) / 1024 if self.rss else 0.0
        rss_ok = peak < 150
        if not rss_ok:
            self.notes.append(f"Worker memory: {peak:.0f} MB resident at most, against a target of 150 MB.")
        impact_ratio = self.impact["ratio"]
        if not impact_ok:
            self.notes.append(f"Impact preview: {impact_ratio:.2f}x the hand-written count, target 2.0x.")
        real = self.impact_realistic
        self.notes.append(
            f"Impact preview on seed-synthetic's population (the data of the HTTP figures) rather than "
            f"generate_series rows: {real['preview']:.3f} s against {real['hand']:.3f} s for the hand-written count, "
            f"{real['ratio']:.2f}x ({'they agree' if real['agree'] else 'THEY DISAGREE'}). The target is judged on "
            "the generate_series data the preview has been measured on since issue 4 (its own section below)."
        )

        def share(key: str) -> str:
            return f"{r[key].requests_per_second / hello:.0%}"

        def word(ok: bool) -> str:
            return "PASS" if ok else "FAIL"

        checks = [
            ("status page at least 40% of hello", share("status"), verdicts["status"]),
            ("public slots API at least 70% of hello", share("slots"), verdicts["slots"]),
            ("eligibility check at least 40% of hello", share("eligibility"), verdicts["eligibility"]),
            (
                f"officer queue p99 under 50 ms, first page, queue as loaded ({self.queue_as_loaded:,} cases)",
                f"{r['queue_loaded'].p99_ms:.1f} ms",
                verdicts["queue_loaded"],
            ),
            (
                f"officer queue p99 under 50 ms, first page, queue of {self.queue_rows:,} cases",
                f"{r['queue_first'].p99_ms:.1f} ms",
                verdicts["queue_first"],
            ),
            (
                f"officer queue p99 under 50 ms, {self.deep_pages:,} pages deep",
                f"{r['queue_deep'].p99_ms:.1f} ms",
                verdicts["queue_deep"],
            ),
            ("impact preview within 2x of hand-written SQL", f"{impact_ratio:.2f}x", word(impact_ok)),
            (
                "booking, 50-way contention: zero overbooks",
                f"{b.overbooked_slots} overbooked, {b.miscounted_slots} miscounted",
                word(booking_ok),
            ),
            ("booking, 50-way contention: at least 300/s", f"{b.per_second:,.0f}/s", word(booking_rate_ok)),
            ("each gunicorn worker under 150 MB resident", f"{peak:.0f} MB at most", word(rss_ok)),
        ]
        summary = [f"| {what} | {measured} | {verdict} |" for what, measured, verdict in checks]
        all_ok = all(verdict == "PASS" for _, _, verdict in checks)
        explain = []
        for label, statement, plan in self.explained:
            first = " ".join(statement.split())[:300]
            explain.append(f"**{label}**: `{first}{'…' if len(first) == 300 else ''}`\n\n```\n{plan}\n```\n")
        loads = "\n".join(f"| {moment} | {', '.join(f'{a:.2f}' for a in avg)} |" for moment, avg in self.load_averages)
        rss = ", ".join(f"{kb / 1024:.0f}" for _, kb in sorted(self.rss.items()))
        counts = ", ".join(f"{k}: {v} queries" for k, v in self.query_counts.items())
        notes = "\n".join(f"- {n}" for n in self.notes) or "- Every target met in this run."
        text_ = f"""# Benchmarks

Produced by `make bench` (bench/run.py) on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Quick mode:
`BENCH_APPLICATIONS=50000 BENCH_SECONDS=5 make bench`.

## Machine

{machine(self.url)}, {self.gunicorn_version}, wrk {wrk_version()}; the load generator (wrk) and PostgreSQL
run on the same machine as gunicorn. The machine is shared with other work: the load average below counts it.
Code: {tree_state()}.

| moment | load average (1, 5, 15 min) |
|---|---|
{loads}

## Data

{self.loaded}: {", ".join(f"{v:,} {k}" for k, v in self.rows.items())}. {self.queue_note}

## Targets

| target (issue 8) | measured | |
|---|---|---|
{chr(10).join(summary)}

Not met, or worth knowing:

{notes}

## HTTP figures

gunicorn, production configuration (`bench/wsgi.py`: `wsgi.py` with rate limits off, since every request comes from
127.0.0.1), {self.workers} sync workers, on a loopback port. wrk, {self.connections} connections, {self.warmup} s of
warm-up then {self.seconds} s for each line, one after the other, in this order; the queue was made 10,000 pages deep
between the queue as loaded and the lines after it. The ratio is to the faster of the two hello runs.
Signed-in pages send a session cookie signed with the app's SECRET_KEY, as after a sign-in.

| endpoint | requests/s | p50 ms | p99 ms | ratio to hello | target | |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Each gunicorn worker's largest resident set (MB, /proc VmRSS, sampled before and after each line): {rss}.

## Booking under contention

{b.bookers} bookers at once (5 processes x 10 threads) calling the booking service (`scheduling.service.book`, then
commit) against PostgreSQL for up to {self.booking_seconds} s. Each chooses as a traveler on the booking pages
does, with the pages' own look-ups: the center with the soonest free PreCheck seat (`soonest_by_center`), then one
of its ten first free times (`open_slots`); all 50 want the same ten seats. When another booker took theirs first,
each chooses again among that center's free times, as the portal's times page then shows them (bench/booking.py).

| measure | value |
|---|---|
| bookings | {b.booked:,} in {b.seconds:.1f} s |
| **bookings per second** | **{b.per_second:,.0f}** |
| seat already taken, looked again | {b.conflicts:,} |
| gave up (no seat, or a business rule) | {b.failed:,} |
| slots with booked + held > capacity | {b.overbooked_slots} |
| slots whose booked differs from their active appointments | {b.miscounted_slots} |

## Query plans

The queries the status page and the officer queue run (captured from the app; {counts}),
those reading the applications or status events tables, with EXPLAIN (ANALYZE, BUFFERS) on the loaded data. The
queue pages read `ix_applications_unassigned_queue` (migration 0008) from the cursor on: the deep page costs what
the first does. The status page finds the application by its unique reference and its history by
`status_events.application_id`.

{chr(10).join(explain)}
{impact_section}"""
        return text_, all_ok


def machine(url: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return (
        f"{platform.node() or 'this machine'}: {os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.1f} GB of "
        f"memory, {platform.system()} {platform.release()}, Python {platform.python_version()}, PostgreSQL "
        f"{version.split()[0]}"
    )


def tree_state() -> str:
    """The commit measured, and whether the working tree differed from it (gunicorn serves the working tree)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S607
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "trusted_traveler", "templates", "migrations"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    where = f"commit {head.stdout.strip() or '?'}"
    return where + (f", with {len(changed)} files of the app changed and not committed" if changed else ", clean")


def wrk_version() -> str:
    run = subprocess.run(["wrk", "--version"], capture_output=True, text=True)  # noqa: S607
    return (run.stdout or run.stderr).split()[1] if (run.stdout or run.stderr).split() else "?"


if __name__ == "__main__":
    raise SystemExit(main())
