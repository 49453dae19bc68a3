"""The JSON API under /api/v1, documented by flask-smorest at /api/v1/openapi.json."""

from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Trusted Traveler 2.0 API")

from trusted_traveler.api import eligibility, programs, traveler  # noqa: E402,F401
