"""A PostgreSQL database of the benchmark's own: created empty, handed over, and dropped afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """Yield the URL of a new empty database on `BENCH_ADMIN_URL`'s server; drop it on the way out."""
    admin_url = make_url(os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    name = f"tt_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
