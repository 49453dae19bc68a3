"""Eligibility rules and parameters as dated, versioned data (issue 4 builds the editor and engine on this)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.db import Base, utcnow


class RuleSet(Base):
    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    program = relationship("Program")
    versions: Mapped[list[RuleSetVersion]] = relationship(back_populates="rule_set", order_by="RuleSetVersion.number")


class RuleSetVersion(Base):
    """A version of a rule set: draft, in_review, published (immutable) or retired.

    `revision` counts the changes to what it says and to its state (rules.authoring raises it with each one): the
    console's forms carry the revision their page showed, and a save or an approval from an older page is refused
    (authoring.check_revision), as an officer's case page carries Application.version. It is also the row's version
    counter, so of two leads saving at the same moment the second's UPDATE matches no row (StaleDataError).

    A rule set has at most one open version (a draft, or one in review): the partial unique index holds it when two
    leads start a change at the same moment, whatever numbers they gave their drafts (rules.authoring.start_draft)."""

    __tablename__ = "rule_set_versions"
    __table_args__ = (
        UniqueConstraint("rule_set_id", "number"),
        Index(
            "uq_rule_set_versions_open",
            "rule_set_id",
            unique=True,
            sqlite_where=text("status IN ('draft', 'in_review')"),
            postgresql_where=text("status IN ('draft', 'in_review')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"), index=True)
    number: Mapped[int]
    label: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. precheck-2026-11-01
    status: Mapped[str] = mapped_column(String(12), default="draft")
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_until: Mapped[dt.date | None] = mapped_column(Date)
    change_note: Mapped[str | None] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}

    rule_set: Mapped[RuleSet] = relationship(back_populates="versions")
    rules: Mapped[list[Rule]] = relationship(
        back_populates="version", order_by="Rule.position", cascade="all, delete-orphan"
    )


class Rule(Base):
    """A structured condition (closed operator set, validated by schema; never evaluated as text)."""

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rule_set_versions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    condition: Mapped[dict] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(20))  # ineligible, needs_review, condition
    message_en: Mapped[str] = mapped_column(String(1000))
    message_es: Mapped[str] = mapped_column(String(1000))
    citation: Mapped[str | None] = mapped_column(String(200))

    version: Mapped[RuleSetVersion] = relationship(back_populates="rules")


class Parameter(Base):
    """A dated value (OpenFisca-style): a change is a new row with a new effective date; history is kept.

    A value proposed in a draft rule-set version belongs to that version (`version_id`) and counts only once the
    version is published; established values have no version."""

    __tablename__ = "parameters"
    __table_args__ = (
        # one established value per program, key and date (partial: NULLs would otherwise never collide)
        Index(
            "uq_parameters_established",
            "program_id",
            "key",
            "effective_from",
            unique=True,
            sqlite_where=text("version_id IS NULL"),
            postgresql_where=text("version_id IS NULL"),
        ),
        Index(
            "uq_parameters_proposed",
            "version_id",
            "key",
            unique=True,
            sqlite_where=text("version_id IS NOT NULL"),
            postgresql_where=text("version_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), index=True)  # NULL: service-wide
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[dict | list | str | int | float] = mapped_column(JSON)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(500))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("rule_set_versions.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    program = relationship("Program")
    version = relationship("RuleSetVersion")
