"""The organiser report: how each pair and circle is doing, in aggregates only.

:func:`build_report` reads one programme into a :class:`Report` (plain data,
also the ``--json`` output); ``render_table``, ``render_csv`` and
``render_html`` turn it into a terminal table, a CSV file, and a
self-contained HTML page with inline SVG charts (meetings held against planned
per pair, the rating trend, agreement completion) and the at-risk list.

Only counts, dates, statuses and averages leave the database here: no private
note, no written feedback answer (shared or not), no single rating.  A
rating average is shown only when it rests on at least ``report_min_ratings``
answers (default 3), so no one answer can be read off it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html import escape
from typing import Any, cast

from sqlalchemy import select

from bot.content import Content
from bot.flows.agreement_view import current_agreement, view_of
from bot.store.db import from_db, to_db
from bot.store.groups import members_of
from bot.store.models import FeedbackAnswer, Group, Meeting, Programme, Rhythm, RiskFlag
from bot.store.session import DbSession

DEFAULT_MIN_RATINGS = 3
#: a booked meeting whose time has come (cancelled and moved ones are not counted)
PAST_STATUSES = ("held", "missed", "awaiting")
RATING_QUESTION = "useful"


@dataclass
class GroupRow:
    name: str
    kind: str
    status: str
    frequency_days: int | None
    agreement: str  # complete, open, none
    agreement_items: str  # "7/10"
    agreement_date: str | None
    planned: int
    held: int
    upcoming: int
    last_held: str | None
    rating: float | None
    ratings: int
    at_risk: list[str] = field(default_factory=list)


@dataclass
class RiskRow:
    group: str
    reason: str
    since: str
    alerted: str | None


@dataclass
class TrendPoint:
    month: str
    average: float
    ratings: int


@dataclass
class Report:
    slug: str
    name: str
    start: str
    end: str
    generated: str
    language: str
    groups: list[GroupRow]
    trend: list[TrendPoint]
    at_risk: list[RiskRow]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "groups": len(self.groups),
            "planned": sum(g.planned for g in self.groups),
            "held": sum(g.held for g in self.groups),
            "agreements_complete": sum(1 for g in self.groups if g.agreement == "complete"),
            "at_risk": len({r.group for r in self.at_risk}),
        }

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["totals"] = self.totals
        return data


# -- building ----------------------------------------------------------------------
async def build_report(
    session: DbSession,
    content: Content,
    programme: Programme,
    now: datetime,
    language: str | None = None,
) -> Report:
    minimum = int(programme.settings.get("report_min_ratings", DEFAULT_MIN_RATINGS))
    groups = list(
        (
            await session.scalars(
                select(Group).where(Group.programme_id == programme.id).order_by(Group.id)
            )
        ).all()
    )
    rows: list[GroupRow] = []
    risks: list[RiskRow] = []
    for group in groups:
        name = group.name or " & ".join(m.name for m in await members_of(session, group.id))
        row = await _group_row(session, content, group, name, now, minimum)
        rows.append(row)
        flags = await session.scalars(
            select(RiskFlag)
            .where(RiskFlag.group_id == group.id, RiskFlag.resolved_at.is_(None))
            .order_by(RiskFlag.raised_at, RiskFlag.id)
        )
        for flag in flags:
            row.at_risk.append(flag.reason)
            risks.append(
                RiskRow(
                    name,
                    flag.reason,
                    from_db(flag.raised_at).date().isoformat(),
                    from_db(flag.alerted_at).date().isoformat() if flag.alerted_at else None,
                )
            )
    trend = await _trend(session, [g.id for g in groups], minimum)
    return Report(
        slug=programme.slug,
        name=programme.name,
        start=programme.start_date.isoformat(),
        end=programme.end_date.isoformat(),
        generated=now.isoformat(timespec="minutes"),
        language=language or programme.language,
        groups=rows,
        trend=trend,
        at_risk=risks,
    )


async def _group_row(
    session: DbSession,
    content: Content,
    group: Group,
    name: str,
    now: datetime,
    minimum: int,
) -> GroupRow:
    meetings = list(
        (await session.scalars(select(Meeting).where(Meeting.group_id == group.id))).all()
    )
    due = [
        m
        for m in meetings
        if m.status in PAST_STATUSES or (m.status == "planned" and m.starts_at <= to_db(now))
    ]
    held = [m for m in meetings if m.status == "held"]
    upcoming = [m for m in meetings if m.status == "planned" and m.starts_at > to_db(now)]
    ratings = [
        int(r)
        for r in await session.scalars(
            select(FeedbackAnswer.rating).where(
                FeedbackAnswer.group_id == group.id,
                FeedbackAnswer.kind == "pulse",
                FeedbackAnswer.question_id == RATING_QUESTION,
                FeedbackAnswer.rating.is_not(None),
            )
        )
        if r is not None
    ]
    agreement = await current_agreement(session, group.id)
    status, items, done_on = "none", "–", None
    if agreement is not None:
        view = await view_of(session, content, agreement)
        agreed = sum(1 for i in view.items if view.status(i.id) == "agreed")
        items = f"{agreed}/{len(view.items)}"
        status = "complete" if agreement.status == "complete" else "open"
        if agreement.completed_at is not None:
            done_on = from_db(agreement.completed_at).date().isoformat()
    rhythm = await session.get(Rhythm, group.id)
    return GroupRow(
        name=name,
        kind=group.kind,
        status=group.status,
        frequency_days=rhythm.frequency_days if rhythm else None,
        agreement=status,
        agreement_items=items,
        agreement_date=done_on,
        planned=len(due),
        held=len(held),
        upcoming=len(upcoming),
        last_held=max(from_db(m.starts_at) for m in held).date().isoformat() if held else None,
        rating=round(sum(ratings) / len(ratings), 2) if len(ratings) >= minimum else None,
        ratings=len(ratings),
    )


async def _trend(session: DbSession, group_ids: list[int], minimum: int) -> list[TrendPoint]:
    if not group_ids:
        return []
    rows = await session.execute(
        select(FeedbackAnswer.created_at, FeedbackAnswer.rating).where(
            FeedbackAnswer.group_id.in_(group_ids),
            FeedbackAnswer.kind == "pulse",
            FeedbackAnswer.question_id == RATING_QUESTION,
            FeedbackAnswer.rating.is_not(None),
        )
    )
    months: dict[str, list[int]] = {}
    # (the sync SQLite session's execute() is typed loosely; the rows are these pairs)
    for created, rating in cast("Iterable[tuple[datetime, int | None]]", rows):
        if rating is not None:
            months.setdefault(from_db(created).strftime("%Y-%m"), []).append(int(rating))
    return [
        TrendPoint(month, round(sum(values) / len(values), 2), len(values))
        for month, values in sorted(months.items())
        if len(values) >= minimum
    ]


# -- rendering ---------------------------------------------------------------------
class Words:
    """The report's words in one language."""

    def __init__(self, content: Content, lang: str):
        self.content, self.lang = content, lang

    def __call__(self, key: str, /, **params: object) -> str:
        return self.content.t(self.lang, f"report.{key}", **params)

    def agreement(self, row: GroupRow) -> str:
        if row.agreement == "complete":
            return self("agreement_complete", date=row.agreement_date or "")
        if row.agreement == "open":
            return self("agreement_open", items=row.agreement_items)
        return self("agreement_none")

    def reason(self, reason: str) -> str:
        return self(f"reason.{reason}")


