"""Server-rendered SVG charts: role="img" with a <title> and <desc>, presentation attributes only (the CSP allows no
inline styles), scaled to the width of the page by their viewBox. The data table beside each chart is the accessible
version; the chart repeats no information the table does not have."""

from __future__ import annotations

import math

from flask_babel import gettext
from markupsafe import Markup, escape

WIDTH = 440
FONT = 'font-family="Source Sans Pro Web, Helvetica Neue, Helvetica, Roboto, Arial, sans-serif"'
# USWDS colours with at least 3:1 contrast on white (WCAG 1.4.11); series also differ by pattern, not colour alone.
COLOURS = ("#005ea2", "#c05600", "#00a91c", "#1b1b1b")
DASHES = ("", "6 4", "2 3", "10 3 2 3")
TEXT = "#1b1b1b"
GRID = "#dfe1e2"


def _svg(chart_id: str, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="tt-chart" data-testid="chart-{chart_id}" '
        f'preserveAspectRatio="xMinYMin meet" {FONT} font-size="12">'
        f'<title id="{chart_id}-title">{escape(str(title))}</title>'
        f'<desc id="{chart_id}-desc">{escape(str(desc))}</desc>'
    )
    # every text from data went through escape(); ids, numbers and colours are ours
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _legend(names: list[str], y: int, *, lines: bool) -> list[str]:
    parts, x = [], 0
    for i, name in enumerate(names):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        if lines:
            parts.append(
                f'<line x1="{x}" y1="{y - 5}" x2="{x + 28}" y2="{y - 5}" stroke="{colour}" stroke-width="3"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
        else:
            parts.append(f'<rect x="{x}" y="{y - 14}" width="28" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 36}" y="{y}" fill="{TEXT}">{escape(str(name))}</text>')
        x += 36 + 7 * len(name) + 20
    return parts


def line_chart(chart_id: str, title: str, desc: str, x_labels: list[str], series: list[tuple[str, list[float]]]):
    """Lines over time; every fourth x label is printed."""
    left, right, top, bottom = 40, 14, 30, 30
    height = 240
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = max(_nice_max(max((v for _, values in series for v in values), default=0)), 4)  # whole ticks
    body = _legend([name for name, _ in series], 16, lines=True)
    for tick in range(5):
        value = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" fill="{TEXT}">{_fmt(value)}</text>')
    step = plot_w / max(len(x_labels) - 1, 1)
    last = len(x_labels) - 1
    for i, label in enumerate(x_labels):
        if i == last or (i % 4 == 0 and last - i >= 3):  # every fourth, never crowding the last
            anchor = "end" if i == last else "middle"
            x = left + i * step
            body.append(
                f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" fill="{TEXT}">'
                f"{escape(label)}</text>"
            )
    for i, (_, values) in enumerate(series):
        colour, dash = COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]
        points = " ".join(
            f"{left + j * step:.1f},{top + plot_h - plot_h * v / top_value:.1f}" for j, v in enumerate(values)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="3" stroke-linejoin="round"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
    return _svg(chart_id, height, title, desc, body)


def bar_chart(
    chart_id: str, title: str, desc: str, categories: list[str], series: list[tuple[str, list[float | None]]], unit=""
):
    """Horizontal bars, one group per category and one bar per series, each labelled with its value; a missing
    value (None) is written as such, never drawn as zero."""
    label_w, right, top = 150, 46, 30 if len(series) > 1 else 8
    bar_h, gap = 14, 12
    group_h = bar_h * len(series) + gap
    height = top + group_h * len(categories) + 4
    plot_w = WIDTH - label_w - right
    top_value = _nice_max(max((v for _, values in series for v in values if v is not None), default=0))
    body = _legend([name for name, _ in series], 16, lines=False) if len(series) > 1 else []
    for c, category in enumerate(categories):
        y0 = top + c * group_h
        category = str(category)  # str(): a lazy string would skip escape() (it claims to be safe HTML)
        name = category if len(category) <= 23 else category[:22] + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{y0 + group_h / 2 - gap / 2 + 5:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(name)}</text>"
        )
        for s, (_, values) in enumerate(series):
            value, y = values[c], y0 + s * bar_h
            colour = COLOURS[s % len(COLOURS)]
            if value is None:
                none = escape(gettext("no figure"))
                body.append(f'<text x="{label_w + 4}" y="{y + 11}" fill="{TEXT}">{none}</text>')
                continue
            w = plot_w * value / top_value
            body.append(f'<rect x="{label_w}" y="{y + 1}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}"/>')
            body.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 11}" fill="{TEXT}">{_fmt(value)}{unit}</text>')
    body.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - 4}" stroke="{TEXT}"/>')
    return _svg(chart_id, height, title, desc, body)
