"""The app as `make bench` serves it: `wsgi.py` with TT_CONFIG=production, and one difference: no rate limits.

Every request of a benchmark comes from 127.0.0.1, so the per-address limits (120 a minute on the scheduler API, 60
on the eligibility check) would answer 429 within the first second; in production they count each client apart
(REDIS_URL, docs/SCALING.md). Everything else (middleware, hooks, sessions, logging, the database) is production's.
"""

from trusted_traveler import create_app

app = create_app("production", overrides={"RATELIMIT_ENABLED": False})
