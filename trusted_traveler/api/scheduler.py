"""The CBP scheduler API, served under /schedulerapi so that existing appointment watchers work against Trusted
Traveler 2.0 by changing only their base URL (CONTRACTS.md section 2; formats in BRIEF.md section 4).

Anonymous and read-only. Choices made where the contract is silent:

- Times. Slots are stored in UTC; every timestamp we send is wall-clock time at the location (its `tzData`), without
  a zone: `YYYY-MM-DDTHH:MM` for slots and grid entries, `YYYY-MM-DDTHH:MM:SS` for `lastPublishedDate` and the
  location dates. Timestamps we receive are read the same way, as wall-clock time at the location.
- Free seats are `capacity - booked - held` (never below 0). A slot is open when it starts after now, its center is
  operational and it has at least `minimum` free seats (at least one).
- `GET /slots`: `orderBy` may be left out or be `soonest` (any case); `limit` defaults to 1 and must be at least 1,
  larger values than 500 are reduced to 500 rather than refused (clients ask for 500 or 1000); `minimum` defaults
  to 1 and must be at least 1; no `locationId`: every operational location. Ties are broken by location id.
- `GET /slot-availability`: `locationId` is required. `availableSlots` are the open slots with at least one free seat,
  soonest first, at most 500. `lastPublishedDate` says how far ahead the location's schedule is published: the start
  (local time) of the latest slot that exists there, taken or not; `null` when there is none. An unknown or
  non-operational location gives `{"availableSlots": [], "lastPublishedDate": null}`.
- `GET /locations/{id}/slots`: `startTimestamp` and `endTimestamp` are required, as `YYYY-MM-DDTHH:MM`,
  `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD` (midnight), and both ends are inclusive. Slots that start sooner than the
  location's minimum notice (or have started) report `"active": 0`: they cannot be booked, and `/slots` leaves
  them out. An unknown or non-operational location gives `[]`.
- `GET /locations/`: every location (operational or not) unless filtered; `serviceName` matches a service name
  case-insensitively (an unknown name matches nothing, `[]`). Sorted by id. Fields CBP has that we do not keep
  (alternate phone, fax, map file, access code, who updated) are `null`.
- Parameters: integers are plain digits up to 2147483647; booleans are `true`/`false` in any case; a parameter given
  with an empty value is malformed. Unknown parameters are ignored (watchers send extra ones). Every malformed
  parameter is named in one `400 {"errors": [{"field": ..., "message": ...}]}`.
- HTTP: `200` answers carry `Cache-Control: public, max-age=30` and a strong `ETag` (SHA-256 of the body);
  `If-None-Match` gives `304`. Error answers carry `Cache-Control: no-store`, including an unknown path (`404`) or
  method (`405`) under /schedulerapi, answered in the same JSON envelope with the same CORS headers. CORS is open
  (`*`, no credentials) for GET and HEAD, and preflight `OPTIONS` is answered. Each client address may make 120
  requests a minute across the whole API; beyond that `429` (JSON, with `Retry-After`).
- Every answer is computed in at most three queries, with filtering, ordering and limits in SQL.
- Each worker keeps a `200` answer for `RESPONSE_CACHE_SECONDS` (30, the `max-age` every answer already allows any
  cache; the setting SCHEDULERAPI_CACHE_SECONDS, 0 under test), keyed by path and query string, with its ETag:
  watchers poll the same few questions (issue 8: the public slots API at 70% of the framework's ceiling). A seat
  taken or freed shows within those seconds; booking re-checks the seat anyway. The rate limit still counts every
  request. `make_conditional` runs only when the request sends a conditional or range header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from functools import lru_cache, wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from trusted_traveler.api.common import bad_request
from trusted_traveler.auth.policy import public
from trusted_traveler.auth.sessions import anonymous_answer
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db, limiter
from trusted_traveler.scheduling.lookups import bookable_after
from trusted_traveler.scheduling.models import EnrollmentCenter, SchedulerService, Slot

bp = Blueprint("schedulerapi", __name__, url_prefix="/schedulerapi")

LIMIT_CAP = 500
MAX_INT = 2_147_483_647
CACHE_SECONDS = 30
RATE_LIMIT = "120/minute"
MINUTES = "%Y-%m-%dT%H:%M"
SECONDS = "%Y-%m-%dT%H:%M:%S"
EXPOSED_HEADERS = "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
_DIGITS = re.compile(r"[0-9]+")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")
_HEADER_LIST = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*")

# One rate limit shared by every endpoint below, per client address. Preflight requests are not counted.
rate_limit = limiter.shared_limit(RATE_LIMIT, scope="schedulerapi", methods=["GET", "HEAD"])

RESPONSE_CACHE_SECONDS = CACHE_SECONDS  # what Cache-Control already lets any cache on the way keep it
RESPONSE_CACHE_ENTRIES = 2048  # bounded whatever query strings clients invent: full, it starts again empty
_responses: dict[str, tuple[float, bytes, str]] = {}  # app and full path: (when, body, ETag)
CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range", "If-Range")


def cached(view):
    """Keep the view's 200 answers for a few seconds in this worker, keyed by path and query string."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        default = 0 if current_app.testing else RESPONSE_CACHE_SECONDS
        seconds = current_app.config.get("SCHEDULERAPI_CACHE_SECONDS", default)
        if not seconds:
            return view(*args, **kwargs)
        key = f"{id(current_app._get_current_object())} {request.full_path}"  # apps apart (tests build several)
        kept = _responses.get(key)
        if kept is not None and time.monotonic() - kept[0] < seconds:
            response = Response(kept[1], mimetype="application/json")
            response.set_etag(kept[2])
            return response
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200:
            if len(_responses) >= RESPONSE_CACHE_ENTRIES:
                _responses.clear()
            body = response.get_data()
            _responses[key] = (time.monotonic(), body, hashlib.sha256(body).hexdigest())
        return response

    return wrapper


