"""A public page with the soonest appointment opening at each enrollment center."""

from flask import Blueprint

bp = Blueprint("availability", __name__, url_prefix="/appointments")

from trusted_traveler.web.availability import views  # noqa: E402,F401
