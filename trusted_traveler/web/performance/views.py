"""The public performance dashboard (no sign-in): four figures as charts with their data tables, each downloadable
as CSV, and all of them as JSON. Figures come from feedback.performance (stored by the worker every five minutes)."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, jsonify, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from trusted_traveler.auth.policy import public
from trusted_traveler.extensions import limiter
from trusted_traveler.feedback import performance
from trusted_traveler.feedback.performance import Figure
from trusted_traveler.i18n import format_count, format_day
from trusted_traveler.spreadsheets import csv_text
from trusted_traveler.web.performance import bp
from trusted_traveler.web.performance.charts import bar_chart, line_chart

CHARTED_CENTERS = 10  # the soonest and the slowest this many centers are drawn; the table has them all
MISSING = {"soonest-appointment": _l("No openings")}


def chart(fig: Figure):
    """The SVGs for a figure that has enough data, wide and narrow (for a phone; the stylesheet shows one), else None;
    their title, description and legend in the reader's language (made here, per request: the figure itself is cached
    for every reader)."""
    if not fig.enough:
        return None
    return Markup("").join(_drawing(fig, narrow=narrow) for narrow in (False, True))


def _drawing(fig: Figure, *, narrow: bool):
    labels = [str(c.label) for c in fig.columns]
    title = str(fig.title)
    if fig.key == "applications-per-week":
        weeks = [format_day(dt.date.fromisoformat(r[0]), "%b %-d") for r in fig.rows]
        series = [(labels[i], [r[i] for r in fig.rows]) for i in range(1, len(labels))]
        totals = ", ".join(f"{name} {format_count(sum(values))}" for name, values in series)
        desc = _(
            "Line chart, one line per program, of applications submitted each week. Totals: %(totals)s.",
            totals=totals,
        )
        return line_chart(fig.key, title, desc, weeks, series, narrow=narrow)
    if fig.key == "processing-time":
        shown = [r for r in fig.rows if r[2] is not None]
        desc = " ".join(
            [
                _("Bar chart of the median and 75th percentile days from submission to decision."),
                "; ".join(
                    _(
                        "%(program)s: median %(median)s days, 75th percentile %(p75)s days",
                        program=r[0],
                        median=r[2],
                        p75=r[3],
                    )
                    for r in shown
                ),
            ]
        )
        return bar_chart(
            fig.key,
            title,
            desc,
            [r[0] for r in fig.rows],
            [(_("Median"), [r[2] for r in fig.rows]), (_("75th percentile"), [r[3] for r in fig.rows])],
            " d",
            narrow=narrow,
        )
    if fig.key == "soonest-appointment":
        open_rows = [r for r in fig.rows if r[3] is not None]
        if len(open_rows) > 2 * CHARTED_CENTERS:
            open_rows = open_rows[:CHARTED_CENTERS] + open_rows[-CHARTED_CENTERS:]
        desc = _(
            "Bar chart of days to the soonest open appointment at %(count)s centers, soonest first: from "
            "%(first_days)s days at %(first)s to %(last_days)s days at %(last)s.",
            count=len(open_rows),
            first_days=open_rows[0][3],
            first=open_rows[0][0],
            last_days=open_rows[-1][3],
            last=open_rows[-1][0],
        )
        return bar_chart(
            fig.key,
            title,
            desc,
            [r[0] for r in open_rows],
            [(_("Days away"), [r[3] for r in open_rows])],
            " d",
            narrow=narrow,
        )
    if fig.key == "satisfaction-trust":
        desc = " ".join(
            [
                _("Bar chart of the share agreeing with the satisfaction and trust statements, by touchpoint."),
                "; ".join(
                    _(
                        "%(when)s: satisfaction %(satisfaction)s, trust %(trust)s",
                        when=r[0],
                        satisfaction=_or(r[3]),
                        trust=_or(r[6]),
                    )
                    for r in fig.rows
                ),
            ]
        )
        return bar_chart(
            fig.key,
            title,
            desc,
            [str(r[0]) for r in fig.rows],
            [(_("Satisfaction: agree"), [r[3] for r in fig.rows]), (_("Trust: agree"), [r[6] for r in fig.rows])],
            "%",
            narrow=narrow,
        )
    return None


def _or(value) -> str:
    return _("no figure yet") if value is None else f"{value}%"


def _figure_or_404(key: str) -> Figure:
    if key not in performance.FIGURES:
        abort(404)
    return performance.figure(key)


@bp.get("/dashboard/performance")
@public
@limiter.limit("60/minute")
def dashboard():
    figures = performance.all_figures()
    return render_template(
        "public/performance.html",
        figures=[(fig, chart(fig)) for fig in figures],
        missing=MISSING,
        min_sample=performance.MIN_SAMPLE,
        cache_minutes=round(performance.CACHE_SECONDS / 60),
    )


@bp.get("/dashboard/performance.json")
@public
@limiter.limit("60/minute")
def dashboard_json():
    return jsonify(figures={fig.key: fig.as_dict() for fig in performance.all_figures()})


@bp.get("/dashboard/performance/<key>.csv")
@public
@limiter.limit("60/minute")
def figure_csv(key: str):
    fig = _figure_or_404(key)
    return Response(
        csv_text([c.key for c in fig.columns], fig.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="trusted-traveler-{fig.key}.csv"'},
    )
