from flask import Blueprint

bp = Blueprint("officer", __name__, url_prefix="/officer")

from trusted_traveler.web.officer import case, schedule, views  # noqa: E402,F401
