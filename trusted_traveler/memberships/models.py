from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.db import Base, utcnow


class Membership(Base):
    """An approved membership and its Known Traveler Number (unique across the service, never reused)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    ktn: Mapped[str] = mapped_column(String(12), unique=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active, expired, revoked
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    # The last expiry reminder sent, in months before expiry (6, 3 or 1); NULL before the first.
    last_reminder_months: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    program = relationship("Program")
    profile = relationship("ApplicantProfile")
    application = relationship("Application")
