"""Write trusted_traveler/scheduling/zip_locations.csv.gz: each U.S. ZIP code with its latitude and longitude, from
the `zipcodes` package (MIT licence; a development dependency). Run it after upgrading that package:

    .venv/bin/python scripts/zip_locations.py

The app reads the file, not the package: the package keeps every ZIP code's city, county, area codes and more in
memory, about 56 MB in each worker that looks one up, where the file's three columns take about 0.5 MB."""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trusted_traveler.scheduling.nearby import ZIP_LOCATIONS, located  # noqa: E402


def rows() -> list[tuple[str, str, str]]:
    """(zip, latitude, longitude) of every ZIP code the package places, to four decimals (about 11 metres)."""
    import zipcodes

    found = {}
    for record in zipcodes.list_all():
        place = located(record.get("lat"), record.get("long"))
        if place is not None and record["zip_code"] not in found:
            found[record["zip_code"]] = (f"{place[0]:.4f}", f"{place[1]:.4f}")
    return [(zip_code, *found[zip_code]) for zip_code in sorted(found)]


def main() -> int:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows())
    # mtime=0: the same data gives the same bytes, so an unchanged file shows no change in git
    ZIP_LOCATIONS.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    print(f"wrote {ZIP_LOCATIONS.relative_to(ROOT)}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
