from flask import Blueprint

bp = Blueprint("rules_console", __name__, url_prefix="/program-lead")

from trusted_traveler.web.rules_console import views  # noqa: E402,F401
