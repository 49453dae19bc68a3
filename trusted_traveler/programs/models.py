from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.db import Base

program_includes = Table(
    "program_includes",
    Base.metadata,
    Column("program_id", ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True),
    Column("included_program_id", ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True),
)


class Program(Base):
    """A trusted-traveler program. Fees, validity and windows are dated parameters, not columns."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # precheck, global_entry
    name: Mapped[str] = mapped_column(String(100))
    name_es: Mapped[str] = mapped_column(String(100))
    agency: Mapped[str] = mapped_column(String(10))  # TSA, CBP
    interview_required: Mapped[bool] = mapped_column(default=False)
    scheduler_service_id: Mapped[int] = mapped_column(unique=True)  # id in the CBP-style services list

    includes: Mapped[list[Program]] = relationship(
        secondary=program_includes,
        primaryjoin=lambda: Program.id == program_includes.c.program_id,
        secondaryjoin=lambda: Program.id == program_includes.c.included_program_id,
    )
