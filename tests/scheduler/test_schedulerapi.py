"""/schedulerapi: the CBP scheduler API (CONTRACTS.md section 2, BRIEF.md section 4), field by field, with local
times across time zones and daylight-saving changes, caching, CORS, malformed parameters and the rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from tests.scheduler.conftest import FROZEN_NOW, UTC, add_slot, at
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot

CHICAGO, PHOENIX, TORONTO, LOS_ANGELES = "America/Chicago", "America/Phoenix", "Canada/Eastern", "America/Los_Angeles"
HIDALGO, NOGALES, BUFFALO, JFK, LAX, STAPLES = 5001, 5007, 5022, 8001, 8013, 9001

LOCATION_FIELDS = {
    "id",
    "name",
    "shortName",
    "locationType",
    "locationCode",
    "address",
    "addressAdditional",
    "city",
    "state",
    "postalCode",
    "countryCode",
    "tzData",
    "phoneNumber",
    "phoneAreaCode",
    "phoneCountryCode",
    "phoneExtension",
    "phoneAltNumber",
    "phoneAltAreaCode",
    "phoneAltCountryCode",
    "phoneAltExtension",
    "faxNumber",
    "faxAreaCode",
    "faxCountryCode",
    "faxExtension",
    "effectiveDate",
    "temporary",
    "inviteOnly",
    "operational",
    "directions",
    "notes",
    "mapFileName",
    "accessCode",
    "lastUpdatedBy",
    "lastUpdatedDate",
    "createdDate",
    "services",
}
SLOT_FIELDS = {"locationId", "startTimestamp", "endTimestamp", "active", "duration", "remoteInd"}
GRID_FIELDS = {"active", "total", "pending", "conflicts", "duration", "timestamp", "remote"}
MINUTE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
SECOND_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def get_json(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.get_json()


def starts(body):
    return [(s["locationId"], s["startTimestamp"]) for s in body]


# --- locations ---------------------------------------------------------------------------------------------------


def test_locations_lists_every_center_with_every_cbp_field(client, app):
    body = get_json(client, "/schedulerapi/locations/")
    with app.app_context():
        assert len(body) == db.session.scalar(select(func.count()).select_from(EnrollmentCenter))
    assert [loc["id"] for loc in body] == sorted(loc["id"] for loc in body)
    for location in body:
        assert set(location) == LOCATION_FIELDS
        assert isinstance(location["id"], int)
        assert location["locationType"] in ("AIR", "LND", "TSA")
        ZoneInfo(location["tzData"])  # a real IANA zone
        assert all(isinstance(location[f], bool) for f in ("temporary", "inviteOnly", "operational"))
        assert SECOND_FORMAT.match(location["createdDate"]) and SECOND_FORMAT.match(location["lastUpdatedDate"])
    hidalgo = next(loc for loc in body if loc["id"] == HIDALGO)
    assert {k: hidalgo[k] for k in ("name", "shortName", "locationType", "city", "state", "postalCode")} == {
        "name": "Hidalgo Enrollment Center",
        "shortName": "Hidalgo",
        "locationType": "LND",
        "city": "Mission",
        "state": "TX",
        "postalCode": "78572",
    }
    assert hidalgo["address"] == "Anzalduas International Bridge 5911 S. Bryan Road"
    assert (hidalgo["countryCode"], hidalgo["tzData"]) == ("US", CHICAGO)
    assert (hidalgo["temporary"], hidalgo["inviteOnly"], hidalgo["operational"]) == (False, False, True)
    assert hidalgo["services"] == [
        {"id": 1, "name": "Global Entry"},
        {"id": 3, "name": "SENTRI"},
        {"id": 4, "name": "U.S. / Mexico FAST"},
    ]
    assert "By appointment only; no walk-ins." in hidalgo["notes"]
    assert hidalgo["phoneAltNumber"] is None and hidalgo["faxNumber"] is None and hidalgo["mapFileName"] is None
    by_id = {loc["id"]: loc for loc in body}
    assert by_id[BUFFALO]["tzData"] == TORONTO and by_id[BUFFALO]["countryCode"] == "CA"
    assert by_id[NOGALES]["tzData"] == PHOENIX
    assert by_id[JFK]["locationType"] == "AIR"
    assert by_id[JFK]["services"] == [{"id": 1, "name": "Global Entry"}, {"id": 101, "name": "TSA PreCheck"}]
    assert by_id[STAPLES]["locationType"] == "TSA"
    assert by_id[STAPLES]["services"] == [{"id": 101, "name": "TSA PreCheck"}]


def test_locations_answers_with_or_without_the_trailing_slash(client):
    assert get_json(client, "/schedulerapi/locations") == get_json(client, "/schedulerapi/locations/")


@pytest.mark.parametrize(
    ("name", "includes", "excludes"),
    [
        ("Global Entry", {HIDALGO, BUFFALO, JFK}, {STAPLES}),
        ("global entry", {HIDALGO, JFK}, {STAPLES}),
        ("TSA PreCheck", {JFK, LAX, STAPLES}, {HIDALGO, BUFFALO}),
        ("NEXUS", {BUFFALO, 5021}, {HIDALGO, JFK}),
        ("SENTRI", {HIDALGO, NOGALES, 5002}, {BUFFALO, JFK}),
        ("U.S. / Canada FAST", {5021, 5023}, {HIDALGO}),
    ],
)
def test_locations_filter_by_service_name(client, name, includes, excludes):
    body = get_json(client, "/schedulerapi/locations/", query_string={"serviceName": name})
    ids = {loc["id"] for loc in body}
    assert includes <= ids and not excludes & ids
    assert all(any(s["name"].lower() == name.lower() for s in loc["services"]) for loc in body)


def test_an_unknown_service_name_matches_nothing(client):
    assert get_json(client, "/schedulerapi/locations/?serviceName=Hovercraft") == []


def test_locations_filter_by_temporary_invite_only_and_operational(client, center_flags):
    center_flags(5002, temporary=True)
    center_flags(5003, invite_only=True)
    center_flags(5004, operational=False)

    def ids(query):
        return {loc["id"] for loc in get_json(client, f"/schedulerapi/locations/?{query}")}

    assert ids("temporary=true") == {5002}
    assert ids("inviteOnly=true") == {5003}
    assert ids("operational=false") == {5004}
    assert ids("operational=FALSE") == {5004}
    everything = ids("")
    assert ids("temporary=false") == everything - {5002}
    # What the watchers' location extractors ask for:
    watcher = ids("temporary=false&inviteOnly=false&operational=true&serviceName=Global%20Entry")
    assert HIDALGO in watcher and not {5002, 5003, 5004, STAPLES} & watcher


def count_queries(app, client, url):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_queries_are_few_whatever_the_number_of_centers_or_slots(app, client, frozen):
    with app.app_context():
        for center_id in (HIDALGO, NOGALES, BUFFALO, JFK, LAX):
            for day in range(1, 6):
                add_slot(center_id, dt.datetime(2026, 12, day, 15, tzinfo=UTC))
        db.session.commit()
    assert len(count_queries(app, client, "/schedulerapi/locations/")) <= 2  # centers, then all their services
    assert len(count_queries(app, client, "/schedulerapi/locations/?serviceName=NEXUS")) <= 2
    assert len(count_queries(app, client, "/schedulerapi/slots?limit=500")) <= 2  # notice periods, then slots
    assert len(count_queries(app, client, "/schedulerapi/slot-availability?locationId=5001")) <= 4
    url = "/schedulerapi/locations/5001/slots?startTimestamp=2026-12-01T00:00&endTimestamp=2026-12-31T00:00"
    assert len(count_queries(app, client, url)) <= 2


# --- slots -------------------------------------------------------------------------------------------------------


def test_a_slot_object_has_exactly_the_cbp_fields_in_local_time(client, slots, frozen):
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 15))
    body = get_json(client, "/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5001&minimum=1")
    assert body == [
        {
            "locationId": 5001,
            "startTimestamp": "2026-12-03T08:15",
            "endTimestamp": "2026-12-03T08:30",
            "active": True,
            "duration": 15,
            "remoteInd": False,
        }
    ]
    assert set(body[0]) == SLOT_FIELDS


def test_duration_and_remote_come_from_the_slot(client, slots, frozen):
    slots(NOGALES, at(PHOENIX, 2026, 12, 3, 9, 50), duration_minutes=10, remote=True)
    (slot,) = get_json(client, "/schedulerapi/slots?locationId=5007")
    assert slot == {
        "locationId": NOGALES,
        "startTimestamp": "2026-12-03T09:50",
        "endTimestamp": "2026-12-03T10:00",
        "active": True,
        "duration": 10,
        "remoteInd": True,
    }


def test_soonest_means_the_earliest_instant_whatever_the_zone(client, slots, frozen):
    slots(HIDALGO, dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 09:00 CST
    slots(NOGALES, dt.datetime(2026, 12, 1, 15, 30, tzinfo=UTC))  # 08:30 MST
    slots(BUFFALO, dt.datetime(2026, 12, 1, 14, 45, tzinfo=UTC))  # 09:45 EST
    slots(LAX, dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 07:00 PST: the earliest wall clock, not the soonest
    body = get_json(client, "/schedulerapi/slots?orderBy=soonest&limit=10")
    assert starts(body) == [
        (BUFFALO, "2026-12-01T09:45"),
        (HIDALGO, "2026-12-01T09:00"),  # ties are broken by location id
        (LAX, "2026-12-01T07:00"),
        (NOGALES, "2026-12-01T08:30"),
    ]
    assert starts(get_json(client, "/schedulerapi/slots")) == [(BUFFALO, "2026-12-01T09:45")]  # default limit 1
    assert starts(get_json(client, "/schedulerapi/slots?limit=2")) == [
        (BUFFALO, "2026-12-01T09:45"),
        (HIDALGO, "2026-12-01T09:00"),
    ]
    assert get_json(client, "/schedulerapi/slots?orderBy=SOONEST&limit=10") == body


def test_limit_over_500_is_reduced_to_500(app, client, frozen):
    first = dt.datetime(2026, 11, 2, 14, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            Slot(center_id=JFK, starts_at=first + dt.timedelta(minutes=15 * i), capacity=2) for i in range(501)
        )
        db.session.commit()
    assert len(get_json(client, "/schedulerapi/slots?limit=500&locationId=8001")) == 500
    assert len(get_json(client, "/schedulerapi/slots?limit=1000&locationId=8001")) == 500
    assert len(get_json(client, "/schedulerapi/slots?limit=2147483647")) == 500


def test_minimum_counts_free_seats(client, slots, frozen):
    slots(JFK, at("America/New_York", 2026, 12, 1, 8, 0), capacity=3, booked=1)  # 2 free
    slots(JFK, at("America/New_York", 2026, 12, 1, 8, 15), capacity=3)  # 3 free
    url = "/schedulerapi/slots?locationId=8001&limit=10&minimum="
    assert starts(get_json(client, url + "1")) == [(JFK, "2026-12-01T08:00"), (JFK, "2026-12-01T08:15")]
    assert starts(get_json(client, url + "2")) == [(JFK, "2026-12-01T08:00"), (JFK, "2026-12-01T08:15")]
    assert starts(get_json(client, url + "3")) == [(JFK, "2026-12-01T08:15")]
    assert get_json(client, url + "4") == []


def test_booked_and_held_seats_are_not_free(client, slots, frozen):
    slots(JFK, at("America/New_York", 2026, 12, 1, 8, 0), capacity=2, booked=2)
    slots(JFK, at("America/New_York", 2026, 12, 1, 8, 15), capacity=2, booked=1, held=1)
    slots(JFK, at("America/New_York", 2026, 12, 1, 8, 30), capacity=1, held=1)
    slots(JFK, at("America/New_York", 2026, 12, 1, 8, 45), capacity=2, booked=1)
    assert starts(get_json(client, "/schedulerapi/slots?locationId=8001&limit=10")) == [(JFK, "2026-12-01T08:45")]


def test_only_slots_that_can_still_be_booked(client, slots, frozen):
    """Past slots and slots inside the center's minimum notice (2 hours) are not openings: listing them would be
    the "phantom slots" watcher users complain about."""
    slots(HIDALGO, FROZEN_NOW - dt.timedelta(minutes=15))
    slots(HIDALGO, FROZEN_NOW)
    slots(HIDALGO, FROZEN_NOW + dt.timedelta(minutes=15))
    slots(HIDALGO, FROZEN_NOW + dt.timedelta(hours=2))
    body = get_json(client, "/schedulerapi/slots?locationId=5001&limit=10")
    assert starts(body) == [(HIDALGO, "2026-10-15T09:00")]  # 14:00 UTC is 09:00 CDT


def test_past_slots_are_excluded_with_the_real_clock(client, slots):
    now = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    slots(HIDALGO, now - dt.timedelta(days=1))
    slots(HIDALGO, now + dt.timedelta(days=1))
    (slot,) = get_json(client, "/schedulerapi/slots?locationId=5001&limit=10")
    expected = (now + dt.timedelta(days=1)).astimezone(ZoneInfo(CHICAGO))
    assert slot["startTimestamp"] == expected.strftime("%Y-%m-%dT%H:%M")


def test_a_non_operational_center_has_no_open_slots(client, slots, center_flags, frozen):
    slots(HIDALGO, at(CHICAGO, 2026, 12, 1, 8, 0))
    slots(NOGALES, at(PHOENIX, 2026, 12, 1, 8, 0))
    center_flags(HIDALGO, operational=False)
    assert get_json(client, "/schedulerapi/slots?locationId=5001") == []
    assert starts(get_json(client, "/schedulerapi/slots?limit=10")) == [(NOGALES, "2026-12-01T08:00")]
    assert get_json(client, "/schedulerapi/slot-availability?locationId=5001") == {
        "availableSlots": [],
        "lastPublishedDate": None,
    }
    assert (
        get_json(client, "/schedulerapi/locations/5001/slots?startTimestamp=2026-12-01&endTimestamp=2026-12-02") == []
    )


def test_an_unknown_location_or_none_free_is_an_empty_list(client, slots, frozen):
    assert get_json(client, "/schedulerapi/slots?orderBy=soonest&limit=1&locationId=4242&minimum=1") == []
    assert get_json(client, "/schedulerapi/slots?locationId=0") == []
    assert get_json(client, "/schedulerapi/slots?locationId=5001") == []
    slots(HIDALGO, at(CHICAGO, 2026, 12, 1, 8, 0), booked=1)
    assert get_json(client, "/schedulerapi/slots?locationId=5001") == []
    assert get_json(client, "/schedulerapi/slots") == []


def test_without_location_every_location_is_searched(client, slots, frozen):
    slots(HIDALGO, at(CHICAGO, 2026, 12, 2, 8, 0))
    slots(STAPLES, at("America/New_York", 2026, 12, 1, 10, 0))
    assert starts(get_json(client, "/schedulerapi/slots?limit=500")) == [
        (STAPLES, "2026-12-01T10:00"),
        (HIDALGO, "2026-12-02T08:00"),
    ]


# --- local time and daylight saving --------------------------------------------------------------------------------


def test_local_time_follows_the_fall_back_in_chicago(client, slots, frozen):
    # Central time goes from CDT (UTC-5) to CST (UTC-6) at 2:00 on Sunday 2026-11-01.
    slots(HIDALGO, dt.datetime(2026, 10, 31, 13, 0, tzinfo=UTC))  # 08:00 CDT
    slots(HIDALGO, dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC))  # 07:00 CST: the same UTC hour, an hour earlier
    slots(HIDALGO, dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC))  # 08:00 CST
    assert starts(get_json(client, "/schedulerapi/slots?locationId=5001&limit=10")) == [
        (HIDALGO, "2026-10-31T08:00"),
        (HIDALGO, "2026-11-01T07:00"),
        (HIDALGO, "2026-11-02T08:00"),
    ]


def test_arizona_keeps_standard_time_while_chicago_and_ontario_spring_forward(client, slots, frozen):
    # The U.S. and Canada move to daylight time on Sunday 2027-03-14; Arizona does not.
    for day in (13, 15):
        slots(NOGALES, dt.datetime(2027, 3, day, 15, 0, tzinfo=UTC))
        slots(HIDALGO, at(CHICAGO, 2027, 3, day, 8, 0))
        slots(BUFFALO, at(TORONTO, 2027, 3, day, 8, 0))
    nogales = get_json(client, "/schedulerapi/slots?locationId=5007&limit=10")
    assert [s["startTimestamp"] for s in nogales] == ["2027-03-13T08:00", "2027-03-15T08:00"]  # MST both days
    with client.application.app_context():
        utc_hours = db.session.scalars(
            select(Slot.starts_at)
            .where(Slot.center_id.in_([HIDALGO, BUFFALO]))
            .order_by(Slot.center_id, Slot.starts_at)
        ).all()
    assert [t.hour for t in utc_hours] == [14, 13, 13, 12]  # 08:00 local is an hour earlier in UTC after the change
    for center in (HIDALGO, BUFFALO):
        body = get_json(client, f"/schedulerapi/slots?locationId={center}&limit=10")
        assert [s["startTimestamp"] for s in body] == ["2027-03-13T08:00", "2027-03-15T08:00"]


# --- slot-availability ----------------------------------------------------------------------------------------------


def test_slot_availability_wraps_open_slots_with_the_publishing_horizon(client, slots, frozen):
    slots(NOGALES, at(PHOENIX, 2026, 12, 1, 8, 0))
    slots(NOGALES, at(PHOENIX, 2026, 12, 1, 8, 15), booked=1)
    slots(NOGALES, at(PHOENIX, 2027, 1, 15, 10, 30), booked=1)  # full, but published: sets lastPublishedDate
    body = get_json(client, "/schedulerapi/slot-availability?locationId=5007")
    assert body == {
        "availableSlots": [
            {
                "locationId": NOGALES,
                "startTimestamp": "2026-12-01T08:00",
                "endTimestamp": "2026-12-01T08:15",
                "active": True,
                "duration": 15,
                "remoteInd": False,
            }
        ],
        "lastPublishedDate": "2027-01-15T10:30:00",
    }


def test_slot_availability_for_a_location_with_no_slots_or_unknown(client, frozen):
    empty = {"availableSlots": [], "lastPublishedDate": None}
    assert get_json(client, "/schedulerapi/slot-availability?locationId=5007") == empty
    assert get_json(client, "/schedulerapi/slot-availability?locationId=4242") == empty


# --- capacity grid --------------------------------------------------------------------------------------------------


def test_capacity_grid_lists_every_slot_in_the_local_window(client, slots, frozen):
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 0), capacity=2, booked=2)
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 15), capacity=3, booked=1, held=1)
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 30), remote=True)
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 23, 30))  # 05:30 UTC on the 4th: still the 3rd at the location
    slots(HIDALGO, at(CHICAGO, 2026, 12, 4, 8, 0))
    slots(NOGALES, at(PHOENIX, 2026, 12, 3, 8, 0))  # another location
    url = "/schedulerapi/locations/5001/slots?startTimestamp={}&endTimestamp={}"
    body = get_json(client, url.format("2026-12-03T00:00:00", "2026-12-04T00:00:00"))
    assert body == [
        {
            "active": 0,
            "total": 2,
            "pending": 0,
            "conflicts": 0,
            "duration": 15,
            "timestamp": "2026-12-03T08:00",
            "remote": False,
        },
        {
            "active": 1,
            "total": 3,
            "pending": 1,
            "conflicts": 0,
            "duration": 15,
            "timestamp": "2026-12-03T08:15",
            "remote": False,
        },
        {
            "active": 1,
            "total": 1,
            "pending": 0,
            "conflicts": 0,
            "duration": 15,
            "timestamp": "2026-12-03T08:30",
            "remote": True,
        },
        {
            "active": 1,
            "total": 1,
            "pending": 0,
            "conflicts": 0,
            "duration": 15,
            "timestamp": "2026-12-03T23:30",
            "remote": False,
        },
    ]
    assert all(set(entry) == GRID_FIELDS for entry in body)
    # Both ends are inclusive; minutes, seconds or a bare date are all understood.
    assert [e["timestamp"] for e in get_json(client, url.format("2026-12-03T08:15", "2026-12-03T08:30"))] == [
        "2026-12-03T08:15",
        "2026-12-03T08:30",
    ]
    assert [e["timestamp"] for e in get_json(client, url.format("2026-12-04", "2026-12-31"))] == ["2026-12-04T08:00"]
    assert get_json(client, url.format("2026-12-05T00:00", "2026-12-05T00:00")) == []
    assert get_json(client, url.replace("5001", "4242").format("2026-12-01", "2026-12-31")) == []


def test_capacity_grid_reports_started_slots_as_not_bookable(client, slots, frozen):
    slots(HIDALGO, FROZEN_NOW - dt.timedelta(hours=1))
    slots(HIDALGO, FROZEN_NOW + dt.timedelta(hours=3))
    body = get_json(
        client, "/schedulerapi/locations/5001/slots?startTimestamp=2026-10-15T00:00&endTimestamp=2026-10-16T00:00"
    )
    assert [(e["timestamp"], e["active"], e["total"]) for e in body] == [
        ("2026-10-15T06:00", 0, 1),
        ("2026-10-15T10:00", 1, 1),
    ]


def test_capacity_grid_counts_no_free_seats_inside_the_minimum_notice(client, slots, center_flags, frozen):
    """The grid agrees with /slots: a free seat the booking service would refuse (the slot starts sooner than the
    center's minimum notice) is not reported as one, whatever that notice is."""
    for hours in (1, 2, 3, 23, 24, 25):
        slots(HIDALGO, FROZEN_NOW + dt.timedelta(hours=hours), capacity=2)
    url = "/schedulerapi/locations/5001/slots?startTimestamp=2026-10-15T00:00&endTimestamp=2026-10-17T00:00"
    assert [e["active"] for e in get_json(client, url)] == [0, 2, 2, 2, 2, 2]  # 2 hours' notice, as seeded
    assert [s["startTimestamp"] for s in get_json(client, "/schedulerapi/slots?locationId=5001&limit=10")] == [
        e["timestamp"] for e in get_json(client, url) if e["active"]
    ]
    center_flags(HIDALGO, min_notice_hours=24)
    assert [e["active"] for e in get_json(client, url)] == [0, 0, 0, 0, 2, 2]


def test_capacity_grid_window_is_local_time_across_daylight_saving(client, slots, frozen):
    # Arizona stays on MST (UTC-7); Chicago moves from CST (UTC-6) to CDT (UTC-5) on 2027-03-14.
    slots(NOGALES, dt.datetime(2027, 3, 15, 15, 0, tzinfo=UTC))
    slots(HIDALGO, dt.datetime(2027, 3, 15, 13, 0, tzinfo=UTC))
    window = "startTimestamp=2027-03-15T08:00&endTimestamp=2027-03-15T08:00"
    assert [e["timestamp"] for e in get_json(client, f"/schedulerapi/locations/5007/slots?{window}")] == [
        "2027-03-15T08:00"
    ]
    assert [e["timestamp"] for e in get_json(client, f"/schedulerapi/locations/5001/slots?{window}")] == [
        "2027-03-15T08:00"
    ]


# --- HTTP: caching, CORS ------------------------------------------------------------------------------------------

ENDPOINTS = [
    "/schedulerapi/locations/",
    "/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5001&minimum=1",
    "/schedulerapi/slot-availability?locationId=5001",
    "/schedulerapi/locations/5001/slots?startTimestamp=2026-12-01T00:00&endTimestamp=2026-12-31T00:00",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_answers_are_cacheable_with_a_strong_etag_and_304(client, slots, frozen, url):
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 15))
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=30"
    etag = response.headers["ETag"]
    assert etag == '"' + hashlib.sha256(response.get_data()).hexdigest() + '"'  # strong: no W/
    assert "Set-Cookie" not in response.headers
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and head.headers["ETag"] == etag