def now() -> dt.datetime:
    """The current instant (a seam for tests)."""
    return utcnow()


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(instant: dt.datetime, tz_name: str) -> dt.datetime:
    """Wall-clock time at the location, without a zone."""
    return instant.astimezone(zone(tz_name)).replace(tzinfo=None)


def free_seats():
    return Slot.capacity - Slot.booked - Slot.held


# --- parameters -------------------------------------------------------------------------------------------------


class Query:
    """Reads query parameters, collecting a message for each malformed one."""

    def __init__(self, args):
        self.args = args
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def integer(self, name: str, *, default: int | None = None, least: int = 0, required: bool = False, value=None):
        raw = self.args.get(name) if value is None else value
        if raw is None:
            if required:
                self.fail(name, "This parameter is required.")
            return default
        if not _DIGITS.fullmatch(raw) or int(raw) < least:
            self.fail(name, f"Must be a whole number, {least} or more.")
            return default
        number = int(raw)
        if number > MAX_INT:
            self.fail(name, f"Must be at most {MAX_INT}.")
            return default
        return number

    def boolean(self, name: str) -> bool | None:
        raw = self.args.get(name)
        if raw is None:
            return None
        if raw.lower() not in ("true", "false"):
            self.fail(name, "Must be true or false.")
            return None
        return raw.lower() == "true"

    def text(self, name: str, *, longest: int = 100) -> str | None:
        raw = self.args.get(name)
        if raw is None:
            return None
        cleaned = raw.strip()
        if not cleaned or len(cleaned) > longest or not cleaned.isprintable():
            self.fail(name, f"Must be a name of 1 to {longest} characters.")
            return None
        return cleaned

    def timestamp(self, name: str) -> dt.datetime | None:
        """A wall-clock time: YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD (midnight)."""
        raw = self.args.get(name)
        if raw is None:
            self.fail(name, "This parameter is required, as YYYY-MM-DDTHH:MM.")
            return None
        try:
            if not _TIMESTAMP.fullmatch(raw):
                raise ValueError
            value = dt.datetime.fromisoformat(raw)
            if not 1900 <= value.year <= 9000:
                raise ValueError
        except ValueError:
            self.fail(name, "Must be a date and time as YYYY-MM-DDTHH:MM (or YYYY-MM-DDTHH:MM:SS, or YYYY-MM-DD).")
            return None
        return value


# --- JSON shapes ------------------------------------------------------------------------------------------------


