"""gunicorn's settings for Trusted Traveler 2.0, read from the working directory by `gunicorn wsgi:app` (production,
README) and by `make bench`. Command-line options (workers, bind) still apply on top."""

import gc
import os

# gunicorn is how the service runs in production: unset, TT_CONFIG would mean the development configuration (its
# default for `flask run` and the tests, CONTRACTS.md section 4), whose sign-in lets anyone in as anyone. Under
# gunicorn it means production, which refuses to start without SECRET_KEY. An explicit TT_CONFIG still wins.
os.environ.setdefault("TT_CONFIG", "production")


def post_worker_init(worker):
    """Once a worker has loaded the app: what start-up made (modules, the models' metadata, catalogs, country
    tables) lives as long as the process, so take it out of the garbage collector's sight. Otherwise every full
    collection walks it all again: pauses of 100-200 ms that were most of the officer queue's p99 (BENCHMARKS.md)."""
    gc.collect()
    gc.freeze()
