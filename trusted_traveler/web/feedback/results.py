"""Survey results for program leads: by touchpoint and language, with the recent comments; CSV download."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template

from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.feedback import results
from trusted_traveler.feedback.service import DRIVER_LABELS, QUESTIONS, SCALE, TOUCHPOINT_LABELS
from trusted_traveler.web.feedback import bp


@bp.get("/program-lead/feedback")
@require(Permission.MANAGE_RULES)
def results_page():
    return render_template(
        "feedback/results.html",
        groups=results.summarize(by_language=True),
        comments=results.recent_comments(),
        questions=QUESTIONS,
        driver_labels=DRIVER_LABELS,
        touchpoint_labels=TOUCHPOINT_LABELS,
        scale=SCALE,
    )


@bp.get("/program-lead/feedback.csv")
@require(Permission.MANAGE_RULES)
def results_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(results.CSV_COLUMNS)
    writer.writerows(["" if v is None else v for v in row] for row in results.csv_rows(results.summarize()))
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="survey-results.csv"'},
    )
