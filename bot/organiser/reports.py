"""The organiser report: how each pair and circle is doing, in aggregates only.

:func:`build_report` reads one programme into a :class:`Report` (plain data,
also the ``--json`` output); ``render_table`` and ``render_csv`` turn it into a
terminal table and a CSV file, and :mod:`bot.organiser.report_html` into a
self-contained HTML page with inline SVG charts (meetings held against planned
per pair, the rating trend, agreement completion) and the at-risk list.

Only counts, dates, statuses and averages leave the database here: no private
note, no written feedback answer (shared or not), no single rating.  A
rating average is shown only when it rests on at least ``report_min_ratings``
answers (default 3), so no one answer can be read off it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, cast

from babel.dates import format_datetime
from sqlalchemy import select

from bot.content import Content
from bot.flows.agreement_view import current_agreement, view_of
from bot.organiser.csv_safe import SafeWriter
from bot.organiser.message_measure import messages_per_week
from bot.store.db import from_db, to_db
from bot.store.groups import members_of
from bot.store.models import FeedbackAnswer, Group, Meeting, Programme, Rhythm, RiskFlag
from bot.store.session import DbSession
from bot.wording import frequency_phrase, join_names, plural, prose_date

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
    #: members who have joined, of all seats ("1/2"), and the names still to join
    joined: str = ""
    not_joined: list[str] = field(default_factory=list)


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
    #: bot messages per participant per week: median, max, people counted
    messages_per_week: dict[str, float | int] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "groups": len(self.groups),
            "planned": sum(g.planned for g in self.groups),
            "held": sum(g.held for g in self.groups),
            "agreements_complete": sum(1 for g in self.groups if g.agreement == "complete"),
            "at_risk": len({r.group for r in self.at_risk}),
            "not_joined": sum(
                len(g.not_joined) for g in self.groups if g.status not in ("completed", "ended")
            ),
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
        name = group.name or join_names(
            language or programme.language, [m.name for m in await members_of(session, group.id)]
        )
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
    speech = await messages_per_week(session, programme, now)
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
        messages_per_week=speech,
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
    seats = await members_of(session, group.id)
    return GroupRow(
        joined=f"{sum(1 for m in seats if m.person_id is not None)}/{len(seats)}",
        not_joined=[m.name for m in seats if m.person_id is None],
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
            return self("agreement_complete", date=self.date(row.agreement_date))
        if row.agreement == "open":
            return self("agreement_open", items=row.agreement_items)
        return self("agreement_none")

    def reason(self, reason: str) -> str:
        return self(f"reason.{reason}")

    def date(self, iso: str | None) -> str:
        """An ISO date from the report's data, as written in prose ("1 juni 2027")."""
        return prose_date(self.lang, date.fromisoformat(iso[:10])) if iso else "–"

    def stamp(self, iso: str) -> str:
        """When the report was made, in words ("30 november 2026 kl. 05:36 UTC")."""
        pattern = self("stamp_format")
        return str(format_datetime(datetime.fromisoformat(iso), pattern, locale=self.lang))

    def rhythm(self, days: int | None) -> str:
        return frequency_phrase(self.content, self.lang, days) if days else "–"

    def totals(self, report: Report) -> str:
        totals = report.totals
        count = functools.partial(plural, self.content, self.lang)
        return self(
            "totals",
            groups=count("report.count.groups", totals["groups"]),
            held=count("report.count.meetings_held", totals["planned"], held=totals["held"]),
            agreements=count("report.count.agreements_complete", totals["agreements_complete"]),
            at_risk=count("report.count.at_risk", totals["at_risk"]),
            not_joined=count("report.count.not_joined", totals["not_joined"]),
        )

    def title(self, report: Report) -> str:
        return self(
            "title", name=report.name, start=self.date(report.start), end=self.date(report.end)
        )


COLUMNS = (
    "group", "status", "joined", "rhythm", "agreement", "held", "planned", "upcoming", "last",
    "rating", "risk",
)  # fmt: skip


def cells(w: Words, row: GroupRow) -> list[str]:
    return [
        row.name,
        w.content.t(w.lang, f"organiser.status.{row.status}"),
        row.joined + (f" ({', '.join(row.not_joined)})" if row.not_joined else ""),
        w.rhythm(row.frequency_days),
        w.agreement(row),
        str(row.held),
        str(row.planned),
        str(row.upcoming),
        w.date(row.last_held),
        f"{row.rating:.2f}" if row.rating is not None else "–",
        ", ".join(w.reason(r) for r in row.at_risk) or "–",
    ]


def render_table(report: Report, content: Content) -> str:
    w = Words(content, report.language)
    head = [w(f"col.{c}") for c in COLUMNS]
    body = [cells(w, row) for row in report.groups]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    out = [
        w.title(report),
        w("generated", when=w.stamp(report.generated)),
        "",
        line(head),
        line(["-" * n for n in widths]),
        *(line(cells) for cells in body),
        "",
        w.totals(report),
        speech(w, report),
    ]
    if report.trend:
        out.append(w("trend_title"))
        out += [f"  {p.month}  {p.average:.2f}  (n={p.ratings})" for p in report.trend]
    out.append(w("risk_title"))
    if report.at_risk:
        out += [
            "  " + w("risk_line", group=r.group, reason=w.reason(r.reason), since=w.date(r.since))
            for r in report.at_risk
        ]
    else:
        out.append("  " + w("risk_none"))
    return "\n".join(out)


def speech(w: Words, report: Report) -> str:
    """How much the bot speaks: messages per participant per week (median, max)."""
    m = report.messages_per_week or {"median": 0.0, "max": 0.0, "people": 0}
    return w(
        "messages_week", median=f"{m['median']:.1f}", max=f"{m['max']:.1f}", people=m["people"]
    )


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(
        [
            "group", "kind", "status", "frequency_days", "agreement", "agreement_items",
            "agreement_date", "meetings_planned", "meetings_held", "meetings_upcoming",
            "last_held", "average_rating", "ratings", "at_risk", "joined", "not_joined",
        ]
    )  # fmt: skip
    for r in report.groups:
        writer.writerow(
            [
                r.name, r.kind, r.status, r.frequency_days or "", r.agreement, r.agreement_items,
                r.agreement_date or "", r.planned, r.held, r.upcoming, r.last_held or "",
                f"{r.rating:.2f}" if r.rating is not None else "", r.ratings, ";".join(r.at_risk),
                r.joined, ";".join(r.not_joined),
            ]
        )  # fmt: skip
    return buf.getvalue()
