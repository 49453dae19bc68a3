"""/appointments/availability: the soonest opening at each center, in the center's own time, with filters."""

from __future__ import annotations

import datetime as dt
import re

from tests.scheduler.conftest import FROZEN_NOW, UTC, at

HIDALGO, NOGALES, BUFFALO, JFK, PHOENIX_AIRPORT, STAPLES = 5001, 5007, 5022, 8001, 8012, 9001


def page(client, query="", status=200, **kwargs):
    response = client.get(f"/appointments/availability{query}", **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    return response.get_data(as_text=True)


def rows(html):
    """(center name, rest of the row as text) for each body row of the table, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        name = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        found.append((name.group(1).strip() if name else None, text))
    return found


def row_for(html, name):
    return next(text for center, text in rows(html) if center == name)


def test_the_soonest_opening_at_each_center_in_its_own_time(client, slots, frozen):
    slots(HIDALGO, at("America/Chicago", 2026, 12, 3, 8, 15), capacity=2)
    slots(HIDALGO, at("America/Chicago", 2026, 12, 3, 8, 0), capacity=1, booked=1)  # full: not an opening
    slots(HIDALGO, at("America/Chicago", 2026, 12, 10, 8, 0), capacity=3)  # later
    slots(HIDALGO, FROZEN_NOW - dt.timedelta(hours=1))  # past
    slots(BUFFALO, at("Canada/Eastern", 2026, 12, 1, 9, 0))
    html = page(client)
    assert "<caption>" in html and "in the center’s local time" in html
    for header in ("Enrollment center", "City", "Time zone", "Soonest opening", "Free seats"):
        assert f'<th scope="col">{header}</th>' in html
    hidalgo = row_for(html, "Hidalgo Enrollment Center")
    assert "Mission, TX" in hidalgo
    assert "Central Time" in hidalgo and "America/Chicago" not in hidalgo  # the zone's name, not its database key
    assert "Thursday, December 3, 2026, 8:15 AM CST" in hidalgo
    assert hidalgo.endswith(" 2")  # free seats
    assert '<time datetime="2026-12-03T08:15-06:00">' in html
    buffalo = row_for(html, "Buffalo-Ft. Erie Enrollment Center")
    assert "Tuesday, December 1, 2026, 9:00 AM EST" in buffalo and "Fort Erie, ON" in buffalo
    # Soonest first, then the centers with nothing open.
    names = [name for name, _ in rows(html)]
    assert names[:2] == ["Buffalo-Ft. Erie Enrollment Center", "Hidalgo Enrollment Center"]
    assert "No openings right now" in row_for(html, "Laredo Enrollment Center")


def test_arizona_shows_standard_time_in_summer_while_chicago_shows_daylight_time(client, slots, frozen):
    slots(NOGALES, dt.datetime(2027, 7, 1, 15, 0, tzinfo=UTC))
    slots(HIDALGO, dt.datetime(2027, 7, 1, 13, 0, tzinfo=UTC))
    html = page(client)
    assert "Thursday, July 1, 2027, 8:00 AM MST" in row_for(html, "Nogales Enrollment Center")
    assert "Thursday, July 1, 2027, 8:00 AM CDT" in row_for(html, "Hidalgo Enrollment Center")


def test_filter_by_program(client, slots, frozen):
    slots(HIDALGO, at("America/Chicago", 2026, 12, 3, 8, 0))
    slots(JFK, at("America/New_York", 2026, 12, 4, 8, 0), capacity=2)
    slots(STAPLES, at("America/New_York", 2026, 12, 2, 10, 0))
    precheck = page(client, "?program=precheck")
    names = [name for name, _ in rows(precheck)]
    assert names[:2] == [
        "IdentoGO – Staples",
        "John F. Kennedy International Enrollment Center",
    ]
    assert "Hidalgo Enrollment Center" not in names
    assert "for TSA PreCheck" in precheck
    global_entry = [name for name, _ in rows(page(client, "?program=global_entry"))]
    assert global_entry[:2] == ["Hidalgo Enrollment Center", "John F. Kennedy International Enrollment Center"]
    assert not any(name.startswith("IdentoGO") for name in global_entry)


def test_filter_by_state(client, slots, frozen):
    slots(NOGALES, at("America/Phoenix", 2026, 12, 3, 8, 0))
    html = page(client, "?state=AZ")
    assert [name for name, _ in rows(html)] == [
        "Nogales Enrollment Center",
        "Phoenix Sky Harbor International Enrollment Center",
    ]
    assert "in Arizona" in html and '<option selected value="AZ">Arizona</option>' in html  # named, not coded
    both = page(client, "?state=AZ&program=global_entry")
    assert len(rows(both)) == 2
    assert "for Global Entry at each enrollment center in Arizona" in both


def test_a_non_operational_center_is_not_listed(client, slots, center_flags, frozen):
    slots(NOGALES, at("America/Phoenix", 2026, 12, 3, 8, 0))
    center_flags(NOGALES, operational=False)
    assert [name for name, _ in rows(page(client, "?state=AZ"))] == [
        "Phoenix Sky Harbor International Enrollment Center"
    ]


def test_an_unknown_filter_value_is_explained(client):
    html = page(client, "?program=hovercraft&state=ZZ", status=400)
    assert "There is a problem" in html
    assert 'href="#program"' in html and 'href="#state"' in html
    assert "<tbody>" not in html


def test_the_page_is_public_has_no_inline_script_or_style_and_speaks_spanish_dates(client, slots, frozen):
    slots(HIDALGO, at("America/Chicago", 2026, 12, 3, 8, 15))
    html = page(client)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    assert '<label class="usa-label" for="program">' in html
    spanish = page(client, headers={"Accept-Language": "es"})
    assert "jueves, 3 de diciembre de 2026" in row_for(spanish, "Hidalgo Enrollment Center")


def test_each_time_zone_is_named_as_people_know_it_in_english_and_spanish(client, slots, frozen):
    """Honolulu's zone has no generic name in CLDR, which named it by its place ("United States (Honolulu) Time");
    the other zones keep their generic names."""
    slots(9002, at("Pacific/Honolulu", 2026, 12, 3, 9, 0))
    slots(JFK, at("America/New_York", 2026, 12, 3, 9, 0))
    html = page(client)
    assert "Hawaii Time" in row_for(html, "IdentoGO – Ala Moana Enrollment Office")
    assert "Eastern Time" in row_for(html, "John F. Kennedy International Enrollment Center")
    assert "United States (" not in html
    client.get("/language/es")
    spanish = page(client)
    assert "hora estándar de Hawái y Aleutianas" in row_for(spanish, "IdentoGO – Ala Moana Enrollment Office")
    assert "Estados Unidos (" not in spanish


# --- Order and time zones as a person reads them ---------------------------------------------------------------------

SAN_DIEGO, JFK_CENTER = 5002, 8001


def test_centers_are_listed_by_the_local_time_each_shows_and_the_caption_says_so(client, slots, frozen):
    # 9:00 AM in San Diego is 12:00 noon in New York: later in fact than 11:00 AM at JFK, but it reads as sooner, and
    # a person reading the column expects 9:00 before 11:00.
    slots(SAN_DIEGO, at("America/Los_Angeles", 2026, 12, 3, 9, 0))
    slots(JFK_CENTER, at("America/New_York", 2026, 12, 3, 11, 0))
    slots(HIDALGO, at("America/Chicago", 2026, 12, 3, 10, 0))
    html = page(client)
    names = [name for name, _ in rows(html)]
    assert names[:3] == [
        "San Diego -Otay Mesa Enrollment Center",
        "Hidalgo Enrollment Center",
        "John F. Kennedy International Enrollment Center",
    ]
    assert "Thursday, December 3, 2026, 9:00 AM PST" in row_for(html, "San Diego -Otay Mesa Enrollment Center")
    jfk = row_for(html, "John F. Kennedy International Enrollment Center")
    assert "Thursday, December 3, 2026, 11:00 AM EST" in jfk
    caption = re.search(r"<caption>(.*?)</caption>", html, re.S).group(1)
    assert "Listed soonest first by the date and time at each center, in its own time zone" in caption
    assert names[-1] is not None and "No openings right now" in rows(html)[-1][1]  # nothing open: last


def test_the_same_clock_time_at_two_centers_lists_first_the_one_that_comes_first(client, slots, frozen):
    slots(SAN_DIEGO, at("America/Los_Angeles", 2026, 12, 3, 9, 0))  # 17:00 UTC
    slots(JFK_CENTER, at("America/New_York", 2026, 12, 3, 9, 0))  # 14:00 UTC
    names = [name for name, _ in rows(page(client))]
    assert names[:2] == ["John F. Kennedy International Enrollment Center", "San Diego -Otay Mesa Enrollment Center"]


def test_every_time_shown_names_its_zone(client, slots, frozen):
    slots(SAN_DIEGO, at("America/Los_Angeles", 2027, 7, 1, 9, 0))
    slots(HIDALGO, at("America/Chicago", 2026, 12, 3, 10, 0))
    html = page(client)
    times = re.findall(r"<time datetime=\"[^\"]+\">(.*?)</time>", html, re.S)
    assert len(times) == 2
    for shown in times:  # the zone's abbreviation, with its name for those who do not know it
        assert re.search(r'<abbr title="(Pacific|Central) Time">(PDT|CST)</abbr>$', shown), shown
