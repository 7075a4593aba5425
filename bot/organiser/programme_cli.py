"""Organiser commands of the CLI: programmes, pairs and circles.

Each prints the invite codes (and Telegram deep links when the bot's username
is configured); ``--json`` gives the same as machine-readable output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import func, select

from bot.config import Settings, load_settings
from bot.core.ports import Clock, SystemClock
from bot.matching import signup_cli as matching_cli
from bot.organiser.programmes import (
    FORMATS,
    MODES,
    IssuedInvite,
    SetupError,
    add_organiser,
    create_group,
    create_programme,
    deep_link,
    find_programme,
    parse_frequency,
)
from bot.store.db import Database
from bot.store.models import Group, Member, Programme
from bot.store.session import DbSession

Extend = Callable[[Any], None]


def add_commands(
    sub: Any,  # argparse's subparsers action has no public type
    *,
    program_extras: tuple[Extend, ...] = (),
    pair_extras: tuple[Extend, ...] = (),
) -> None:
    """``program`` and ``pair`` with their subcommands; ``*_extras`` add more
    subcommands (other modules' ``program update``, ``pair end``...)."""
    program = sub.add_parser("program", help="create, list and show programmes")
    p_sub = program.add_subparsers(dest="program_command", required=True)
    create = p_sub.add_parser("create", help="create a programme")
    create.add_argument("--name", required=True)
    create.add_argument("--slug", help="short id used by other commands (default: from name)")
    create.add_argument("--goal", default="", help="goal and scope, shown at the first meeting")
    create.add_argument("--start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    create.add_argument("--end", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    create.add_argument("--frequency", default="monthly", help="weekly, biweekly, monthly, 21d")
    create.add_argument("--min-minutes", type=int, default=20)
    create.add_argument("--max-minutes", type=int, default=60)
    create.add_argument("--format", default="one_to_one", choices=FORMATS)
    create.add_argument("--mode", default="online", choices=MODES)
    create.add_argument("--language", default="sv", choices=("sv", "en"))
    create.add_argument("--organiser", action="append", default=[], help="organiser name")
    matching_cli.add_signup_options(create, update=False)
    _common(create, cmd_program_create)
    _common(p_sub.add_parser("list", help="list programmes"), cmd_program_list)
    show = p_sub.add_parser("show", help="one programme with its pairs and circles")
    show.add_argument("program")
    _common(show, cmd_program_show)
    for extend in program_extras:
        extend(p_sub)

    pair = sub.add_parser("pair", help="pairs")
    pair_sub = pair.add_subparsers(dest="pair_command", required=True)
    pc = pair_sub.add_parser("create", help="create a pair and print both invites")
    pc.add_argument("--program", required=True)
    pc.add_argument("--mentor", required=True)
    pc.add_argument("--mentee", required=True)
    _common(pc, cmd_pair_create)
    for extend in pair_extras:
        extend(pair_sub)

    circle = sub.add_parser("circle", help="group-mentoring circles")
    circle_sub = circle.add_subparsers(dest="circle_command", required=True)
    cc = circle_sub.add_parser("create", help="create a circle (one mentor, 2-8 mentees)")
    cc.add_argument("--program", required=True)
    cc.add_argument("--mentor", required=True)
    cc.add_argument("--mentee", action="append", required=True)
    cc.add_argument("--name", default="")
    _common(cc, cmd_circle_create)


def _common(parser: argparse.ArgumentParser, handler: Callable[[argparse.Namespace], int]) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=handler)


# -- plumbing -----------------------------------------------------------------
Work = Callable[[DbSession, Settings, datetime], Awaitable[dict[str, Any]]]


def _run(args: argparse.Namespace, work: Work, render: Callable[[dict[str, Any]], str]) -> int:
    """Run ``work`` in one transaction and print its result."""
    result = run_work(args, work)
    if result is None:
        return 1
    args.result = result
    output(args)(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


def output(args: argparse.Namespace) -> Callable[[str], None]:
    """Where a command prints: the console passes ``out`` to catch it."""
    out: Callable[[str], None] = getattr(args, "out", None) or print
    return out


def run_work(args: argparse.Namespace, work: Work) -> dict[str, Any] | None:
    """Run ``work`` in one transaction; on a :class:`SetupError` say why and return None.

    The console passes ``settings``, ``clock`` and ``out`` on ``args`` so that
    organiser commands in a script use its database and simulated time.
    """
    settings = getattr(args, "settings", None) or load_settings()
    out = output(args)
    try:
        result: dict[str, Any] = asyncio.run(
            run_in_db(settings, work, getattr(args, "clock", None))
        )
    except SetupError as exc:
        if args.json:
            out(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            print(f"mentorbot: {exc}", file=sys.stderr)
            if getattr(args, "out", None):
                out(f"mentorbot: {exc}")
        return None
    return result


async def run_in_db(settings: Settings, work: Work, clock: Clock | None = None) -> dict[str, Any]:
    db = Database(settings.database_url, synchronous=settings.sqlite_synchronous)
    try:
        await db.upgrade()
        async with db.transaction() as session:
            return await work(session, settings, (clock or SystemClock()).now())
    finally:
        await db.dispose()


def _invite_json(settings: Settings, invite: IssuedInvite) -> dict[str, Any]:
    return {
        "name": invite.name,
        "role": invite.role,
        "code": invite.code,
        "expires": invite.expires_at.isoformat(timespec="minutes"),
        "telegram_link": deep_link(settings.telegram_username, invite.code),
        "discord": f"/join {invite.code}",
    }


def _render_invites(invites: list[dict[str, Any]]) -> list[str]:
    lines = []
    for inv in invites:
        lines.append(f"  {inv['role']:<9} {inv['name']:<24} code {inv['code']}")
        if inv["telegram_link"]:
            lines.append(f"  {'':<9} {'':<24} {inv['telegram_link']}")
    if invites:
        lines.append(f"  (codes expire {invites[0]['expires']}; /start CODE or /join CODE)")
    return lines


def _programme_json(p: Programme) -> dict[str, Any]:
    return {
        "slug": p.slug,
        "name": p.name,
        "goal": p.goal,
        "start": p.start_date.isoformat(),
        "end": p.end_date.isoformat(),
        "frequency_days": p.frequency_days,
        "minutes": [p.min_minutes, p.max_minutes],
        "format": p.format,
        "mode": p.mode,
        "language": p.language,
    }


# -- programme ----------------------------------------------------------------
def cmd_program_create(args: argparse.Namespace) -> int:
    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        programme = await create_programme(
            session,
            now,
            name=args.name,
            slug=args.slug,
            goal=args.goal,
            start=args.start,
            end=args.end,
            frequency_days=parse_frequency(args.frequency),
            min_minutes=args.min_minutes,
            max_minutes=args.max_minutes,
            format=args.format,
            mode=args.mode,
            language=args.language,
        )
        invites = [
            await add_organiser(session, programme, name, now, settings.invite_days)
            for name in args.organiser
        ]
        return {
            "programme": _programme_json(programme),
            "invites": [_invite_json(settings, i) for i in invites],
            **await matching_cli.apply_signup_options(session, programme, args, settings, now),
        }

    def render(r: dict[str, Any]) -> str:
        p = r["programme"]
        head = f"programme {p['slug']}: {p['name']} ({p['start']} – {p['end']})"
        return "\n".join([head, *_render_invites(r["invites"]), *matching_cli.render_signup(r)])

    return _run(args, work, render)


def cmd_program_list(args: argparse.Namespace) -> int:
    async def work(session: DbSession, _s: Settings, _now: datetime) -> dict[str, Any]:
        rows = []
        for p in await session.scalars(select(Programme).order_by(Programme.id)):
            groups = await session.scalar(
                select(func.count()).select_from(Group).where(Group.programme_id == p.id)
            )
            rows.append({**_programme_json(p), "groups": groups})
        return {"programmes": rows}

    def render(r: dict[str, Any]) -> str:
        if not r["programmes"]:
            return "no programmes yet (mentorbot program create --help)"
        return "\n".join(
            f"{p['slug']:<20} {p['name']:<30} {p['start']} – {p['end']}  {p['groups']} groups"
            for p in r["programmes"]
        )

    return _run(args, work, render)


def cmd_program_show(args: argparse.Namespace) -> int:
    async def work(session: DbSession, _s: Settings, _now: datetime) -> dict[str, Any]:
        p = await find_programme(session, args.program)
        groups = []
        for g in await session.scalars(
            select(Group).where(Group.programme_id == p.id).order_by(Group.id)
        ):
            members = await session.scalars(
                select(Member).where(Member.group_id == g.id).order_by(Member.id)
            )
            groups.append(
                {
                    "id": g.id,
                    "kind": g.kind,
                    "name": g.name,
                    "status": g.status,
                    "members": [
                        {"name": m.name, "role": m.role, "joined": m.person_id is not None}
                        for m in members
                    ],
                }
            )
        organisers = await session.scalars(
            select(Member).where(Member.programme_id == p.id, Member.role == "organiser")
        )
        return {
            "programme": _programme_json(p),
            "organisers": [{"name": o.name, "joined": o.person_id is not None} for o in organisers],
            "groups": groups,
        }

    def render(r: dict[str, Any]) -> str:
        p = r["programme"]
        lines = [
            f"{p['name']} ({p['slug']}), {p['start']} – {p['end']}",
            f"  goal: {p['goal'] or '-'}",
            f"  meet every {p['frequency_days']} days, {p['minutes'][0]}–{p['minutes'][1]} min,"
            f" {p['format']}, {p['mode']}, language {p['language']}",
            "  organisers: "
            + (
                ", ".join(
                    o["name"] + ("" if o["joined"] else " (not joined)") for o in r["organisers"]
                )
                or "-"
            ),
        ]
        for g in r["groups"]:
            people = ", ".join(
                f"{m['name']} ({m['role']}{'' if m['joined'] else ', not joined'})"
                for m in g["members"]
            )
            lines.append(f"  #{g['id']} {g['kind']:<6} {g['status']:<8} {people}")
        return "\n".join(lines)

    return _run(args, work, render)


# -- pairs and circles ------------------------------------------------------------
def _group_command(
    args: argparse.Namespace, kind: Literal["pair", "circle"], mentees: list[str]
) -> int:
    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        programme = await find_programme(session, args.program)
        group, invites = await create_group(
            session,
            programme,
            kind,
            args.mentor,
            mentees,
            now,
            settings.invite_days,
            name=getattr(args, "name", ""),
        )
        return {
            "group": {"id": group.id, "kind": kind, "name": group.name},
            "invites": [_invite_json(settings, i) for i in invites],
        }

    def render(r: dict[str, Any]) -> str:
        g = r["group"]
        return "\n".join([f"{g['kind']} #{g['id']}: {g['name']}", *_render_invites(r["invites"])])

    return _run(args, work, render)


def cmd_pair_create(args: argparse.Namespace) -> int:
    return _group_command(args, "pair", [args.mentee])


def cmd_circle_create(args: argparse.Namespace) -> int:
    return _group_command(args, "circle", args.mentee)
