"""A minimal endpoint for `make bench`: the framework's ceiling (the same gunicorn, app, middleware and hooks as
every page, and no database). Registered only when the environment sets TT_BENCH_HELLO=1."""

from __future__ import annotations

from flask import Blueprint

from trusted_traveler.auth.policy import public

bp = Blueprint("bench_hello", __name__)


@bp.get("/bench/hello")
@public
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
