"""Loading the synthetic population into PostgreSQL with COPY, batch by batch.

Each batch is one transaction: its applicants with every row they own, their appointments and the seats those take
(`slots.booked`, raised in the same transaction, so the counters always equal the active appointments). A thread
generates the next batch while PostgreSQL takes in the current one. Ids continue after what each table holds (and
after its sequence); the sequences are moved past the loaded ids after every batch, and the tables analysed at the
end.

Not for a database in use: a row the application inserts while the load runs may take an id the load is about to
use, and the COPY then stops with a unique-key error (the batch rolls back; committed batches stay).
"""

from __future__ import annotations

import datetime as dt
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg import sql
from sqlalchemy import select

from trusted_traveler.crypto import keyring
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import planned_slots
from trusted_traveler.synthetic.generate import (
    COLUMNS,
    ISSUER,
    TABLES,
    Context,
    Ids,
    Seats,
    generate_batch,
    ktn_for,
    reference_for,
)

POSTGRES_ONLY = "COPY needs PostgreSQL; set DATABASE_URL=postgresql+psycopg://user@host/database"
SEED_FIRST = "Reference data is missing ({}): run `flask seed --no-demo` first."
DOCUMENT_POOL = 512  # distinct numbers per document kind, each encrypted once
OFFICERS = 20
SLOT_WEEKS = (8, 16, 26)  # how far ahead slots are opened: further only when the nearer weeks are too full
SCHEDULED_SHARE = 0.04  # about this share of applicants hold a booked appointment (see journeys.JOURNEYS)
PROGRAM_SERVICES = {"precheck": 101, "global_entry": 1}  # scheduler services (seeds/reference.py)


class SyntheticError(RuntimeError):
    pass


@dataclass
class Result:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def load(
    applicants: int, *, seed: int = 1, batch: int = 20_000, on_batch: Callable[[int], None] | None = None
) -> Result:
    """Add `applicants` synthetic applicants (PostgreSQL only).

    Raises:
        SyntheticError: not PostgreSQL, or the reference data (`flask seed --no-demo`) is missing.
    """
    if db.engine.dialect.name != "postgresql":
        raise SyntheticError(POSTGRES_ONLY)
    started = time.monotonic()
    now = dt.datetime.combine(dt.date.today(), dt.time.min, tzinfo=dt.UTC)
    result = Result(rows=dict.fromkeys(("slots", "role_grants", *TABLES), 0))
    centers = _reference_data_or_raise()
    db.session.rollback()  # the ORM's reads are done; the load works on its own connection

    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("SET synchronous_commit = off")  # a crash loses at most the last batches, never consistency
        ids = Ids(_next_ids(conn, ("slots", "role_grants", *TABLES)))
        ctx = _context(conn, ids, centers, now, seed, applicants, result)
        conn.commit()
        rng = random.Random(f"tt-synthetic:{seed}:{ids.next['accounts']}")  # noqa: S311 (repeatable, not secret)
        for rows, taken in _batches(rng, ctx, ids, applicants, batch):
            with conn.transaction():
                _avoid_taken_numbers(conn, rows)
                # Historic timestamps land all over the (to_status, created_at) index: in that order, each of its
                # pages is visited once a batch instead of at random, which is most of what COPY costs here.
                rows["status_events"].sort(key=lambda e: (e[3], e[7]))
                with conn.cursor() as cur:
                    for table in TABLES:
                        _copy(cur, table, COLUMNS[table], rows[table])
                        result.rows[table] += len(rows[table])
                    if taken:
                        cur.execute(
                            "UPDATE slots SET booked = booked + t.n FROM unnest(%s::int[], %s::int[]) AS t(id, n) "
                            "WHERE slots.id = t.id",
                            (list(taken), list(taken.values())),
                        )
            _move_sequences(conn, ids)
            if on_batch:
                on_batch(len(rows["applicant_profiles"]))
        conn.execute("RESET synchronous_commit")
        for table in ("slots", *TABLES):
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        conn.commit()
    finally:
        raw.close()
    result.seconds = time.monotonic() - started
    return result


def _reference_data_or_raise() -> dict[str, list[EnrollmentCenter]]:
    from trusted_traveler.programs.models import Program

    programs = {p.code: p for p in db.session.scalars(select(Program))}
    missing = [code for code in PROGRAM_SERVICES if code not in programs]
    centers = {
        code: [
            c
            for c in db.session.scalars(
                select(EnrollmentCenter).where(EnrollmentCenter.operational.is_(True)).order_by(EnrollmentCenter.id)
            )
            if service in {s.id for s in c.services} and c.capacity
        ]
        for code, service in PROGRAM_SERVICES.items()
    }
    missing += [f"{code} enrollment centers with hours" for code, found in centers.items() if not found]
    if missing:
        raise SyntheticError(SEED_FIRST.format(", ".join(missing)))
    return centers


