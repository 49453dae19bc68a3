"""Vetting providers. The real agencies are out of reach, so the service talks to a small interface; the
embedded **sandbox** provider answers deterministically from a fixed list of test records, matched on surname
and date of birth, the way the real checks match on identity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

SOURCES = ("criminal_history", "watchlist", "immigration_customs")


@dataclass(frozen=True)
class Finding:
    source: str
    outcome: str  # clear, hit
    detail: str | None = None


class VettingProvider(Protocol):
    name: str

    def check(self, *, surname: str, given_names: str, date_of_birth: dt.date | None) -> list[Finding]: ...


# (surname, date of birth) -> (source, detail). Documented in README.md so demo users can trigger hits.
SANDBOX_RECORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("HITMAN", "1980-01-01"): (
        "criminal_history",
        "Sandbox record: 2019 conviction, robbery (interim offense).",
    ),
    ("WATCHLIST", "1975-05-05"): ("watchlist", "Sandbox record: possible match on a watchlist entry."),
    ("BORDERS", "1990-09-09"): (
        "immigration_customs",
        "Sandbox record: 2021 customs seizure, undeclared goods.",
    ),
    ("PATEL", "1985-03-14"): (
        "watchlist",
        "Sandbox record: name and date of birth resemble a watchlist entry.",
    ),
}


class SandboxVettingProvider:
    name = "sandbox"

    def check(self, *, surname: str, given_names: str, date_of_birth: dt.date | None) -> list[Finding]:
        key = ((surname or "").strip().upper(), date_of_birth.isoformat() if date_of_birth else "")
        hit = SANDBOX_RECORDS.get(key)
        return [
            Finding(source, "hit", hit[1]) if hit and hit[0] == source else Finding(source, "clear")
            for source in SOURCES
        ]


def get_provider() -> VettingProvider:
    return SandboxVettingProvider()
