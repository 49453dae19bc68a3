"""Application references: short, unambiguous and safe to read aloud (no 0/O, 1/I/L, U), e.g. TT2-7KQ4-M9XD."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(rf"^TT2-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"TT2-{chars[:4]}-{chars[4:]}"


def normalize_reference(text: str) -> str:
    """Accept what a person types or reads aloud: any case, spaces, missing dashes, O for 0 and I/L for 1."""
    raw = re.sub(r"[^0-9A-Za-z]", "", text or "").upper()
    if raw.startswith("TT2"):
        raw = raw[3:]
    return f"TT2-{raw[:4]}-{raw[4:8]}" if len(raw) == 8 else text
