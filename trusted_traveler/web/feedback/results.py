"""Survey results for program leads: by touchpoint and language, with the recent comments; CSV download."""

from __future__ import annotations

from flask import Response, render_template

from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.feedback import results
from trusted_traveler.feedback.service import DRIVER_LABELS, QUESTIONS, SCALE, TOUCHPOINT_LABELS
from trusted_traveler.spreadsheets import csv_text
from trusted_traveler.web.feedback import bp


@bp.get("/program-lead/feedback")
@require(Permission.MANAGE_RULES)
def results_page():
    return render_template(
        "feedback/results.html",
        groups=results.summarize(by_language=True),
        comments=results.recent_comments(),
        uninvited=results.uninvited_count(),
        questions=QUESTIONS,
        driver_labels=DRIVER_LABELS,
        touchpoint_labels=TOUCHPOINT_LABELS,
        scale=SCALE,
    )


@bp.get("/program-lead/feedback.csv")
@require(Permission.MANAGE_RULES)
def results_csv():
    return Response(
        csv_text(results.CSV_COLUMNS, results.csv_rows(results.summarize())),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="survey-results.csv"'},
    )
