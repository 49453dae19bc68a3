"""Reads that tolerate a moment's lag from a PostgreSQL read replica, when DATABASE_REPLICA_URL names one.

Which reads: the officer queues and their counts, the supervisor's workload, and the worker's computing of the public
dashboard figures and typical times (docs/SCALING.md). Each runs through `read(statement)`; every other query, and
every write, goes to the primary (DATABASE_URL). Without a replica those reads go to the primary too.

When the replica cannot be reached (it is down, restarting or cut off), the read goes to the primary instead, and so
do this process's replica reads for the next REPLICA_RETRY_SECONDS (30 s); then the replica is tried again. The page
is a little slower while it rests, never an error page. A replica connection lost in the middle of a request fails
that request (its transaction cannot be finished), and the replica rests as after a failed connection.

Reading your own writes, as Rails' database selector does it: a signed-in person's request that may write (any
method but GET, HEAD and OPTIONS) reads the primary, and records the moment in their session; for
REPLICA_DELAY_SECONDS after it (2 s, longer than a healthy replica lags) their pages read the primary too. So an
officer who assigns cases and lands back on the queue sees them assigned.

Outside a request only the worker's periodic refreshes read the replica (`with reading_replica():`); a command that
has just written (seed-synthetic's refresh after its bulk load, say) reads the primary, which has what it wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, has_request_context, request, session
from sqlalchemy import Executable, Result
from sqlalchemy.exc import DBAPIError

from trusted_traveler.extensions import db

BIND = "replica"
LAST_WRITE = "_wrote_at"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_DELAY_SECONDS = 2.0
DEFAULT_RETRY_SECONDS = 30.0
_outside_requests: ContextVar[bool] = ContextVar("reading_replica", default=False)
_resting_until = 0.0  # time.monotonic() before which this process reads the primary: the replica was unreachable
log = logging.getLogger(__name__)


@contextmanager
def reading_replica() -> Iterator[None]:
    """Outside a request, let the reads inside read the replica (the worker's periodic refreshes)."""
    token = _outside_requests.set(True)
    try:
        yield
    finally:
        _outside_requests.reset(token)


def read(statement: Executable, params: dict | None = None) -> Result:
    """Run a read that tolerates a moment's lag: on the replica when there is one and this moment may read it,
    else on the primary; on the primary too when the replica cannot be reached (and for a while after)."""
    bind = replica()
    if not bind:
        return db.session.execute(statement, params)
    db.session.flush()  # pending writes go to the primary first: their failure is not the replica's
    try:
        return db.session.execute(statement, params, bind_arguments=bind)
    except DBAPIError as exc:
        if exc.statement is not None and not exc.connection_invalidated:
            # The statement failed on a live connection: a mistake of ours, or a hot standby cancelling it for a
            # change it was replaying (docs/SCALING.md: hot_standby_feedback). Either way the transaction on
            # that connection is aborted, so the session cannot simply go on without it.
            raise
        _rest(exc)
        if exc.connection_invalidated:
            raise  # lost mid-transaction: the session must roll back before it can go on
        return db.session.execute(statement, params)  # no connection was made: the session is as it was


def replica() -> dict:
    """The `bind_arguments` read() uses: the replica's engine when there is one, this moment may read it and it is
    not resting after a failure, else nothing (the primary)."""
    engine = db.engines.get(BIND)
    if engine is None or _reads_primary() or time.monotonic() < _resting_until:
        return {}
    return {"bind": engine}


def _rest(exc: DBAPIError) -> None:
    global _resting_until
    seconds = float(current_app.config.get("REPLICA_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
    _resting_until = time.monotonic() + seconds
    log.warning("replica unreachable, reading the primary for %.0f s: %s", seconds, exc.orig)


def _reads_primary() -> bool:
    if not has_request_context():
        return not _outside_requests.get()
    if request.method not in READS:
        return True
    wrote_at = session.get(LAST_WRITE)
    return wrote_at is not None and time.time() - wrote_at < _delay()


def _delay() -> float:
    return float(current_app.config.get("REPLICA_DELAY_SECONDS", DEFAULT_DELAY_SECONDS))


def engine_options(app: Flask) -> None:
    """Before the engines are made: Flask-SQLAlchemy gives SQLALCHEMY_ENGINE_OPTIONS to the primary's engine only.
    The replica's gets them too (pre-ping, so a connection that died with a replica restart is replaced, not
    used; parameters hidden from logs; the pool's size), and on PostgreSQL a 2 s connect timeout, so an
    unreachable replica fails fast and its reads go to the primary (libpq's default waits on TCP for minutes)."""
    binds = dict(app.config.get("SQLALCHEMY_BINDS") or {})
    if BIND not in binds:
        return
    given = binds[BIND] if isinstance(binds[BIND], dict) else {"url": binds[BIND]}
    options = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), **given}
    if str(options["url"]).startswith("postgresql"):
        options.setdefault("connect_args", {"connect_timeout": 2})
    binds[BIND] = options
    app.config["SQLALCHEMY_BINDS"] = binds


def init_app(app: Flask) -> None:
    @app.after_request
    def _remember_writes(response):
        """After a signed-in person's request that may have written, their reads stay on the primary a while."""
        # "_user_id": Flask-Login's key for a signed-in session (no account query here, which could fail after a
        # database error the response already reports)
        if BIND in app.config.get("SQLALCHEMY_BINDS", {}) and request.method not in READS and "_user_id" in session:
            session[LAST_WRITE] = time.time()
        return response
