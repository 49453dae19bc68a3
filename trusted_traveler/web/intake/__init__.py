from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/profile")

from trusted_traveler.web.intake import views  # noqa: E402,F401