def _context(conn, ids: Ids, centers, now: dt.datetime, seed: int, applicants: int, result: Result) -> Context:
    programs = dict(conn.execute("SELECT code, id FROM programs").fetchall())
    fees: dict[str, list] = {}
    validity: dict[str, int] = {}
    for code, key, value, since in conn.execute(
        "SELECT p.code, a.key, a.value, a.effective_from FROM parameters a JOIN programs p ON p.id = a.program_id "
        "WHERE a.version_id IS NULL AND a.key IN ('fee_new', 'validity_years') ORDER BY a.effective_from DESC"
    ):
        if key == "fee_new":
            fees.setdefault(code, []).append((since, f"{float(value):.2f}"))
        else:
            validity.setdefault(code, int(value))
    rule_sets = dict(
        conn.execute(
            "SELECT DISTINCT ON (p.code) p.code, v.label FROM rule_set_versions v JOIN rule_sets r ON r.id = "
            "v.rule_set_id JOIN programs p ON p.id = r.program_id WHERE v.status = 'published' AND v.label IS NOT "
            "NULL ORDER BY p.code, v.effective_from DESC"
        ).fetchall()
    )
    needed = (("fees", fees), ("validity", validity), ("published rules", rule_sets))
    missing = [f"{code} {what}" for code in programs for what, found in needed if code not in found]
    if missing:
        raise SyntheticError(SEED_FIRST.format(", ".join(missing)))
    return Context(
        now=now,
        programs=programs,
        fees=fees,
        validity_years=validity,
        rule_sets=rule_sets,
        centers={code: [c.id for c in found] for code, found in centers.items()},
        officers=_officers(conn, ids, now, result),
        documents=_document_pool(seed),
        seats=Seats(_free_seats(conn, ids, centers, now, applicants, result)),
    )


def _officers(conn, ids: Ids, now: dt.datetime, result: Result) -> list[int]:
    """The synthetic officers who decided the synthetic cases: those of an earlier run, or twenty new ones."""
    found = [
        row[0]
        for row in conn.execute(
            "SELECT a.id FROM accounts a JOIN role_grants g ON g.account_id = a.id "
            "WHERE a.issuer = %s AND g.role = 'officer' ORDER BY a.id",
            (ISSUER,),
        )
    ]
    if found:
        return found
    with conn.cursor() as cur:
        for n in range(1, OFFICERS + 1):
            account_id = ids.take("accounts")
            cur.execute(
                "INSERT INTO accounts (id, issuer, subject, email, display_name, preferred_language, created_at) "
                "VALUES (%s, %s, %s, %s, %s, 'en', %s)",
                (account_id, ISSUER, f"synthetic-officer-{account_id}", f"officer{n}.{account_id}@example.com",
                 f"Synthetic Officer {n}", now - dt.timedelta(days=2500)),
            )  # fmt: skip
            cur.execute(
                "INSERT INTO role_grants (id, account_id, role, granted_at) VALUES (%s, %s, 'officer', %s)",
                (ids.take("role_grants"), account_id, now - dt.timedelta(days=2500)),
            )
            found.append(account_id)
    result.rows["accounts"] += OFFICERS
    result.rows["role_grants"] += OFFICERS
    return found


def _document_pool(seed: int) -> dict[str, list[tuple[str, str]]]:
    """A few hundred distinct synthetic numbers per kind of document, each encrypted once with the application's
    keyring and shared by many applicants: Fernet costs tens of microseconds a value, minutes for a million, and
    nothing in the service looks a person up by document number (it cannot: each ciphertext is salted)."""
    rng = random.Random(f"tt-synthetic-documents:{seed}")  # noqa: S311 (repeatable fake numbers, not secrets)
    avoid = {"P70707070", "L05T00000"}  # numbers the sandbox vetting provider treats as hits
    shapes = {
        "passport": lambda: f"{rng.choice('ABCDEFGHJKLMNRSTUVWXYZ')}{rng.randrange(10**8):08d}",
        "permanent_resident_card": lambda: (
            f"{rng.choice(('IOE', 'MSC', 'EAC', 'WAC', 'LIN', 'SRC'))}{rng.randrange(10**10):010d}"
        ),
        "drivers_license": lambda: f"{rng.choice('ABCDEFGHJKLMNPRSTWY')}{rng.randrange(10**7):07d}",
    }
    pool = {}
    for kind, shape in shapes.items():
        numbers = sorted({n for n in (shape() for _ in range(DOCUMENT_POOL)) if n not in avoid})
        pool[kind] = [(keyring.encrypt(n), n[-4:]) for n in numbers]
    return pool


