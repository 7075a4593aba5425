"""The programme report as one HTML page with inline SVG charts (no JavaScript, no CDN).

It renders a :class:`bot.organiser.reports.Report` in the organiser's language;
like the table and the CSV it shows aggregates only.
"""

from __future__ import annotations

from html import escape

from bot.content import Content
from bot.organiser.reports import COLUMNS, Report, Words, cells, speech

PLANNED_COLOUR = "#9db4d3"
HELD_COLOUR = "#2e7d5b"
LINE_COLOUR = "#7b3fa0"
AGREEMENT_COLOURS = {"complete": "#2e7d5b", "open": "#e0a526", "none": "#c4c4c4"}


def _svg(width: int, height: int, label: str, body: list[str], chart: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{chart}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def meetings_chart(report: Report, w: Words) -> str:
    rows = report.groups
    label_w, bar_w, row_h = 180, 360, 34
    top = 28
    height = top + row_h * max(len(rows), 1) + 10
    most = max([r.planned for r in rows] + [r.held for r in rows] + [1])
    body = [
        f'<rect x="{label_w}" y="4" width="12" height="12" fill="{PLANNED_COLOUR}"/>',
        f'<text x="{label_w + 16}" y="15" font-size="12">{escape(w("legend_planned"))}</text>',
        f'<rect x="{label_w + 110}" y="4" width="12" height="12" fill="{HELD_COLOUR}"/>',
        f'<text x="{label_w + 126}" y="15" font-size="12">{escape(w("legend_held"))}</text>',
    ]
    for i, r in enumerate(rows):
        y = top + i * row_h
        planned = bar_w * r.planned / most
        held = bar_w * r.held / most
        body += [
            f'<text x="{label_w - 8}" y="{y + 18}" font-size="12" text-anchor="end">'
            f"{escape(r.name[:28])}</text>",
            f'<rect class="bar planned" x="{label_w}" y="{y + 2}" width="{planned:.1f}" '
            f'height="13" fill="{PLANNED_COLOUR}"/>',
            f'<rect class="bar held" x="{label_w}" y="{y + 16}" width="{held:.1f}" '
            f'height="13" fill="{HELD_COLOUR}"/>',
            f'<text x="{label_w + max(planned, held) + 6:.1f}" y="{y + 22}" font-size="11">'
            f"{r.held}/{r.planned}</text>",
        ]
    return _svg(label_w + bar_w + 60, height, w("chart_meetings"), body, "meetings")


def trend_chart(report: Report, w: Words) -> str:
    width, height, left, bottom, top = 560, 220, 40, 30, 14
    plot_w, plot_h = width - left - 20, height - top - bottom
    body = []
    for value in range(1, 6):
        y = top + plot_h * (5 - value) / 4
        body += [
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e3e3"/>',
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value}</text>',
        ]
    points = report.trend
    if not points:
        body.append(
            f'<text x="{left + 10}" y="{top + plot_h / 2:.1f}" font-size="13">'
            f"{escape(w('trend_empty'))}</text>"
        )
    step = plot_w / max(len(points) - 1, 1)
    coords = []
    for i, p in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        y = top + plot_h * (5 - p.average) / 4
        coords.append((x, y))
        body.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="11" text-anchor="middle">'
            f"{p.month}</text>"
        )
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(
            f'<polyline class="trend" points="{path}" fill="none" stroke="{LINE_COLOUR}" '
            'stroke-width="3"/>'
        )
    for (x, y), p in zip(coords, points, strict=True):
        body.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{LINE_COLOUR}">'
            f"<title>{p.month}: {p.average:.2f} (n={p.ratings})</title></circle>"
        )
    return _svg(width, height, w("chart_trend"), body, "trend")


def agreement_chart(report: Report, w: Words) -> str:
    width, height, bar_w = 560, 70, 520
    counts = {k: sum(1 for g in report.groups if g.agreement == k) for k in AGREEMENT_COLOURS}
    total = max(sum(counts.values()), 1)
    body, x = [], 20.0
    for key, colour in AGREEMENT_COLOURS.items():
        part = bar_w * counts[key] / total
        if part:
            body.append(
                f'<rect class="segment {key}" x="{x:.1f}" y="8" width="{part:.1f}" height="26" '
                f'fill="{colour}"><title>{escape(w("agreement_" + key + "_label"))}: '
                f"{counts[key]}</title></rect>"
            )
        x += part
    lx = 20
    for key, colour in AGREEMENT_COLOURS.items():
        text = f"{w('agreement_' + key + '_label')}: {counts[key]}"
        body += [
            f'<rect x="{lx}" y="46" width="12" height="12" fill="{colour}"/>',
            f'<text x="{lx + 16}" y="57" font-size="12">{escape(text)}</text>',
        ]
        lx += 180
    return _svg(width, height, w("chart_agreement"), body, "agreement")


def render_html(report: Report, content: Content) -> str:
    w = Words(content, report.language)
    head = "".join(f"<th>{escape(w(f'col.{c}'))}</th>" for c in COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells(w, r)) + "</tr>"
        for r in report.groups
    )
    if report.at_risk:
        risk = (
            "<table class='risk'><thead><tr>"
            f"<th>{escape(w('col.group'))}</th><th>{escape(w('risk_reason'))}</th>"
            f"<th>{escape(w('risk_since'))}</th><th>{escape(w('risk_alerted'))}</th>"
            "</tr></thead><tbody>"
            + "".join(
                f"<tr><td>{escape(r.group)}</td><td>{escape(w.reason(r.reason))}</td>"
                f"<td>{escape(w.date(r.since))}</td><td>{escape(w.date(r.alerted))}</td></tr>"
                for r in report.at_risk
            )
            + "</tbody></table>"
        )
    else:
        risk = f"<p>{escape(w('risk_none'))}</p>"
    totals = escape(w.totals(report))
    title = escape(w.title(report))
    return f"""<!doctype html>
<html lang="{report.language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1000px}}
table{{border-collapse:collapse;margin:1rem 0}}
th,td{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;font-size:.9rem}}
section{{margin:2rem 0}} svg{{display:block;max-width:100%}}
</style></head><body>
<h1>{title}</h1>
<p>{escape(w("generated", when=w.stamp(report.generated)))} · {totals}</p>
<p class="speech">{escape(speech(w, report))}</p>
<section id="meetings"><h2>{escape(w("chart_meetings"))}</h2>{meetings_chart(report, w)}</section>
<section id="trend"><h2>{escape(w("chart_trend"))}</h2>{trend_chart(report, w)}</section>
<section id="agreement"><h2>{escape(w("chart_agreement"))}</h2>
{agreement_chart(report, w)}</section>
<section id="risk"><h2>{escape(w("risk_title"))}</h2>{risk}</section>
<section id="groups"><h2>{escape(w("groups_title"))}</h2>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p>{escape(w("privacy"))}</p></section>
</body></html>
"""
