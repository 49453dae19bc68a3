from flask import Blueprint

bp = Blueprint("performance", __name__)

from trusted_traveler.web.performance import views  # noqa: E402,F401
