"""The applicant profile: exactly one per traveler account, shared by every program.

Address and employment history are dated periods (month precision, `to_month` NULL meaning "present"), so gaps
are computed from them and never stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.crypto import EncryptedString
from trusted_traveler.db import Base, TimestampMixin


class ApplicantProfile(TimestampMixin, Base):
    __tablename__ = "applicant_profiles"
    # The minors who link a profile as their parent or guardian, found when it is deleted (privacy.deletion); few
    # profiles have a link (migration 0023).
    __table_args__ = (
        Index(
            "ix_applicant_profiles_guardian_profile_id",
            "guardian_profile_id",
            sqlite_where=text("guardian_profile_id IS NOT NULL"),
            postgresql_where=text("guardian_profile_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)

    # Names as on the passport
    surname: Mapped[str | None] = mapped_column(String(100))
    given_names: Mapped[str | None] = mapped_column(String(100))
    middle_names: Mapped[str | None] = mapped_column(String(100))

    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    birth_city: Mapped[str | None] = mapped_column(String(100))
    birth_region: Mapped[str | None] = mapped_column(String(100))
    birth_country: Mapped[str | None] = mapped_column(String(2))
    sex: Mapped[str | None] = mapped_column(String(1))  # F, M, X
    height_cm: Mapped[int | None]
    eye_color: Mapped[str | None] = mapped_column(String(20))
    hair_color: Mapped[str | None] = mapped_column(String(20))

    # Holds a U.S. Permanent Resident Card (CONTRACTS.md section 1: lawful_permanent_resident)
    lawful_permanent_resident: Mapped[bool] = mapped_column(default=False)

    # Contact
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    mailing_same_as_residential: Mapped[bool] = mapped_column(default=True)
    mailing_line1: Mapped[str | None] = mapped_column(String(200))
    mailing_line2: Mapped[str | None] = mapped_column(String(200))
    mailing_city: Mapped[str | None] = mapped_column(String(100))
    mailing_region: Mapped[str | None] = mapped_column(String(100))
    mailing_postal_code: Mapped[str | None] = mapped_column(String(20))
    mailing_country: Mapped[str | None] = mapped_column(String(2))

    # Background disclosures (CONTRACTS.md section 1); offenses are rows in offense_disclosures
    customs_immigration_violation: Mapped[bool | None]
    under_investigation: Mapped[bool | None]
    inadmissible_or_waiver: Mapped[bool | None]
    background_details: Mapped[str | None] = mapped_column(String(4000))
    background_answered_at: Mapped[dt.datetime | None]

    # Parent or guardian of a minor
    guardian_surname: Mapped[str | None] = mapped_column(String(100))
    guardian_given_names: Mapped[str | None] = mapped_column(String(100))
    guardian_relationship: Mapped[str | None] = mapped_column(String(40))
    guardian_email: Mapped[str | None] = mapped_column(String(320))
    guardian_reference: Mapped[str | None] = mapped_column(String(20))  # their application reference or KTN
    guardian_profile_id: Mapped[int | None] = mapped_column(ForeignKey("applicant_profiles.id"))
    guardian_consent_at: Mapped[dt.datetime | None]

    # Save-and-resume: which intake step the person reached
    intake_progress: Mapped[dict] = mapped_column(JSON, default=dict)

    account = relationship("Account")
    other_names: Mapped[list[OtherName]] = relationship(back_populates="profile", cascade="all, delete-orphan")
    citizenships: Mapped[list[Citizenship]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="Citizenship.country_code"
    )
    documents: Mapped[list[IdentityDocument]] = relationship(back_populates="profile", cascade="all, delete-orphan")
    # A history's periods in the order the person gave them: a page saves them all again, in its order, so their ids
    # are that order. (Sorted newest first, "Address 1" became "Address 2" as the page asked for missing months.)
    # Pages for staff sort them by date themselves.
    addresses: Mapped[list[AddressPeriod]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="AddressPeriod.id"
    )
    employment: Mapped[list[EmploymentPeriod]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="EmploymentPeriod.id"
    )
    countries_visited: Mapped[list[CountryVisited]] = relationship(
        back_populates="profile", cascade="all, delete-orphan"
    )
    offenses: Mapped[list[OffenseDisclosure]] = relationship(back_populates="profile", cascade="all, delete-orphan")

    @property
    def full_name(self) -> str:
        return full_name(self.given_names, self.middle_names, self.surname)

    @property
    def height_feet_inches(self) -> tuple[int, int] | None:
        """The height as the intake asks it, in whole feet and inches (kept in centimetres), or None."""
        return divmod(round(self.height_cm / 2.54), 12) if self.height_cm else None

    @property
    def citizenship_codes(self) -> list[str]:
        return [c.country_code for c in self.citizenships]


class OtherName(Base):
    __tablename__ = "profile_other_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    surname: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="alias")  # alias, maiden, previous

    profile: Mapped[ApplicantProfile] = relationship(back_populates="other_names")


class Citizenship(Base):
    __tablename__ = "profile_citizenships"
    __table_args__ = (UniqueConstraint("profile_id", "country_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    country_code: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2; "US" for citizens and nationals
    acquired: Mapped[str | None] = mapped_column(String(20))  # birth, naturalization, parents

    profile: Mapped[ApplicantProfile] = relationship(back_populates="citizenships")


class IdentityDocument(TimestampMixin, Base):
    """A passport, Permanent Resident Card or driver's license. The number is encrypted at rest."""

    __tablename__ = "identity_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # passport, permanent_resident_card, drivers_license
    issuing_country: Mapped[str] = mapped_column(String(2))
    issuing_region: Mapped[str | None] = mapped_column(String(10))  # state for a driver's license
    number: Mapped[str] = mapped_column(EncryptedString())
    number_last4: Mapped[str] = mapped_column(String(4))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    enhanced: Mapped[bool] = mapped_column(default=False)  # Enhanced Driver's License

    profile: Mapped[ApplicantProfile] = relationship(back_populates="documents")


class AddressPeriod(Base):
    __tablename__ = "address_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    from_month: Mapped[dt.date] = mapped_column(Date)  # first day of the month
    to_month: Mapped[dt.date | None] = mapped_column(Date)  # NULL: present
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))

    profile: Mapped[ApplicantProfile] = relationship(back_populates="addresses")


class EmploymentPeriod(Base):
    __tablename__ = "employment_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    from_month: Mapped[dt.date] = mapped_column(Date)
    to_month: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # employed, self_employed, unemployed, student, retired
    employer: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))

    profile: Mapped[ApplicantProfile] = relationship(back_populates="employment")


class CountryVisited(Base):
    __tablename__ = "countries_visited"
    __table_args__ = (UniqueConstraint("profile_id", "country_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    country_code: Mapped[str] = mapped_column(String(2))

    profile: Mapped[ApplicantProfile] = relationship(back_populates="countries_visited")


class OffenseDisclosure(Base):
    """One disclosed conviction or pending charge, in the categories of CONTRACTS.md section 1."""

    __tablename__ = "offense_disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))  # convicted, pending
    date: Mapped[dt.date] = mapped_column(Date)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    details: Mapped[str | None] = mapped_column(String(2000))

    profile: Mapped[ApplicantProfile] = relationship(back_populates="offenses")


def full_name(given_names: str | None, middle_names: str | None, surname: str | None) -> str:
    """A person's names in order, the missing ones left out (the profile's, or a queue row's columns)."""
    return " ".join(p for p in (given_names, middle_names, surname) if p)