COLUMNS = ("group", "rhythm", "agreement", "held", "planned", "upcoming", "last", "rating", "risk")


def _cells(w: Words, row: GroupRow) -> list[str]:
    return [
        row.name,
        w("every_days", days=row.frequency_days) if row.frequency_days else "–",
        w.agreement(row),
        str(row.held),
        str(row.planned),
        str(row.upcoming),
        row.last_held or "–",
        f"{row.rating:.2f}" if row.rating is not None else "–",
        ", ".join(w.reason(r) for r in row.at_risk) or "–",
    ]


def render_table(report: Report, content: Content) -> str:
    w = Words(content, report.language)
    head = [w(f"col.{c}") for c in COLUMNS]
    body = [_cells(w, row) for row in report.groups]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    totals = report.totals
    out = [
        w("title", name=report.name, start=report.start, end=report.end),
        w("generated", when=report.generated),
        "",
        line(head),
        line(["-" * n for n in widths]),
        *(line(cells) for cells in body),
        "",
        w("totals", **totals),
    ]
    if report.trend:
        out.append(w("trend_title"))
        out += [f"  {p.month}  {p.average:.2f}  (n={p.ratings})" for p in report.trend]
    out.append(w("risk_title"))
    if report.at_risk:
        out += [
            "  " + w("risk_line", group=r.group, reason=w.reason(r.reason), since=r.since)
            for r in report.at_risk
        ]
    else:
        out.append("  " + w("risk_none"))
    return "\n".join(out)


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "group", "kind", "status", "frequency_days", "agreement", "agreement_items",
            "agreement_date", "meetings_planned", "meetings_held", "meetings_upcoming",
            "last_held", "average_rating", "ratings", "at_risk",
        ]
    )  # fmt: skip
    for r in report.groups:
        writer.writerow(
            [
                r.name, r.kind, r.status, r.frequency_days or "", r.agreement, r.agreement_items,
                r.agreement_date or "", r.planned, r.held, r.upcoming, r.last_held or "",
                f"{r.rating:.2f}" if r.rating is not None else "", r.ratings, ";".join(r.at_risk),
            ]
        )  # fmt: skip
    return buf.getvalue()


# -- HTML with inline SVG -----------------------------------------------------------
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
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in _cells(w, r)) + "</tr>"
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
                f"<td>{r.since}</td><td>{r.alerted or '–'}</td></tr>"
                for r in report.at_risk
            )
            + "</tbody></table>"
        )
    else:
        risk = f"<p>{escape(w('risk_none'))}</p>"
    totals = escape(w("totals", **report.totals))
    title = escape(w("title", name=report.name, start=report.start, end=report.end))
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
<p>{escape(w("generated", when=report.generated))} · {totals}</p>
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
