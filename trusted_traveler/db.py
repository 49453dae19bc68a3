"""Declarative base and column helpers shared by every domain package. No active-record methods."""

from __future__ import annotations

import datetime as dt
import sqlite3
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import Date, DateTime, MetaData, TypeDecorator, event, literal
from sqlalchemy.engine import Engine
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


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def to_micros(instant: dt.datetime) -> int:
    """`instant` as whole microseconds since 1970 (UTC), exactly: a page cursor's number. `timestamp() * 1_000_000`
    goes through a float and comes out a microsecond short for some instants (about one in five from 2039)."""
    return (instant - EPOCH) // MICROSECOND


def from_micros(micros: int) -> dt.datetime:
    """The instant to_micros gave `micros` for. Raises OverflowError beyond the years datetime holds."""
    return EPOCH + micros * MICROSECOND


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


class service_day(GenericFunction):  # lower case, as SQL functions are named (func.service_day)
    """SQL: the calendar day in the service's zone (SERVICE_TIMEZONE, as service_date) of a `UTCDateTime` column,
    to compare with a `Date` column: `service_day(column)`. The zone's name is a bound value, so a cached statement
    never keeps another app's zone. SQLite has no time zones: each connection gets a Python `service_day` function
    (`_sqlite_service_day`)."""

    type = Date()
    inherit_cache = True

    def __init__(self, column, **kwargs):
        super().__init__(column, literal(service_zone().key), **kwargs)


@compiles(service_day)
def _service_day(element, compiler, **kw) -> str:
    return f"service_day({compiler.process(element.clauses, **kw)})"


@compiles(service_day, "postgresql")
def _service_day_postgresql(element, compiler, **kw) -> str:
    column, zone = element.clauses
    return f"CAST(({compiler.process(column, **kw)}) AT TIME ZONE {compiler.process(zone, **kw)} AS DATE)"


def _sqlite_service_day(stored: str | None, zone: str) -> str | None:
    """SQLite's `service_day`: the stored UTC time (ISO text, as UTCDateTime keeps it there) as a date in `zone`."""
    if stored is None:
        return None
    instant = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)
    return instant.astimezone(_zone_named(zone)).date().isoformat()


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("service_day", 2, _sqlite_service_day, deterministic=True)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