def _free_seats(conn, ids: Ids, centers, now: dt.datetime, applicants: int, result: Result) -> dict:
    """Open the slots the centers' weekly hours give for the coming weeks (those not there yet, as
    `flask generate-slots` would) and return each center's free seats in them."""
    by_id = {c.id: c for found in centers.values() for c in found}
    start = now.date() + dt.timedelta(days=1)
    for weeks in SLOT_WEEKS:
        planned = {cid: planned_slots(center, start, 7 * weeks) for cid, center in by_id.items()}
        seats = sum(s for slots in planned.values() for _at, _minutes, s in slots)
        if seats >= 2 * SCHEDULED_SHARE * applicants:
            break
    instants = [at for slots in planned.values() for at, _minutes, _seats in slots]
    existing = {
        (center_id, at): (slot_id, free)
        for slot_id, center_id, at, free in conn.execute(
            "SELECT id, center_id, starts_at, capacity - booked - held FROM slots WHERE starts_at BETWEEN %s AND %s",
            (min(instants), max(instants)),
        )
    }
    new, free = [], {}
    for cid, slots in planned.items():
        for at, minutes, seats in slots:
            slot_id, left = existing.get((cid, at), (None, seats))
            if slot_id is None:
                slot_id = ids.take("slots")
                new.append((slot_id, cid, at, minutes, seats, 0, 0, False))
            if left > 0:
                free.setdefault(cid, []).append([slot_id, left])
    with conn.cursor() as cur:
        columns = ("id", "center_id", "starts_at", "duration_minutes", "capacity", "booked", "held", "remote")
        _copy(cur, "slots", columns, new)
    result.rows["slots"] += len(new)
    return free


def _next_ids(conn, tables) -> dict[str, int]:
    start = {}
    for table in tables:
        (top,) = conn.execute(sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))).fetchone()
        (last,) = conn.execute(
            "SELECT coalesce(pg_sequence_last_value(CAST(pg_get_serial_sequence(%s, 'id') AS regclass)), 0)", (table,)
        ).fetchone()
        start[table] = max(top, last) + 1
    return start


def _move_sequences(conn, ids: Ids) -> None:
    for table, nxt in ids.next.items():
        if nxt > 1:  # never backwards: the service may have moved a sequence on meanwhile
            conn.execute(
                "SELECT setval(s, GREATEST(%s, coalesce(pg_sequence_last_value(s), 0))) "
                "FROM CAST(pg_get_serial_sequence(%s, 'id') AS regclass) AS s",
                (nxt - 1, table),
            )
    conn.commit()


def _copy(cur, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY in PostgreSQL's binary format, which the server reads with less work than text (`write_row` needs the
    column types for it). A json column is sent as text: its binary form is the text itself, so values dumped once
    in Python go as they are."""
    if not rows:
        return
    types = dict(
        cur.execute(
            "SELECT attname, CASE WHEN t.typname = 'json' THEN 'text' ELSE t.typname END FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = CAST(%s AS regclass) AND a.attnum > 0",
            (table,),
        ).fetchall()
    )
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        copy.set_types([types[c] for c in columns])
        for row in rows:
            copy.write_row(row)


def _avoid_taken_numbers(conn, rows: dict[str, list[tuple]]) -> None:
    """References and Known Traveler Numbers are derived from ids, so synthetic ones never repeat; one the service
    issued at random may already hold the same value, and then the next derivation is used."""
    codes = dict(conn.execute("SELECT id, code FROM programs").fetchall())
    for table, column, position, derive in (
        ("applications", "reference", 1, lambda row, attempt: reference_for(row[0], attempt)),
        ("memberships", "ktn", 3, lambda row, attempt: ktn_for(codes[row[2]], row[0], attempt)),
    ):
        batch = rows[table]
        attempt = 0
        while True:
            values = [row[position] for row in batch]
            query = sql.SQL("SELECT {c} FROM {t} WHERE {c} = ANY(%s)").format(
                c=sql.Identifier(column), t=sql.Identifier(table)
            )
            taken = {v for (v,) in conn.execute(query, (values,))}
            if not taken:
                break
            attempt += 1
            for i, row in enumerate(batch):
                if row[position] in taken:
                    batch[i] = (*row[:position], derive(row, attempt), *row[position + 1 :])


def _batches(rng, ctx: Context, ids: Ids, applicants: int, size: int):
    """Batches generated one ahead in a thread, so Python builds the next while PostgreSQL takes in this one."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce():
        try:
            left = applicants
            while left > 0 and not stop.is_set():
                count = min(size, left)
                ready.put(generate_batch(rng, ctx, ids, count))
                left -= count
            ready.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            ready.put(exc)

    thread = threading.Thread(target=produce, name="synthetic-generator", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
