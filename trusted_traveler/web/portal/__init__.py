from flask import Blueprint

bp = Blueprint("portal", __name__)

from trusted_traveler.web.portal import appointments, case, notifications, privacy, views  # noqa: E402,F401
