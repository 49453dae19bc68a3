"""CSV downloads that are safe to open in a spreadsheet: every cell of text goes through `spreadsheet_safe`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from numbers import Number

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); OWASP adds tab and CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value`, with a leading single quote when a spreadsheet would otherwise read it as a formula: when it starts
    with one of FORMULA_STARTS, or does once the whitespace before it is trimmed (" =HYPERLINK(...)", as some
    spreadsheets trim it)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS) else value


def cell(value) -> object:
    """A value as a CSV cell: a number as it is (a negative number is not a formula), nothing as an empty cell, and
    anything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, Number):
        return value
    return spreadsheet_safe(str(value))


def csv_text(header: Iterable, rows: Iterable[Iterable]) -> str:
    """A whole CSV download (RFC 4180: CRLF line ends, quotes where needed): the header, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(value) for value in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()
