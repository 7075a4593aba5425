"""``mentorbot report``: the organiser report in the terminal, as CSV, or as HTML.

    mentorbot report [--program P] [--format table|csv|html] [--output FILE]
                     [--language sv|en] [--json]

Without ``--program`` the only programme is used (several need a name).
``--json`` prints the report's data instead of a rendering.  Like the other
organiser commands it honours the console's database and simulated clock.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings, load_settings
from bot.content import load_content
from bot.organiser.programme_cli import run_work
from bot.organiser.programmes import SetupError
from bot.organiser.report_html import render_html
from bot.organiser.reports import build_report, render_csv, render_table
from bot.store.models import Programme
from bot.store.session import DbSession

FORMATS = ("table", "csv", "html")


def add_commands(sub: Any) -> None:  # argparse's subparsers action has no public type
    report = sub.add_parser("report", help="programme health report (table, CSV or HTML)")
    report.add_argument("--program", help="programme slug (default: the only one)")
    report.add_argument("--format", default="table", choices=FORMATS)
    report.add_argument("--output", type=Path, help="write to this file instead of printing")
    report.add_argument("--language", choices=("sv", "en"), help="default: the programme's")
    report.add_argument("--json", action="store_true", help="the report's data as JSON")
    report.set_defaults(handler=cmd_report)


async def find_one(session: DbSession, slug: str | None) -> Programme:
    if slug:
        found = await session.scalar(select(Programme).where(Programme.slug == slug))
        if found is None:
            raise SetupError(f"no programme {slug!r}")
        return found
    programmes = list((await session.scalars(select(Programme).order_by(Programme.id))).all())
    if not programmes:
        raise SetupError("no programmes yet: create one with `mentorbot program create`")
    if len(programmes) > 1:
        slugs = ", ".join(p.slug for p in programmes)
        raise SetupError(f"several programmes ({slugs}): choose one with --program")
    return programmes[0]


def cmd_report(args: argparse.Namespace) -> int:
    settings: Settings = getattr(args, "settings", None) or load_settings()
    out: Callable[[str], None] = getattr(args, "out", None) or print
    content = load_content(settings.content_dir)

    async def work(session: DbSession, _settings: Settings, now: datetime) -> dict[str, Any]:
        programme = await find_one(session, args.program)
        report = await build_report(session, content, programme, now, args.language)
        if args.json:
            text = json.dumps(report.to_json(), ensure_ascii=False, indent=2)
        elif args.format == "csv":
            text = render_csv(report)
        elif args.format == "html":
            text = render_html(report, content)
        else:
            text = render_table(report, content)
        return {"text": text}

    result = run_work(args, work)
    if result is None:
        return 1
    text = result["text"]
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
        out(f"report written to {args.output}")
    else:
        out(text.rstrip("\n"))
    return 0
