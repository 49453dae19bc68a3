"""How far a traveler's ZIP code is from each center: the ZIP code's location from zip_locations.csv.gz (every U.S.
ZIP code with its latitude and longitude, written from the `zipcodes` package by scripts/zip_locations.py; nothing
is fetched at run time), and the great-circle distance from it to the center's coordinates (seeds/data/*.json).

The file is read on the first look-up into two arrays, about 0.5 MB a worker: the package itself keeps every ZIP
code's city, county and area codes in memory too, about 56 MB, which would take each worker past its 150 MB."""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import math
from array import array
from functools import cache
from pathlib import Path

from trusted_traveler.scheduling.models import EnrollmentCenter

EARTH_RADIUS_MILES = 3958.8  # the mean radius
ZIP_LOCATIONS = Path(__file__).with_name("zip_locations.csv.gz")


def located(latitude, longitude) -> tuple[float, float] | None:
    """(latitude, longitude) as numbers, or None when they are missing, not numbers, or the "0, 0" of no place."""
    try:
        place = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    return place if all(map(math.isfinite, place)) and place != (0.0, 0.0) else None


@cache
def _table() -> tuple[array, array, array]:
    """The ZIP codes (as numbers, in order) and their latitudes and longitudes, read once a process."""
    zips, latitudes, longitudes = array("l"), array("d"), array("d")
    with io.TextIOWrapper(gzip.open(ZIP_LOCATIONS), encoding="ascii") as text:
        for zip_code, latitude, longitude in csv.reader(text):
            zips.append(int(zip_code))
            latitudes.append(float(latitude))
            longitudes.append(float(longitude))
    return zips, latitudes, longitudes


def zip_location(zip_code: str) -> tuple[float, float] | None:
    """The (latitude, longitude) of a 5-digit U.S. ZIP code, or None for one that is not known (00000, 99999)."""
    if len(zip_code) != 5 or not zip_code.isdigit():
        return None
    zips, latitudes, longitudes = _table()
    at = bisect.bisect_left(zips, int(zip_code))
    if at == len(zips) or zips[at] != int(zip_code):
        return None
    return latitudes[at], longitudes[at]


def miles_between(here: tuple[float, float], there: tuple[float, float]) -> float:
    """The great-circle distance in miles (haversine formula)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*here, *there))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def miles_to(center: EnrollmentCenter, here: tuple[float, float]) -> float | None:
    """Miles from `here` to the center, or None when the center has no coordinates (one added by an administrator)."""
    if center.latitude is None or center.longitude is None:
        return None
    return miles_between(here, (center.latitude, center.longitude))
