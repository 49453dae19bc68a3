"""Declarative base and column helpers shared by every domain package. No active-record methods."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import Date, DateTime, MetaData, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.sql.functions import GenericFunction

from config import DEFAULT_SERVICE_TIMEZONE, ConfigError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


ID_MAX = 2**31 - 1  # the largest id an Integer primary key holds (PostgreSQL's integer); a larger one is no row


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@cache
def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, TypeError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ConfigError(
            f"SERVICE_TIMEZONE must be an IANA time zone name such as {DEFAULT_SERVICE_TIMEZONE} (got {name!r})"
        ) from None


def service_zone(name: str | None = None) -> ZoneInfo:
    """The zone named `name`; by default the configured SERVICE_TIMEZONE, or America/New_York outside an app (a
    script). create_app asks for the configured name first, so one that is no zone stops the app from starting
    (ConfigError) rather than failing its first page."""
    if name is None and has_app_context():
        name = current_app.config.get("SERVICE_TIMEZONE")
    return _zone_named(name or DEFAULT_SERVICE_TIMEZONE)


def service_date(instant: dt.datetime) -> dt.date:
    """The service's calendar date at `instant` (an aware datetime): the date in SERVICE_TIMEZONE, not UTC's."""
    return instant.astimezone(service_zone()).date()


def service_today() -> dt.date:
    """The service's today: the date in SERVICE_TIMEZONE (America/New_York by default). It decides the rule version
    and fees in force, due dates and deadlines, and what the daily jobs do. Not the server's UTC date, which at
    20:00 in New York is already tomorrow. (A center's own day, for its hours and slots, is its own zone's:
    scheduling.slots.local_time.) Tests set the clock by patching `trusted_traveler.db.utcnow`."""
    return service_date(utcnow())


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone, so we restore it on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class utc_day(GenericFunction):  # lower case, as SQL functions are named (func.utc_day)
    """SQL: the calendar day, in UTC, of a `UTCDateTime` column, to compare with a `Date` column on either database
    (PostgreSQL would otherwise turn the date into a time in the session's zone)."""

    type = Date()
    inherit_cache = True


@compiles(utc_day)
def _utc_day(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"  # SQLite keeps UTC times as ISO text


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
