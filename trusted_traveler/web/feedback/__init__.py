from flask import Blueprint

bp = Blueprint("feedback", __name__)

from trusted_traveler.web.feedback import results, views  # noqa: E402,F401
