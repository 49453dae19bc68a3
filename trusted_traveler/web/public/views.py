from __future__ import annotations

from flask import jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trusted_traveler.auth.policy import public
from trusted_traveler.extensions import db, limiter
from trusted_traveler.programs.service import list_programs
from trusted_traveler.web.public import bp


@bp.get("/")
@public
def home():
    return render_template("public/home.html", programs=list_programs())


@bp.get("/healthz")
@public
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
