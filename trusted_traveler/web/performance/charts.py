"""Server-rendered SVG charts: role="img" with a <title> and <desc>, presentation attributes only (the CSP allows no
inline styles), scaled to the width of the page by their viewBox. The data table beside each chart is the accessible
version; the chart repeats no information the table does not have.

Each chart is drawn twice: wide (440 units, for a tablet or a desktop) and narrow (`narrow=True`: 300 units, drawn
for a phone of 320 to 480 pixels, where the wide one's 12-unit text shrank to 8 pixels). The narrow one writes
larger text, stacks its legend, puts each bar's category on its own lines above its bars, whole (wrapped, never cut
short), and prints fewer dates under a line. The stylesheet shows one of the two (app.css: .tt-chart--narrow below
30em); the other is display:none, so out of the accessibility tree too."""

from __future__ import annotations

import math

from flask_babel import gettext
from markupsafe import Markup, escape

WIDTH = 440
NARROW_WIDTH, NARROW_FONT = 300, 15  # about 15 pixels at 320 px wide, more at 375
NARROW_LINE = 36  # characters of a category's name on one line of the narrow chart
FONT = 'font-family="Source Sans Pro Web, Helvetica Neue, Helvetica, Roboto, Arial, sans-serif"'
# USWDS colours with at least 3:1 contrast on white (WCAG 1.4.11); series also differ by pattern, not colour alone.
COLOURS = ("#005ea2", "#c05600", "#00a91c", "#1b1b1b")
DASHES = ("", "6 4", "2 3", "10 3 2 3")
TEXT = "#1b1b1b"
GRID = "#dfe1e2"


def _svg(chart_id: str, height: int, title: str, desc: str, body: list[str], *, narrow: bool = False) -> Markup:
    width, size, variant = (NARROW_WIDTH, NARROW_FONT, "narrow") if narrow else (WIDTH, 12, "wide")
    ident = f"{chart_id}-narrow" if narrow else chart_id
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="tt-chart tt-chart--{variant}" '
        f'data-testid="chart-{ident}" preserveAspectRatio="xMinYMin meet" {FONT} font-size="{size}">'
        f'<title id="{ident}-title">{escape(str(title))}</title>'
        f'<desc id="{ident}-desc">{escape(str(desc))}</desc>'
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


def _wrap(text: str, most: int) -> list[str]:
    """Words on lines of at most `most` characters (a longer word has a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= most:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _legend(names: list[str], y: int, *, lines: bool, stacked: bool = False) -> list[str]:
    """Each series' swatch and name: side by side, or one under another (`stacked`, 22 units apart)."""
    parts, x = [], 0
    for i, name in enumerate(names):
        if stacked:
            x, y = 0, y + (22 if i else 0)
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


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    x_labels: list[str],
    series: list[tuple[str, list[float]]],
    *,
    narrow: bool = False,
):
    """Lines over time; every fourth x label is printed (narrow: the first, the middle one and the last)."""
    width = NARROW_WIDTH if narrow else WIDTH
    legend_h = 22 * len(series) if narrow else 0
    left, right, top, bottom = (44, 6, 22 + legend_h, 34) if narrow else (40, 14, 30, 30)
    height = top + (170 if narrow else 180) + bottom
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(_nice_max(max((v for _, values in series for v in values), default=0)), 4)  # whole ticks
    body = _legend([name for name, _ in series], 16, lines=True, stacked=narrow)
    for tick in range(5):
        value = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" fill="{TEXT}">{_fmt(value)}</text>')
    step = plot_w / max(len(x_labels) - 1, 1)
    last = len(x_labels) - 1
    shown = {0, last // 2, last} if narrow and last >= 4 else {0, last} if narrow else None
    for i, label in enumerate(x_labels):
        if shown is not None:  # narrow: the first, the middle one and the last, at the ends of the axis
            if i not in shown:
                continue
            anchor = "start" if i == 0 and last else "end" if i == last else "middle"
        elif i == last or (i % 4 == 0 and last - i >= 3):  # every fourth, never crowding the last
            anchor = "end" if i == last else "middle"
        else:
            continue
        body.append(
            f'<text x="{left + i * step:.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" fill="{TEXT}">'
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
    return _svg(chart_id, height, title, desc, body, narrow=narrow)


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    categories: list[str],
    series: list[tuple[str, list[float | None]]],
    unit="",
    *,
    narrow: bool = False,
):
    """Horizontal bars, one group per category and one bar per series, each labelled with its value; a missing
    value (None) is written as such, never drawn as zero. Wide: the category's name beside its bars (cut at 23
    characters); narrow: its whole name on its own lines above them, the bars the width of the chart."""
    if narrow:
        return _narrow_bars(chart_id, title, desc, categories, series, unit)
    label_w, right, top = 150, 46, 30 if len(series) > 1 else 8
    bar_h, gap = 14, 12
    group_h = bar_h * len(series) + gap
    height = top + group_h * len(categories) + 4
    plot_w = WIDTH - label_w - right
    top_value = _top(series)
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
            body += _bar(values[c], label_w, y0 + s * bar_h, bar_h, plot_w * _share(values[c], top_value), s, unit)
    body.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - 4}" stroke="{TEXT}"/>')
    return _svg(chart_id, height, title, desc, body)


def _narrow_bars(chart_id, title, desc, categories, series, unit) -> Markup:
    right, bar_h, line_h, gap = 58, 18, 19, 14
    top = 22 * len(series) + 8 if len(series) > 1 else 4
    plot_w = NARROW_WIDTH - right
    top_value = _top(series)
    body = _legend([name for name, _ in series], 16, lines=False, stacked=True) if len(series) > 1 else []
    y = top
    for c, category in enumerate(categories):
        for line in _wrap(str(category), NARROW_LINE):  # str(): a lazy string would skip escape()
            y += line_h
            body.append(f'<text x="0" y="{y - 4}" fill="{TEXT}" font-weight="bold">{escape(line)}</text>')
        y += 2
        for s, (_, values) in enumerate(series):
            body += _bar(values[c], 0, y, bar_h, plot_w * _share(values[c], top_value), s, unit, size=NARROW_FONT)
            y += bar_h
        y += gap
    return _svg(chart_id, y, title, desc, body, narrow=True)


def _top(series) -> float:
    return _nice_max(max((v for _, values in series for v in values if v is not None), default=0))


def _share(value, top_value) -> float:
    return 0 if value is None else value / top_value


def _bar(value, x, y, bar_h, w, s, unit, *, size=12) -> list[str]:
    """One bar from `x`, `w` long, with its value after it (or "no figure" where there is none)."""
    baseline = y + bar_h / 2 + size * 0.35
    if value is None:
        none = escape(gettext("no figure"))
        return [f'<text x="{x + 4}" y="{baseline:.1f}" fill="{TEXT}">{none}</text>']
    colour = COLOURS[s % len(COLOURS)]
    return [
        f'<rect x="{x}" y="{y + 1}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}"/>',
        f'<text x="{x + w + 4:.1f}" y="{baseline:.1f}" fill="{TEXT}">{_fmt(value)}{unit}</text>',
    ]
