from __future__ import annotations

import datetime as dt

from flask import jsonify, render_template, request
from flask_babel import get_locale
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trusted_traveler.auth.policy import public
from trusted_traveler.extensions import db, limiter
from trusted_traveler.programs.service import list_programs
from trusted_traveler.rules.service import check_eligibility
from trusted_traveler.web.forms import apply_list_action
from trusted_traveler.web.public import bp
from trusted_traveler.web.public.forms import WhichProgramForm


@bp.get("/")
@public
def home():
    return render_template("public/home.html", programs=list_programs())


@bp.route("/which-program", methods=["GET", "POST"])
@public
@limiter.limit("30/minute", methods=["POST"])
def which_program():
    """Which program is right for me? A few plain questions, answered by the same rules as applying."""
    form = WhichProgramForm()
    answer = None
    if request.method == "POST" and apply_list_action(form, ("offenses",), request.form.get("action", "")):
        pass  # a row was added or removed: show the page again
    elif form.validate_on_submit():
        language = str(get_locale() or "en")
        answer = check_eligibility(form.facts(), as_of=dt.date.today(), language=language)
    return render_template("public/which_program.html", form=form, answer=answer, programs=list_programs()), (
        400 if form.errors else 200
    )


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
