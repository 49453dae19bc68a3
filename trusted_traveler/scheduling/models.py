"""Enrollment centers, their capacity, slots and appointments. Times are stored in UTC."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.db import Base, TimestampMixin, utcnow


class SchedulerService(Base):
    """A service in the CBP scheduler sense: 1 Global Entry, 2 NEXUS, 3 SENTRI, 4/5 FAST, ours for PreCheck."""

    __tablename__ = "scheduler_services"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(60), unique=True)


center_services = Table(
    "center_services",
    Base.metadata,
    Column("center_id", ForeignKey("enrollment_centers.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("scheduler_services.id"), primary_key=True),
)


class EnrollmentCenter(TimestampMixin, Base):
    __tablename__ = "enrollment_centers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # CBP-style integer id
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(100))
    location_type: Mapped[str] = mapped_column(String(3))  # AIR, LND, TSA
    location_code: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(300))
    address_additional: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10))
    postal_code: Mapped[str] = mapped_column(String(20))
    country_code: Mapped[str] = mapped_column(String(2))
    tz_name: Mapped[str] = mapped_column(String(64))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    phone_area_code: Mapped[str | None] = mapped_column(String(10))
    phone_country_code: Mapped[str | None] = mapped_column(String(5))
    phone_extension: Mapped[str | None] = mapped_column(String(10))
    directions: Mapped[str | None] = mapped_column(String(2000))
    notes: Mapped[str | None] = mapped_column(String(4000))
    operational: Mapped[bool] = mapped_column(default=True)
    temporary: Mapped[bool] = mapped_column(default=False)
    invite_only: Mapped[bool] = mapped_column(default=False)
    enrollment_on_arrival: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    effective_date: Mapped[dt.date | None] = mapped_column(Date)
    # Booking policies
    min_notice_hours: Mapped[int] = mapped_column(default=2, server_default="2")  # book at least this far ahead
    cancel_cutoff_hours: Mapped[int] = mapped_column(default=24, server_default="24")  # change online until then
    max_reschedules: Mapped[int] = mapped_column(default=3, server_default="3")

    services: Mapped[list[SchedulerService]] = relationship(secondary=center_services, order_by=SchedulerService.id)
    capacity: Mapped[list[CapacityTemplate]] = relationship(back_populates="center", cascade="all, delete-orphan")
    closures: Mapped[list[Closure]] = relationship(back_populates="center", cascade="all, delete-orphan")


class CapacityTemplate(Base):
    """Weekly opening hours for one weekday (0 = Monday), in the center's local time."""

    __tablename__ = "capacity_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("enrollment_centers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    opens_at: Mapped[dt.time] = mapped_column(Time)
    closes_at: Mapped[dt.time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(default=15)
    seats: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)

    center: Mapped[EnrollmentCenter] = relationship(back_populates="capacity")


class Closure(Base):
    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("enrollment_centers.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))

    center: Mapped[EnrollmentCenter] = relationship(back_populates="closures")


class Slot(Base):
    """A bookable time at a center. `booked` never exceeds `capacity`: a check constraint plus a conditional
    UPDATE (`... WHERE booked < capacity`) make overbooking impossible under any concurrency."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("center_id", "starts_at"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        Index("ix_slots_open", "starts_at", "center_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("enrollment_centers.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime]
    duration_minutes: Mapped[int] = mapped_column(default=15)
    capacity: Mapped[int] = mapped_column(default=1)
    booked: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)  # seats held for waitlist offers
    # Seats kept above the center's hours for appointments in conflict (after a closure or fewer seats): each one
    # released is given up, not booked again (capacity.replan sets it, lookups.release_seat spends it).
    kept_seats: Mapped[int] = mapped_column(default=0, server_default="0")
    remote: Mapped[bool] = mapped_column(default=False)

    center: Mapped[EnrollmentCenter] = relationship()


_ACTIVE_APPT = "status IN ('booked', 'checked_in')"


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_one_active_per_application",
            "application_id",
            unique=True,
            sqlite_where=text(_ACTIVE_APPT),
            postgresql_where=text(_ACTIVE_APPT),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(12), default="booked"
    )  # booked, checked_in, completed, no_show, cancelled
    reschedule_count: Mapped[int] = mapped_column(default=0)  # every move (a calendar file's SEQUENCE)
    # the moves its center forced (lookups.in_conflict), which do not count against the online limit (migration 0026)
    forced_moves: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    booked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]
    checked_in_at: Mapped[dt.datetime | None]
    reminder_sent_at: Mapped[dt.datetime | None]

    slot: Mapped[Slot] = relationship()
    application = relationship("Application")


waitlist_entry_centers = Table(
    "waitlist_entry_centers",
    Base.metadata,
    Column("entry_id", ForeignKey("waitlist_entries.id", ondelete="CASCADE"), primary_key=True),
    Column("center_id", ForeignKey("enrollment_centers.id", ondelete="CASCADE"), primary_key=True),
)


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    earliest_date: Mapped[dt.date] = mapped_column(Date)
    latest_date: Mapped[dt.date] = mapped_column(Date)
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting, offered, booked, expired, cancelled
    offered_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    offer_expires_at: Mapped[dt.datetime | None]

    centers: Mapped[list[EnrollmentCenter]] = relationship(secondary=waitlist_entry_centers)
    application = relationship("Application")
