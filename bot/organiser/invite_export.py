"""``mentorbot invites export``: every invite of a programme as CSV or JSON, and QR cards.

Invite codes are stored only as hashes, so a code printed once cannot be shown
again.  The export therefore *issues a fresh code* to everyone who has not
joined yet (their earlier codes stop working, as with ``/invite NAME``) and
says so; people who already joined are listed without a code.  When the
programme's sign-up is open (matching), a row per role carries a fresh sign-up
link too (earlier sign-up codes stop working), for posters and the web page.
``--qr DIR`` writes one PNG per row with the Telegram deep link, for printed
cards at a kick-off (``segno`` draws them).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.matching.models import SignupLink
from bot.matching.signup import open_signup
from bot.organiser.csv_safe import SafeWriter
from bot.organiser.programme_cli import output, run_work
from bot.organiser.programmes import deep_link, find_programme, issue_invite
from bot.store.models import Group, Member, Programme
from bot.store.session import DbSession

COLUMNS = ("name", "role", "group", "status", "code", "telegram_link", "discord", "expires")


def add_commands(sub: Any) -> None:  # argparse's subparsers action has no public type
    invites = sub.add_parser("invites", help="invite codes of a programme")
    i_sub = invites.add_subparsers(dest="invites_command", required=True)
    export = i_sub.add_parser(
        "export",
        help="fresh codes for everyone not yet joined, as CSV or JSON (and QR codes)",
        description="Issues a fresh invite code to everyone in the programme who has not"
        " joined yet (their earlier codes stop working) and writes one row per person.",
    )
    export.add_argument("--program", required=True, help="programme slug or name")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", type=Path, help="write to this file (default: stdout)")
    export.add_argument("--qr", type=Path, metavar="DIR", help="one PNG QR code per person")
    export.set_defaults(handler=cmd_invites_export, json=False)


def cmd_invites_export(args: argparse.Namespace) -> int:
    settings_given: Settings | None = getattr(args, "settings", None)
    if args.qr is not None:
        username = settings_given.telegram_username if settings_given else _username()
        if not username:
            raise ConfigError(
                "MENTORBOT_TELEGRAM_USERNAME: --qr draws Telegram deep links and needs"
                " the bot's username"
            )

    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        return {"invites": await export_rows(session, settings, now, args.program)}

    result = run_work(args, work)
    if result is None:
        return 1
    rows: list[dict[str, Any]] = result["invites"]
    args.result = result
    text = to_json(rows) if args.format == "json" else to_csv(rows)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        output(args)(text.rstrip("\n"))
    fresh = sum(1 for r in rows if r["code"])
    notes = [
        f"issued {fresh} fresh code(s); earlier codes of these people no longer work",
    ]
    if args.qr is not None:
        written = write_qr_codes(rows, args.qr)
        notes.append(f"wrote {len(written)} QR code(s) to {args.qr}")
    if args.output is not None:
        notes.append(f"wrote {len(rows)} row(s) to {args.output}")
    for note in notes:
        print(f"mentorbot: {note}", file=sys.stderr)
    return 0


def _username() -> str | None:
    from bot.config import load_settings

    return load_settings().telegram_username


async def export_rows(
    session: DbSession, settings: Settings, now: datetime, programme_ref: str
) -> list[dict[str, Any]]:
    """One row per seat: organisers first, then each pair and circle in order."""
    programme = await find_programme(session, programme_ref)
    groups = {
        g.id: g
        for g in await session.scalars(select(Group).where(Group.programme_id == programme.id))
    }
    members = list(
        await session.scalars(
            select(Member).where(Member.programme_id == programme.id).order_by(Member.id)
        )
    )
    members.sort(key=lambda m: (m.group_id is not None, m.group_id or 0, m.id))
    rows = []
    for member in members:
        group = groups.get(member.group_id) if member.group_id is not None else None
        row: dict[str, Any] = {
            "name": member.name,
            "role": member.role,
            "group": _group_label(group),
            "status": "joined" if member.person_id is not None else "invited",
            "code": "",
            "telegram_link": "",
            "discord": "",
            "expires": "",
        }
        if member.person_id is None:
            invite = await issue_invite(session, member, now, settings.invite_days)
            row["code"] = invite.code
            row["telegram_link"] = deep_link(settings.telegram_username, invite.code) or ""
            row["discord"] = f"/join {invite.code}"
            row["expires"] = invite.expires_at.isoformat(timespec="minutes")
        rows.append(row)
    return rows + await _signup_rows(session, settings, programme, now)


async def _signup_rows(
    session: DbSession, settings: Settings, programme: Programme, now: datetime
) -> list[dict[str, Any]]:
    """Fresh sign-up links per role, when the programme's sign-up is open."""
    open_links = await session.scalar(
        select(SignupLink.id).where(
            SignupLink.programme_id == programme.id, SignupLink.closed_at.is_(None)
        )
    )
    if open_links is None:
        return []
    return [
        {
            "name": f"sign-up ({code.role})",
            "role": code.role,
            "group": "",
            "status": "sign-up",
            "code": code.code,
            "telegram_link": deep_link(settings.telegram_username, code.code) or "",
            "discord": f"/join {code.code}",
            "expires": "",
        }
        for code in await open_signup(session, programme, now)
    ]


def _group_label(group: Group | None) -> str:
    if group is None:
        return ""
    return f"{group.kind} #{group.id}" + (f" {group.name}" if group.name else "")


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with every cell a spreadsheet could run as a formula made inert."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(list(COLUMNS))
    for row in rows:
        writer.writerow([str(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def write_qr_codes(rows: list[dict[str, Any]], directory: Path) -> list[Path]:
    """One PNG per person with a deep link, named ``NN-name-role.png``."""
    import segno

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, row in enumerate(rows, 1):
        if not row["telegram_link"]:
            continue
        path = directory / f"{number:02d}-{_file_part(row['name'])}-{row['role']}.png"
        segno.make(row["telegram_link"], error="m", micro=False).save(str(path), scale=8, border=4)
        written.append(path)
    return written


def _file_part(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.casefold()).strip("-") or "person"
