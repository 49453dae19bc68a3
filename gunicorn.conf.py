"""gunicorn's settings for Trusted Traveler 2.0, read from the working directory by `gunicorn wsgi:app` (production,
README) and by `make bench`. Command-line options (workers, bind) still apply on top."""

import gc


def post_worker_init(worker):
    """Once a worker has loaded the app: what start-up made (modules, the models' metadata, catalogs, country
    tables) lives as long as the process, so take it out of the garbage collector's sight. Otherwise every full
    collection walks it all again: pauses of 100-200 ms that were most of the officer queue's p99 (BENCHMARKS.md)."""
    gc.collect()
    gc.freeze()
