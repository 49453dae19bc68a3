"""ZIP code locations and distances (scheduling/nearby.py): the app reads its own small file of ZIP code locations,
written from the `zipcodes` package, never the package itself (about 56 MB in each worker that loads it)."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest

from scripts import zip_locations
from trusted_traveler.scheduling.nearby import ZIP_LOCATIONS, located, miles_between, zip_location


def test_the_file_of_zip_code_locations_is_what_the_script_writes_from_the_package():
    """Upgrading the package without running scripts/zip_locations.py fails here rather than going unnoticed."""
    written = "".join(f"{z},{lat},{lon}\n" for z, lat, lon in zip_locations.rows())
    assert gzip.decompress(ZIP_LOCATIONS.read_bytes()).decode() == written


def test_a_zip_code_has_its_location_and_an_unknown_one_has_none():
    assert zip_location("22201") == pytest.approx((38.8871, -77.0932))  # Arlington, VA
    assert zip_location("00501") is not None  # the first ZIP code
    for unknown in ("00000", "99999", "2220", "22201-1234", "abcde"):
        assert zip_location(unknown) is None


def test_distances_are_great_circle_miles():
    new_york, los_angeles = (40.7128, -74.0060), (34.0522, -118.2437)
    assert miles_between(new_york, los_angeles) == pytest.approx(2445, rel=0.01)
    assert miles_between(new_york, new_york) == 0


def test_a_place_needs_two_finite_numbers_and_is_not_null_island():
    assert located("38.8871", "-77.0932") == (38.8871, -77.0932)
    assert located(None, "1") is None and located("x", "1") is None and located("nan", "1") is None
    assert located("0", "0") is None


def test_looking_up_a_zip_code_does_not_load_the_package():
    code = (
        "import sys; from trusted_traveler.scheduling.nearby import zip_location; "
        "assert zip_location('22201'); print('zipcodes' in sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
