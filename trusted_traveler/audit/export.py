"""The audit log as CSV, one line at a time (for a streamed download), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import Row

from trusted_traveler.spreadsheets import spreadsheet_safe

HEADER = (
    "event_id",
    "when_utc",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "source_address",
    "request_id",
    "details",
)


def csv_row(row: Row) -> tuple[str, ...]:
    cells = (
        str(row.id),
        row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        actor_name(row),
        row.action,
        row.object_type,
        row.object_id,
        row.source_address or "",
        row.request_id or "",
        json.dumps(row.details or {}, sort_keys=True, ensure_ascii=False, default=str),
    )
    return tuple(spreadsheet_safe(cell) for cell in cells)


def actor_name(row: Row) -> str:
    """Who acted: the account's e-mail; a deleted account (a traveler's, privacy.deletion) by its number, the one
    the log keeps; or the system."""
    if row.actor_email:
        return row.actor_email
    return "system" if row.actor_id is None else f"deleted account {row.actor_id}"


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    """The header line, then one line per event (RFC 4180: CRLF line ends, quotes where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield _take(buffer)
    for row in rows:
        writer.writerow(csv_row(row))
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