def test_the_etag_changes_when_availability_changes(client, slots, frozen):
    url = "/schedulerapi/slots?locationId=5001"
    before = client.get(url).headers["ETag"]
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 15))
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before


@pytest.mark.parametrize("url", ENDPOINTS)
def test_cors_is_open_for_get_and_preflight_is_answered(client, url):
    response = client.get(url, headers={"Origin": "https://watcher.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options(
        url,
        headers={
            "Origin": "https://watcher.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match, x-requested-with",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "if-none-match, x-requested-with"
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0


def test_a_preflight_with_odd_requested_headers_gets_a_fixed_list(client):
    preflight = client.options(
        "/schedulerapi/slots",
        headers={"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": 'bad header; x="y"'},
    )
    assert preflight.headers["Access-Control-Allow-Headers"] == "Accept, If-None-Match"


def test_the_api_is_read_only(client):
    for method in (client.post, client.put, client.delete, client.patch):
        response = method("/schedulerapi/slots")
        assert response.status_code == 405
        assert response.get_json()["errors"]


# --- malformed parameters ------------------------------------------------------------------------------------------

GRID = "/schedulerapi/locations/5001/slots?startTimestamp=2026-12-01T00:00&endTimestamp=2026-12-31T00:00"


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/schedulerapi/slots?locationId=abc", {"locationId"}),
        ("/schedulerapi/slots?locationId=-5", {"locationId"}),
        ("/schedulerapi/slots?locationId=5001.0", {"locationId"}),
        ("/schedulerapi/slots?locationId=", {"locationId"}),
        ("/schedulerapi/slots?locationId=%205001", {"locationId"}),
        ("/schedulerapi/slots?locationId=99999999999999999999999", {"locationId"}),
        ("/schedulerapi/slots?limit=0", {"limit"}),
        ("/schedulerapi/slots?limit=-1", {"limit"}),
        ("/schedulerapi/slots?limit=ten", {"limit"}),
        ("/schedulerapi/slots?limit=1e3", {"limit"}),
        ("/schedulerapi/slots?minimum=0", {"minimum"}),
        ("/schedulerapi/slots?minimum=-2", {"minimum"}),
        ("/schedulerapi/slots?minimum=one", {"minimum"}),
        ("/schedulerapi/slots?orderBy=latest", {"orderBy"}),
        ("/schedulerapi/slots?orderBy=", {"orderBy"}),
        (
            "/schedulerapi/slots?orderBy=latest&limit=x&minimum=-1&locationId=abc",
            {"orderBy", "limit", "minimum", "locationId"},
        ),
        ("/schedulerapi/locations/?temporary=yes", {"temporary"}),
        ("/schedulerapi/locations/?inviteOnly=1", {"inviteOnly"}),
        ("/schedulerapi/locations/?operational=", {"operational"}),
        ("/schedulerapi/locations/?serviceName=", {"serviceName"}),
        ("/schedulerapi/locations/?serviceName=%00", {"serviceName"}),
        ("/schedulerapi/locations/?serviceName=" + "x" * 101, {"serviceName"}),
        (
            "/schedulerapi/locations/?temporary=no&inviteOnly=maybe&operational=0",
            {"temporary", "inviteOnly", "operational"},
        ),
        ("/schedulerapi/slot-availability", {"locationId"}),
        ("/schedulerapi/slot-availability?locationId=abc", {"locationId"}),
        ("/schedulerapi/slot-availability?locationId=-1", {"locationId"}),
        (GRID.replace("/5001/", "/abc/"), {"locationId"}),
        (GRID.replace("/5001/", "/-1/"), {"locationId"}),
        ("/schedulerapi/locations/5001/slots", {"startTimestamp", "endTimestamp"}),
        ("/schedulerapi/locations/5001/slots?startTimestamp=2026-12-01T00:00", {"endTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-13-01T00:00"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-12-01T25:00"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-02-30"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-12-01T08:00Z"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-12-01T08:00-06:00"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-12-01T08:00:00.000"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2026-12-01 08:00"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "tomorrow"), {"startTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "0001-01-01T00:00"), {"startTimestamp"}),
        (GRID.replace("2026-12-31T00:00", "9999-12-31T23:59"), {"endTimestamp"}),
        (GRID.replace("2026-12-01T00:00", "2027-01-01T00:00"), {"endTimestamp"}),  # start after end
        (
            "/schedulerapi/locations/x/slots?startTimestamp=bad&endTimestamp=",
            {"locationId", "startTimestamp", "endTimestamp"},
        ),
    ],
)
def test_a_malformed_parameter_gets_400_naming_it(client, url, fields):
    body = get_json(client, url, status=400)
    assert {error["field"] for error in body["errors"]} == fields
    assert all(error["message"] for error in body["errors"])
    response = client.get(url)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


PARAMETERS = {
    "/schedulerapi/slots": ("orderBy", "limit", "minimum", "locationId"),
    "/schedulerapi/locations/": ("temporary", "inviteOnly", "operational", "serviceName"),
    "/schedulerapi/slot-availability": ("locationId",),
    "/schedulerapi/locations/5001/slots": ("startTimestamp", "endTimestamp"),
}
VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(["true", "FALSE", "soonest", "2026-12-01", "2026-12-01T08:00", "2026-12-01T08:00:00", ""]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(PARAMETERS)), data=st.data())
def test_no_parameter_value_causes_a_server_error(client, path, data):
    names = PARAMETERS[path]
    query = {name: data.draw(VALUES, label=name) for name in names if data.draw(st.booleans(), label=f"send {name}")}
    response = client.get(path, query_string=query)
    assert response.status_code in (200, 400), (query, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    if response.status_code == 400:
        assert {e["field"] for e in response.get_json()["errors"]} <= set(names) | {"locationId"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(location=st.text(min_size=1, max_size=20).filter(lambda t: "/" not in t and t not in (".", "..")))
def test_no_location_in_the_path_causes_a_server_error(client, location):
    response = client.get(
        f"/schedulerapi/locations/{quote(location, safe='')}/slots",
        query_string={"startTimestamp": "2026-12-01", "endTimestamp": "2026-12-02"},
    )
    assert response.status_code in (200, 400, 404), response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"


def test_unknown_parameters_are_ignored(client, slots, frozen):
    slots(HIDALGO, at(CHICAGO, 2026, 12, 3, 8, 15))
    body = get_json(client, "/schedulerapi/slots?locationId=5001&filterTimestampBy=on&serviceName=Global%20Entry")
    assert starts(body) == [(HIDALGO, "2026-12-03T08:15")]


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/schedulerapi/nothing-here", 404),
        ("get", "/schedulerapi", 404),
        ("get", "/schedulerapi/locations/5001", 404),
        ("options", "/schedulerapi/nothing-here", 404),
        ("post", "/schedulerapi/slots", 405),
        ("delete", "/schedulerapi/locations/", 405),
    ],
)
def test_an_unknown_path_or_method_is_answered_like_any_other_error_of_the_api(client, method, url, status):
    """The JSON envelope, open CORS so a browser's watcher can read why, and never kept by a cache."""
    response = getattr(client, method)(url, headers={"Origin": "https://watcher.example"})
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.get_json()["errors"][0]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Methods" not in response.headers  # a failed preflight is not a permission
    if status == 405:
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


# --- rate limit ----------------------------------------------------------------------------------------------------


def test_too_many_requests_get_a_json_429_with_retry_after(rate_limited_app):
    client = rate_limited_app.test_client()
    # One budget of 120 a minute for the whole API, shared by every endpoint.
    statuses = [client.get("/schedulerapi/slots?locationId=5001").status_code for _ in range(60)]
    statuses += [client.get("/schedulerapi/locations/?serviceName=NEXUS").status_code for _ in range(60)]
    assert statuses == [200] * 120
    response = client.get("/schedulerapi/slot-availability?locationId=5001")
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    assert "too many requests" in response.get_json()["errors"][0]["message"].lower()
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    # A browser's preflight is not counted and still answered.
    preflight = client.options("/schedulerapi/slots", headers={"Access-Control-Request-Method": "GET"})
    assert preflight.status_code in (200, 204)
    # Another client address has its own budget.
    other = client.get("/schedulerapi/slots?locationId=5001", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


# --- a watcher, as the open-source ones are written ---------------------------------------------------------------


def test_a_watcher_finds_an_opening_over_http(app, live_url):
    """What appointment watchers do (BRIEF.md section 4): resolve ids from /locations/, poll the soonest slot per
    location, parse `startTimestamp` in the location's zone; and, from the capacity grid, keep `active > 0`."""
    soon = (dt.datetime.now(UTC) + dt.timedelta(days=3)).replace(minute=15, second=0, microsecond=0)
    with app.app_context():
        add_slot(HIDALGO, soon, capacity=2, booked=1)
        add_slot(HIDALGO, soon + dt.timedelta(minutes=15), capacity=1, booked=1)
        db.session.commit()

    locations = requests.get(
        f"{live_url}/schedulerapi/locations/?temporary=false&inviteOnly=false&operational=true&serviceName=Global%20Entry",
        timeout=10,
    ).json()
    zones = {loc["id"]: loc["tzData"] for loc in locations}
    names = {loc["id"]: f"{loc['name']} ({loc['city']}, {loc['state']})" for loc in locations}
    assert names[HIDALGO] == "Hidalgo Enrollment Center (Mission, TX)"

    found = {}
    for location_id in (HIDALGO, NOGALES):
        response = requests.get(
            f"{live_url}/schedulerapi/slots?orderBy=soonest&limit=1&locationId={location_id}&minimum=1", timeout=10
        )
        response.raise_for_status()
        appointments = response.json()
        if appointments:
            found[location_id] = dt.datetime.strptime(appointments[0]["startTimestamp"], "%Y-%m-%dT%H:%M")
    assert list(found) == [HIDALGO]
    assert found[HIDALGO].replace(tzinfo=ZoneInfo(zones[HIDALGO])) == soon

    start = service_today().isoformat()
    end = (service_today() + dt.timedelta(days=30)).isoformat()
    grid = requests.get(
        f"{live_url}/schedulerapi/locations/{HIDALGO}/slots?startTimestamp={start}T00%3A00%3A00"
        f"&endTimestamp={end}T00%3A00%3A00",
        timeout=10,
    ).json()
    open_entries = [entry for entry in grid if entry["active"] > 0]
    assert len(grid) == 2 and len(open_entries) == 1
    assert json.loads(json.dumps(open_entries))[0]["active"] == 1


def test_a_signed_in_visitors_session_cookie_never_rides_on_a_cacheable_answer(client):
    """Shared caches keep `Cache-Control: public` answers: one must never carry someone's session cookie."""
    from tests.factories import create_account, sign_in

    with client.application.app_context():
        create_account("watcher@example.com")
        db.session.commit()
    sign_in(client, "watcher@example.com")
    assert "Set-Cookie" in client.get("/dashboard").headers  # the site's own pages refresh the session
    for path in (
        "/schedulerapi/locations/",
        "/schedulerapi/slots?orderBy=soonest&limit=1",
        "/schedulerapi/slots?limit=x",
    ):
        answer = client.get(path)
        assert "Set-Cookie" not in answer.headers, path
    assert client.get("/dashboard").status_code == 200  # still signed in
