"""URL parts the database can hold: `<int:...>` in any route matches a row id only, 1 to ID_MAX (PostgreSQL's
integer), so /admin/centers/99999999999 is "not found" like any other missing row, not a database error. Installed
once by create_app, before the blueprints' routes are added."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from trusted_traveler.db import ID_MAX


class RowIdConverter(IntegerConverter):
    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def row_id(text: str | None) -> int | None:
    """The row id a form field or query parameter names, or None: not a whole number, or one no row can have (an
    edited page or link; a larger number would make PostgreSQL fail)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(ID_MAX)):  # int() refuses 4,301 digits
        return None
    ident = int(text)
    return ident if 0 < ident <= ID_MAX else None


def install(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter
