from flask import Blueprint

bp = Blueprint("public", __name__)

from trusted_traveler.web.public import views  # noqa: E402,F401
