from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trusted_traveler.auth.policy import public
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db, limiter
from trusted_traveler.programs.service import list_programs
from trusted_traveler.rules.service import (
    can_apply_from,
    check_eligibility,
    family_settings,
    partner_country_citizen,
    rules_in_effect_since,
)
from trusted_traveler.web.auth.views import safe_next
from trusted_traveler.web.forms import apply_list_action
from trusted_traveler.web.public import bp
from trusted_traveler.web.public.forms import WhichProgramForm


@bp.get("/")
@public
def home():
    return render_template("public/home.html", programs=list_programs())


LANGUAGES = ("en", "es")


@bp.get("/language/<code>")
@public
@limiter.limit("60/minute")
def choose_language(code: str):
    """The header's English / Español switch: kept in the session (this visit) and, when signed in, on the account
    (every later sign-in). Changing a display preference is harmless, so a plain link does it; `next` is same-site."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    session.permanent = True  # remembered on the next visit too
    if current_user.is_authenticated and current_user.preferred_language != code:
        current_user.preferred_language = code
        db.session.commit()
    target = request.args.get("next") or "/"
    return redirect(target if safe_next(target) == target else url_for("public.home"))


# Official pages the public check sends people to (the agencies' own, never a third party's).
OFFICIAL_LINKS = {
    "nexus": "https://www.cbp.gov/travel/trusted-traveler-programs/nexus",
    "global_entry": "https://www.cbp.gov/travel/trusted-traveler-programs/global-entry",
    "precheck_children": "https://www.tsa.gov/travel/frequently-asked-questions/do-children-need-apply-tsa-precheckr",
}
bp.add_app_template_global(OFFICIAL_LINKS, "official_links")  # the answer's too, wherever it is shown (the trial)


@bp.route("/which-program", methods=["GET", "POST"])
@public
@limiter.limit("30/minute", methods=["POST"])
def which_program():
    """Which program is right for me? A few plain questions, answered by the same rules as applying."""
    form = WhichProgramForm()
    today = service_today()
    answer = rules_since = None
    advice = {}
    if request.method == "POST" and apply_list_action(form, ("offenses",), request.form.get("action", "")):
        pass  # a row was added or removed: show the page again
    elif form.validate_on_submit():
        language = str(get_locale() or "en")
        facts = form.facts()
        answer = check_eligibility(facts, as_of=today, language=language)
        advice = {
            # the day a waiting period ends, for a program closed only until then by the answers given
            "apply_from": {
                code: can_apply_from(code, facts, as_of=today)
                for code, result in answer["programs"].items()
                if result["outcome"] == "ineligible"
            },
            "partner_citizen": partner_country_citizen(facts, as_of=today),
        }
        # a date the public understands, not the versions' labels: the latest day anything the answer (its rules
        # and fees) or the page (the children's fee) rests on took effect
        rules_since = rules_in_effect_since(today)
    return render_template(
        "public/which_program.html",
        form=form,
        answer=answer,
        advice=advice,
        rules_since=rules_since,
        family=family_settings(today),
        programs=list_programs(),
    ), (400 if form.errors else 200)


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
