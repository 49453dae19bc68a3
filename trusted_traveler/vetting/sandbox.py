"""Vetting providers. The real agencies are out of reach, so the service talks to a small interface; the
embedded **sandbox** provider answers deterministically from a fixed list of test records, matched the way the
real checks match on identity: surname and date of birth (and the document number, where the record has one), or
the document number alone (a document reported lost or stolen)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

SOURCES = ("criminal_history", "watchlist", "immigration_customs")


@dataclass(frozen=True)
class Finding:
    source: str
    outcome: str  # clear, hit
    detail: str | None = None


class VettingUnavailable(Exception):
    """The agency did not answer (down, timed out, refused the connection): nothing was found either way."""


class VettingProvider(Protocol):
    name: str

    def check(
        self, *, surname: str, given_names: str, date_of_birth: dt.date | None, document_numbers: tuple[str, ...] = ()
    ) -> list[Finding]:
        """One finding a source. Raises VettingUnavailable when the agency does not answer."""


@dataclass(frozen=True)
class SandboxRecord:
    surname: str | None
    date_of_birth: str | None
    document: str | None
    source: str
    detail: str

    def matches(self, surname: str, date_of_birth: str, documents: set[str]) -> bool:
        if self.surname is None:  # a document-only record
            return self.document in documents
        same_person = self.surname == surname and self.date_of_birth == date_of_birth
        return same_person and (self.document is None or self.document in documents)


# Documented in README.md so demo users can trigger hits.
SANDBOX_RECORDS: tuple[SandboxRecord, ...] = (
    SandboxRecord("HITMAN", "1980-01-01", None, "criminal_history", "Sandbox record: 2019 conviction, robbery."),
    SandboxRecord("WATCHLIST", "1975-05-05", None, "watchlist", "Sandbox record: possible match on a watchlist entry."),
    SandboxRecord(
        "BORDERS", "1990-09-09", None, "immigration_customs", "Sandbox record: 2021 customs seizure, undeclared goods."
    ),
    SandboxRecord(
        "PATEL", "1985-03-14", None, "watchlist", "Sandbox record: name and date of birth resemble a watchlist entry."
    ),
    # Only this document of a person of this name and birth date: another Mendez born that day is clear.
    SandboxRecord(
        "MENDEZ", "1970-07-07", "P70707070", "criminal_history", "Sandbox record: 2020 arrest, smuggling, pending."
    ),
    SandboxRecord(
        None, None, "L05T00000", "immigration_customs", "Sandbox record: this passport was reported lost or stolen."
    ),
)


class SandboxVettingProvider:
    """The sandbox agency; `outage` makes it answer as an agency that is down does (VETTING_SANDBOX_OUTAGE)."""

    name = "sandbox"

    def __init__(self, *, outage: bool = False) -> None:
        self.outage = outage

    def check(
        self, *, surname: str, given_names: str, date_of_birth: dt.date | None, document_numbers: tuple[str, ...] = ()
    ) -> list[Finding]:
        if self.outage:
            raise VettingUnavailable("the sandbox vetting agency is down (VETTING_SANDBOX_OUTAGE)")
        name = (surname or "").strip().upper()
        born = date_of_birth.isoformat() if date_of_birth else ""
        documents = {d.replace(" ", "").upper() for d in document_numbers}
        hits = [r for r in SANDBOX_RECORDS if r.matches(name, born, documents)]
        findings = []
        for source in SOURCES:
            details = [r.detail for r in hits if r.source == source]
            findings.append(Finding(source, "hit", " ".join(details)) if details else Finding(source, "clear"))
        return findings


def get_provider() -> VettingProvider:
    return SandboxVettingProvider(outage=bool(current_app.config.get("VETTING_SANDBOX_OUTAGE")))
