"""Booking under contention: 50 bookers at once (processes x threads) calling the real booking path
(`scheduling.service.book`, then commit, as the portal's book view does), all after the soonest seats.

Each booker takes its own submitted PreCheck applications one by one and, as a traveler on the booking pages would,
finds the center with the soonest free seat (`soonest_by_center`, the find-a-center page) and books one of its ten
first free times (`open_slots`, the times page): the seats every traveler wants. When another booker took the seat
first (`SlotTaken`) it chooses again among that center's free times, which is what the portal then shows it (until
stop 16 it went back to the centers, a look-up no traveler makes at that point). (Until stop 13 the harness chose
among the ten soonest free slots of all PreCheck centers with a query of its own, one no page runs, which sorted
every future slot: 15 ms an attempt.)

Afterwards: overbooks (slots with more seats booked or held than their capacity, and
slots whose `booked` differs from their active appointments) must be 0.
"""

from __future__ import annotations

import gc
import multiprocessing
import random
import threading
import time
from dataclasses import dataclass

MAX_CONFLICTS_PER_BOOKING = 50


@dataclass
class BookingResult:
    bookers: int
    booked: int
    conflicts: int
    failed: int
    seconds: float
    overbooked_slots: int
    miscounted_slots: int

    @property
    def per_second(self) -> float:
        return self.booked / self.seconds if self.seconds else 0.0


def _app(url: str, env: dict, threads: int):
    from trusted_traveler import create_app

    return create_app(
        "production",
        env={**env, "DATABASE_URL": url},
        overrides={"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": threads + 1, "max_overflow": 0}},
    )


def _booker(app, application_ids: list[int], deadline_at: float, totals: dict, lock: threading.Lock) -> None:
    import datetime as dt

    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from trusted_traveler.auth.models import Account
    from trusted_traveler.casework.models import Application
    from trusted_traveler.db import utcnow
    from trusted_traveler.errors import BusinessRuleViolation
    from trusted_traveler.extensions import db
    from trusted_traveler.profiles.models import ApplicantProfile
    from trusted_traveler.scheduling.models import EnrollmentCenter
    from trusted_traveler.scheduling.service import SlotTaken, book, open_slots, soonest_by_center

    try:
        from trusted_traveler.scheduling.waitlist import days_ahead
    except ImportError:  # an older tree: the times page's constant
        from trusted_traveler.web.portal.appointments import DAYS_SHOWN

        def days_ahead() -> int:
            return DAYS_SHOWN

    rng = random.Random(application_ids[0] if application_ids else 0)  # noqa: S311 - not security
    booked = conflicts = failed = 0
    with app.app_context():
        for application_id in application_ids:
            if time.time() >= deadline_at:
                break
            center_id = None
            for _ in range(MAX_CONFLICTS_PER_BOOKING):
                try:
                    # What the booking page has in hand: the signed-in account with its role grants (the
                    # user loader), the application with its profile and program (get_application_for_traveler).
                    application = db.session.get(
                        Application,
                        application_id,
                        options=[joinedload(Application.profile), joinedload(Application.program)],
                    )
                    account = db.session.scalar(
                        select(Account)
                        .options(joinedload(Account.role_grants))
                        .join(ApplicantProfile, ApplicantProfile.account_id == Account.id)
                        .where(ApplicantProfile.id == application.profile_id)
                    )
                    # Then what the traveler saw on the way: the centers, soonest first (the find-a-center page),
                    # and the first free times at the soonest (the times page). Everyone wants the same ten seats.
                    # A traveler whose time was taken is shown that center's times again (the portal's answer to
                    # SlotTaken), not the centers.
                    now = utcnow()
                    if center_id is None:
                        centers = soonest_by_center(application.program, since=now)
                        if not centers:
                            failed += 1
                            break
                        center_id = min(centers, key=lambda c: (centers[c], c))
                    center = db.session.get(EnrollmentCenter, center_id)
                    since = now + dt.timedelta(hours=center.min_notice_hours)
                    soonest = open_slots(center, since=since, until=since + dt.timedelta(days=days_ahead()), limit=10)
                    if not soonest:  # none left there: back to the centers
                        center_id = None
                        continue
                    book(application, rng.choice(soonest), by=account, now=now)
                    db.session.commit()
                    booked += 1
                    break
                except SlotTaken:
                    db.session.rollback()
                    conflicts += 1
                except BusinessRuleViolation:
                    db.session.rollback()
                    failed += 1
                    break
            else:
                failed += 1
        db.session.remove()
    with lock:
        totals["booked"] += booked
        totals["conflicts"] += conflicts
        totals["failed"] += failed
        totals["ended"] = max(totals["ended"], time.time())


def _process(url: str, env: dict, chunks: list[list[int]], ready, go, seconds: float, out) -> None:
    app = _app(url, env, len(chunks))
    with app.app_context():  # connect and warm the pool and the reference data before the start
        from trusted_traveler.extensions import db
        from trusted_traveler.programs.models import Program

        db.session.query(Program).all()
        db.session.remove()
    gc.collect()  # as gunicorn.conf.py's post_worker_init does in each worker: start-up's objects out of the
    gc.freeze()  # collector's sight
    ready.put(1)
    go.wait(120)
    deadline_at = time.time() + seconds
    totals = {"booked": 0, "conflicts": 0, "failed": 0, "ended": 0.0}
    lock = threading.Lock()
    threads = [threading.Thread(target=_booker, args=(app, chunk, deadline_at, totals, lock)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    out.put(totals)


def run_contention(
    url: str, env: dict, *, bookers: int = 50, processes: int = 5, seconds: float = 20.0, per_booker: int = 400
) -> BookingResult:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                text(
                    "SELECT a.id FROM applications a JOIN programs p ON p.id = a.program_id "
                    "WHERE p.code = 'precheck' AND a.status = 'submitted' AND NOT EXISTS (SELECT 1 FROM appointments "
                    "x WHERE x.application_id = a.id AND x.status IN ('booked', 'checked_in')) ORDER BY a.id LIMIT :n"
                ),
                {"n": bookers * per_booker},
            ).scalars()
        )
    per_thread = [ids[i::bookers] for i in range(bookers)]
    threads_per_process = -(-bookers // processes)
    context = multiprocessing.get_context("spawn")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    workers = []
    for p in range(processes):
        chunks = per_thread[p * threads_per_process : (p + 1) * threads_per_process]
        if chunks:
            workers.append(context.Process(target=_process, args=(url, env, chunks, ready, go, seconds, out)))
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=180)
    started = time.time()
    go.set()
    totals = [out.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join(60)
    ended = max(t["ended"] for t in totals) or time.time()
    with engine.connect() as conn:
        overbooked = conn.execute(text("SELECT count(*) FROM slots WHERE booked + held > capacity")).scalar_one()
        miscounted = conn.execute(
            text(
                "SELECT count(*) FROM slots s WHERE s.booked <> (SELECT count(*) FROM appointments a "
                "WHERE a.slot_id = s.id AND a.status IN ('booked', 'checked_in'))"
            )
        ).scalar_one()
    engine.dispose()
    return BookingResult(
        bookers=bookers,
        booked=sum(t["booked"] for t in totals),
        conflicts=sum(t["conflicts"] for t in totals),
        failed=sum(t["failed"] for t in totals),
        seconds=ended - started,
        overbooked_slots=overbooked,
        miscounted_slots=miscounted,
    )
