"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from trusted_traveler.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def _reads_only() -> bool:
    """Pages and reads are not limited by default; every form post and API write is (see `limiter`)."""
    return request.method in ("GET", "HEAD", "OPTIONS")


# Every POST/PUT/PATCH/DELETE without a limit of its own: 60 a minute per address and route (sign-in, the public
# API and busy pages set their own). Memory storage, or Redis when REDIS_URL is set (config.RATELIMIT_STORAGE_URI).
limiter = Limiter(key_func=get_remote_address, default_limits=["60/minute"], default_limits_exempt_when=_reads_only)
api = Api()
