"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, no style attribute.

Colours are SVG presentation attributes (allowed by the Content-Security-Policy)
and classes from ``static/css/reports.css``. Each chart has ``role="img"``, a
``<title>`` and a ``<desc>`` named by ``aria-labelledby``; the page shows the
same numbers in a table right below it.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from meals.templatetags.cantine import format_euros

WIDTH = 720
ACCENT = "#9c3b17"
INK = "#2b2118"
MUTED = "#5c4d40"
GRID = "#e6d8ca"


@dataclass(frozen=True)
class Point:
    label: str  # under the bar; may be empty (a year has too many meals to name each)
    value: Decimal | int | float
    reference: Decimal | int | float | None = None


def _nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) that splits 0…top in about ``ticks`` parts."""
    if top <= 0:
        return 1
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _num(value: float) -> str:
    """A coordinate."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def number(value) -> str:
    """A figure for people: « 12 », « 12,5 » in French, « 12.5 » in English."""
    value = float(value or 0)
    if value == int(value):
        return str(int(value))
    return formats.number_format(round(value, 1), 1)


def _open_svg(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    return [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" role="img" '
            'aria-labelledby="{}-title {}-desc" focusable="false">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            WIDTH,
            height,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            desc,
        )
    ]


def column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    points: list[Point],
    tick_format=number,
    reference_label: str = "",
    height: int = 300,
) -> SafeString:
    """Vertical bars, one per point, with an optional reference mark on each bar (the cost price)."""
    left, right, top, bottom = 56, 12, 16 + (24 if reference_label else 0), 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    highest = max([float(p.value or 0) for p in points] + [float(p.reference or 0) for p in points] + [0])
    step = _nice_step(highest)
    scale_top = step * max(1, -(-highest // step)) if highest else step * 4
    parts = _open_svg(chart_id, title, desc, height)

    tick = 0.0
    while tick <= scale_top + 1e-9:
        y = top + plot_h - plot_h * tick / scale_top
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
                '<text class="chart-tick" x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                left,
                _num(y),
                WIDTH - right,
                _num(y),
                GRID,
                left - 6,
                _num(y + 5),
                MUTED,
                tick_format(tick),
            )
        )
        tick += step

    if reference_label:
        parts.append(
            format_html(
                '<line class="chart-reference" x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-width="3"/>'
                '<text class="chart-legend" x="{}" y="17" fill="{}">{}</text>',
                left,
                left + 28,
                INK,
                left + 36,
                INK,
                reference_label,
            )
        )

    count = max(len(points), 1)
    slot = plot_w / count
    bar_w = min(max(slot * 0.7, 1), 56)
    for index, point in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        value = float(point.value or 0)
        bar_h = plot_h * value / scale_top
        parts.append(
            format_html(
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                _num(x),
                _num(top + plot_h - bar_h),
                _num(bar_w),
                _num(bar_h),
                ACCENT,
                f"{point.label or index + 1} : {tick_format(value)}",
            )
        )
        if point.reference is not None:
            y = top + plot_h - plot_h * float(point.reference) / scale_top
            parts.append(
                format_html(
                    '<line class="chart-reference" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3"/>',
                    _num(x - slot * 0.1),
                    _num(y),
                    _num(x + bar_w + slot * 0.1),
                    _num(y),
                    INK,
                )
            )
        if point.label:
            parts.append(
                format_html(
                    '<text class="chart-label" x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                    _num(x + bar_w / 2),
                    height - bottom + 20,
                    MUTED,
                    point.label,
                )
            )
    parts.append(
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            left,
            top + plot_h,
            WIDTH - right,
            top + plot_h,
            INK,
        )
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every piece above went through format_html


def bar_chart(*, chart_id: str, title: str, desc: str, points: list[Point], value_format=number) -> SafeString:
    """Horizontal bars with their label on the left and their value on the right (few rows)."""
    row_h, left, right = 44, 170, 90
    height = max(len(points), 1) * row_h + 16
    highest = max([float(p.value or 0) for p in points] + [0]) or 1
    parts = _open_svg(chart_id, title, desc, height)
    plot_w = WIDTH - left - right
    for index, point in enumerate(points):
        y = 8 + index * row_h
        width = plot_w * float(point.value or 0) / highest
        parts.append(
            format_html(
                '<text class="chart-label" x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text class="chart-value" x="{}" y="{}" fill="{}">{}</text>',
                left - 10,
                y + 27,
                INK,
                point.label,
                left,
                y + 6,
                _num(width),
                row_h - 12,
                ACCENT,
                _num(left + width + 8),
                y + 27,
                INK,
                value_format(point.value),
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


# --- The three charts of the reports page ------------------------------------


def _by(period) -> str:
    return _("par repas") if period.month else _("par mois")


def covers_chart(figures: dict) -> SafeString:
    period = figures["period"]
    return column_chart(
        chart_id="chart-covers",
        title=_("Couverts servis %(by)s, %(period)s") % {"by": _by(period), "period": period.label},
        desc=_("%(meals)s repas, %(covers)s couverts servis, %(average)s en moyenne par repas.")
        % {
            "meals": figures["meal_count"],
            "covers": figures["covers"],
            "average": number(figures["covers_per_meal"]),
        },
        points=[Point(row["label"], row["covers"]) for row in figures["rows"]],
    )


def contribution_chart(figures: dict) -> SafeString:
    period = figures["period"]
    return column_chart(
        chart_id="chart-contributions",
        title=_("Participation moyenne par couvert et prix de revient %(by)s, %(period)s")
        % {"by": _by(period), "period": period.label},
        desc=_(
            "En moyenne %(average)s par couvert pour un prix de revient de %(cost)s. "
            "Les participations couvrent %(coverage)s %% du prix de revient."
        )
        % {
            "average": format_euros(figures["average_per_cover"] or 0, cents=True),
            "cost": format_euros(figures["cost_per_cover"] or 0, cents=True),
            "coverage": number(figures["coverage"]),
        },
        points=[Point(row["label"], row["per_cover"] or 0, row["cost_price"]) for row in figures["rows"]],
        tick_format=lambda value: format_euros(Decimal(str(value))),
        reference_label=_("Prix de revient par couvert"),
    )


def hours_chart(figures: dict) -> SafeString:
    points = [Point(str(role["label"]), role["hours"]) for role in figures["roles"]]
    return bar_chart(
        chart_id="chart-hours",
        title=_("Heures de bénévolat par rôle, %(period)s") % {"period": figures["period"].label},
        desc=_("%(hours)s heures au total, %(signups)s créneaux pris par %(people)s personnes.")
        % {
            "hours": number(figures["volunteer_hours"]),
            "signups": figures["shift_signups"],
            "people": figures["helpers"],
        },
        points=points,
        value_format=lambda value: _("%(hours)s h") % {"hours": number(value)},
    )