def slot_object(center_id: int, starts_at: dt.datetime, minutes: int, remote: bool, tz_name: str) -> dict:
    """BRIEF.md 4.2.1: exactly these six fields."""
    return {
        "locationId": center_id,
        "startTimestamp": local(starts_at, tz_name).strftime(MINUTES),
        "endTimestamp": local(starts_at + dt.timedelta(minutes=minutes), tz_name).strftime(MINUTES),
        "active": True,
        "duration": minutes,
        "remoteInd": bool(remote),
    }


def location_object(center: EnrollmentCenter) -> dict:
    """BRIEF.md 4.2.2: CBP's location fields; those we do not keep are null."""
    tz = center.tz_name

    def stamp(instant):
        return local(instant, tz).strftime(SECONDS) if instant else None

    return {
        "id": center.id,
        "name": center.name,
        "shortName": center.short_name,
        "locationType": center.location_type,
        "locationCode": center.location_code,
        "address": center.address,
        "addressAdditional": center.address_additional,
        "city": center.city,
        "state": center.state,
        "postalCode": center.postal_code,
        "countryCode": center.country_code,
        "tzData": tz,
        "phoneNumber": center.phone_number,
        "phoneAreaCode": center.phone_area_code,
        "phoneCountryCode": center.phone_country_code,
        "phoneExtension": center.phone_extension,
        "phoneAltNumber": None,
        "phoneAltAreaCode": None,
        "phoneAltCountryCode": None,
        "phoneAltExtension": None,
        "faxNumber": None,
        "faxAreaCode": None,
        "faxCountryCode": None,
        "faxExtension": None,
        "effectiveDate": center.effective_date.strftime("%Y-%m-%dT00:00:00") if center.effective_date else None,
        "temporary": bool(center.temporary),
        "inviteOnly": bool(center.invite_only),
        "operational": bool(center.operational),
        "directions": center.directions,
        "notes": center.notes,
        "mapFileName": None,
        "accessCode": None,
        "lastUpdatedBy": None,
        "lastUpdatedDate": stamp(center.updated_at),
        "createdDate": stamp(center.created_at),
        "services": [{"id": service.id, "name": service.name} for service in center.services],
    }


# --- queries ----------------------------------------------------------------------------------------------------


def open_slots(*, location_id: int | None, minimum: int, limit: int) -> list[dict]:
    """Open slots soonest first, in one query."""
    stmt = (
        select(Slot.center_id, Slot.starts_at, Slot.duration_minutes, Slot.remote, EnrollmentCenter.tz_name)
        .join(EnrollmentCenter, EnrollmentCenter.id == Slot.center_id)
        .where(
            EnrollmentCenter.operational.is_(True),
            bookable_after(now()),  # never list a time the booking service would refuse (phantom openings)
            free_seats() >= max(minimum, 1),
        )
        .order_by(Slot.starts_at, Slot.center_id)
        .limit(limit)
    )
    if location_id is not None:
        stmt = stmt.where(Slot.center_id == location_id)
    return [slot_object(*row) for row in db.session.execute(stmt)]


def operational_zone(location_id: int) -> str | None:
    """The time zone of an operational location, or None when there is no such location."""
    return db.session.scalar(
        select(EnrollmentCenter.tz_name).where(
            EnrollmentCenter.id == location_id, EnrollmentCenter.operational.is_(True)
        )
    )


# --- HTTP -------------------------------------------------------------------------------------------------------


@bp.before_request
def _anonymous():
    anonymous_answer()  # the same answer for everyone, kept by shared caches: never with a session cookie


def _ours() -> bool:
    """This request is for this API, whether or not a route matched it: an unknown path (404) or method (405) has
    no blueprint, so a blueprint's own after_request would not run for it."""
    return request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/")


@bp.after_app_request
def _headers(response):
    if not _ours():
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS" and response.status_code < 400:
        requested = request.headers.get("Access-Control-Request-Headers", "").strip()
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            requested if len(requested) <= 500 and _HEADER_LIST.fullmatch(requested) else "Accept, If-None-Match"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
        return response
    if response.status_code == 200 and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        if "ETag" not in response.headers:  # a kept answer brings its own
            response.set_etag(hashlib.sha256(response.get_data()).hexdigest())
        if not any(name in request.headers for name in CONDITIONAL_HEADERS):
            return response  # nothing to compare: make_conditional would change nothing, at a cost per request
        return response.make_conditional(request)
    response.headers["Cache-Control"] = "no-store"  # errors, including 429
    return response


