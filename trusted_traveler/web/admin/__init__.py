from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from trusted_traveler.web.admin import audit, centers, views  # noqa: E402,F401
