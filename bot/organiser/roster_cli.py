"""``mentorbot roster import FILE [--dry-run] [--json]``.

Prints what was created (with invite codes), what was already there, or every
problem by line; exit status 1 when anything was wrong, and then nothing is
created.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.organiser.programme_cli import _common, _invite_json, _render_invites, output, run_work
from bot.organiser.roster import read_file
from bot.organiser.roster_import import import_roster
from bot.store.session import DbSession


def add_commands(sub: Any) -> None:  # argparse's subparsers action has no public type
    roster = sub.add_parser("roster", help="roster files")
    r_sub = roster.add_subparsers(dest="roster_command", required=True)
    ri = r_sub.add_parser("import", help="import pairs and circles from a CSV file")
    ri.add_argument("file", type=Path)
    ri.add_argument("--dry-run", action="store_true", help="check and report; create nothing")
    _common(ri, cmd_roster_import)


def cmd_roster_import(args: argparse.Namespace) -> int:
    roster = read_file(args.file)

    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        result = await import_roster(
            session, roster, now, settings.invite_days, dry_run=args.dry_run
        )
        return {
            "dry_run": args.dry_run,
            "imported": len(result.created),
            "errors": [str(p) for p in result.problems],
            "already_there": [{"line": line, "what": what} for line, what in result.already],
            "would_create": [
                {"kind": kind, "name": name, "programme": prog}
                for kind, name, prog in result.planned
            ],
            "organisers": [_invite_json(settings, i) for i in result.organisers],
            "groups": [
                {
                    "group": {"id": g.id, "kind": g.kind, "name": g.name},
                    "invites": [_invite_json(settings, i) for i in invites],
                }
                for g, invites in result.created
            ],
        }

    result = run_work(args, work)
    if result is None:
        return 1
    args.result = result
    out = output(args)
    if result["errors"]:
        return _failed(args, result)
    if args.json:
        out(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    out(_render(args, result))
    return 0


def _render(args: argparse.Namespace, r: dict[str, Any]) -> str:
    lines = []
    if r["dry_run"]:
        lines.append(f"dry run: {args.file} is fine; nothing was created")
        lines += [
            f"  would create {w['kind']} {w['name']} in {w['programme']}" for w in r["would_create"]
        ]
    else:
        lines.append(f"imported {r['imported']} groups from {args.file}")
    lines += [f"  line {a['line']}: {a['what']} – already there" for a in r["already_there"]]
    if r["organisers"]:
        lines.append("organisers:")
        lines += _render_invites(r["organisers"])
    for item in r["groups"]:
        g = item["group"]
        lines.append(f"{g['kind']} #{g['id']}: {g['name']}")
        lines += _render_invites(item["invites"])
    return "\n".join(lines)


def _failed(args: argparse.Namespace, r: dict[str, Any]) -> int:
    errors = r["errors"]
    out = output(args)
    if args.json:
        body = {"imported": 0, "errors": errors, "error": "; ".join(errors)}
        out(json.dumps(body, ensure_ascii=False, indent=2))
        return 1
    for error in errors:
        print(f"{args.file}: {error}", file=sys.stderr)
        if getattr(args, "out", None):
            out(f"{args.file}: {error}")
    message = f"mentorbot: nothing imported ({len(errors)} error(s))"
    print(message, file=sys.stderr)
    if getattr(args, "out", None):
        out(message)
    return 1