@bp.get("/locations/", strict_slashes=False)
@public
@rate_limit
@cached
def locations():
    q = Query(request.args)
    filters = [
        (EnrollmentCenter.temporary, q.boolean("temporary")),
        (EnrollmentCenter.invite_only, q.boolean("inviteOnly")),
        (EnrollmentCenter.operational, q.boolean("operational")),
    ]
    service_name = q.text("serviceName")
    if q.errors:
        return bad_request(q.errors)
    stmt = select(EnrollmentCenter).options(selectinload(EnrollmentCenter.services)).order_by(EnrollmentCenter.id)
    for column, wanted in filters:
        if wanted is not None:
            stmt = stmt.where(column.is_(wanted))
    if service_name is not None:
        matching = select(SchedulerService.id).where(func.lower(SchedulerService.name) == service_name.lower())
        stmt = stmt.where(EnrollmentCenter.services.any(SchedulerService.id.in_(matching)))
    return jsonify([location_object(center) for center in db.session.scalars(stmt)])


@bp.get("/slots")
@public
@rate_limit
@cached
def slots():
    q = Query(request.args)
    order_by = request.args.get("orderBy")
    if order_by is not None and order_by.lower() != "soonest":
        q.fail("orderBy", "The only order is soonest.")
    limit = q.integer("limit", default=1, least=1)
    minimum = q.integer("minimum", default=1, least=1)
    location_id = q.integer("locationId")
    if q.errors:
        return bad_request(q.errors)
    return jsonify(open_slots(location_id=location_id, minimum=minimum, limit=min(limit, LIMIT_CAP)))


@bp.get("/slot-availability")
@public
@rate_limit
@cached
def slot_availability():
    q = Query(request.args)
    location_id = q.integer("locationId", required=True)
    if q.errors:
        return bad_request(q.errors)
    tz_name = operational_zone(location_id)
    if tz_name is None:
        return jsonify({"availableSlots": [], "lastPublishedDate": None})
    latest = db.session.scalar(select(func.max(Slot.starts_at)).where(Slot.center_id == location_id))
    return jsonify(
        {
            "availableSlots": open_slots(location_id=location_id, minimum=1, limit=LIMIT_CAP),
            "lastPublishedDate": local(latest, tz_name).strftime(SECONDS) if latest else None,
        }
    )


@bp.get("/locations/<location_id>/slots")
@public
@rate_limit
@cached
def capacity_grid(location_id: str):
    q = Query(request.args)
    center_id = q.integer("locationId", value=location_id)
    start = q.timestamp("startTimestamp")
    end = q.timestamp("endTimestamp")
    if start and end and start > end:
        q.fail("endTimestamp", "Must not be before startTimestamp.")
    if q.errors:
        return bad_request(q.errors)
    center = db.session.execute(
        select(EnrollmentCenter.tz_name, EnrollmentCenter.min_notice_hours).where(
            EnrollmentCenter.id == center_id, EnrollmentCenter.operational.is_(True)
        )
    ).first()
    if center is None:
        return jsonify([])
    tz_name, notice_hours = center
    tz = zone(tz_name)
    rows = db.session.execute(
        select(Slot.starts_at, Slot.duration_minutes, Slot.capacity, Slot.held, Slot.remote, free_seats())
        .where(
            Slot.center_id == center_id,
            Slot.starts_at >= start.replace(tzinfo=tz).astimezone(dt.UTC),
            Slot.starts_at <= end.replace(tzinfo=tz).astimezone(dt.UTC),
        )
        .order_by(Slot.starts_at)
    )
    bookable_from = now() + dt.timedelta(hours=notice_hours)  # as /slots and booking: no phantom free seats
    return jsonify(
        [
            {
                "active": max(free, 0) if starts_at >= bookable_from else 0,
                "total": capacity,
                "pending": held,
                "conflicts": 0,
                "duration": minutes,
                "timestamp": local(starts_at, tz_name).strftime(MINUTES),
                "remote": bool(remote),
            }
            for starts_at, minutes, capacity, held, remote, free in rows
        ]
    )
