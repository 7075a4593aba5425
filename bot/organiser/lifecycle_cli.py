"""Organiser commands for a running programme: list, end and replace; update a programme.

``mentorbot pair list --program P``, ``pair end PAIR [--reason TEXT]``,
``pair replace PAIR --mentor NAME | --mentee NAME`` and ``program update P
[--end DATE] [--name ...] [--goal ...] [--frequency ...]``.  They change the
database and queue messages to the people concerned in the same transaction;
a running bot delivers them (the console delivers them at once).

``program update`` options are one table (:data:`UPDATE_OPTIONS`): a new
option is one more row and, if it needs one, one more setter.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.content import load_content
from bot.core.context import Work
from bot.flows.catalogue import build_flows
from bot.matching import signup_cli
from bot.organiser.lifecycle import end_group, replace_seat
from bot.organiser.programme_cli import (
    _common,
    _invite_json,
    _programme_json,
    _render_invites,
    _run,
)
from bot.organiser.programmes import SetupError, find_programme, parse_frequency
from bot.store.groups import members_of
from bot.store.models import Group, Member, Programme
from bot.store.session import DbSession

#: (flag, argparse keywords); each flag's value is applied by :data:`SETTERS`
UPDATE_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--name", {"help": "the programme's name"}),
    ("--goal", {"help": "goal and scope, shown at the first meeting"}),
    ("--start", {"type": date.fromisoformat, "help": "YYYY-MM-DD"}),
    ("--end", {"type": date.fromisoformat, "help": "YYYY-MM-DD; moves the close and calendars"}),
    ("--frequency", {"help": "weekly, biweekly, monthly, 21d"}),
    ("--min-minutes", {"type": int}),
    ("--max-minutes", {"type": int}),
    ("--chase-days", {"type": int, "help": "days before the organisers hear who never joined"}),
]


def add_pair_commands(pair_sub: Any) -> None:
    pl = pair_sub.add_parser("list", help="pairs and circles with status and who has joined")
    pl.add_argument("--program", required=True)
    _common(pl, cmd_pair_list)
    pe = pair_sub.add_parser("end", help="close a pair or circle early")
    pe.add_argument("pair", help="the pair's number (see pair list)")
    pe.add_argument("--reason", default="", help="kept with the pair; not shown to its members")
    _common(pe, cmd_pair_end)
    pr = pair_sub.add_parser("replace", help="a new mentor or mentee for a pair, with a new invite")
    pr.add_argument("pair", help="the pair's number (see pair list)")
    who = pr.add_mutually_exclusive_group(required=True)
    who.add_argument("--mentor", help="name of the new mentor")
    who.add_argument("--mentee", help="name of the new mentee")
    _common(pr, cmd_pair_replace)


def add_program_commands(p_sub: Any) -> None:
    up = p_sub.add_parser("update", help="change a programme's dates or frame")
    up.add_argument("program")
    for flag, keywords in UPDATE_OPTIONS:
        up.add_argument(flag, **keywords)
    signup_cli.add_signup_options(up, update=True)
    _common(up, cmd_program_update)


# -- plumbing --------------------------------------------------------------------------
async def work_in(session: DbSession, settings: Settings, now: datetime) -> Work:
    """A Work like the bot's own, so messages and hooks behave exactly as in chat."""
    return Work(session, load_content(settings.content_dir), settings, now, flows=build_flows())


async def find_group(session: DbSession, ref: str) -> Group:
    ref = ref.strip().lstrip("#")
    group = await session.get(Group, int(ref)) if ref.isdigit() else None
    if group is None:
        raise SetupError(f"no pair or circle #{ref} (see `mentorbot pair list --program P`)")
    return group


async def group_json(session: DbSession, group: Group) -> dict[str, Any]:
    seats = await session.scalars(
        select(Member).where(Member.group_id == group.id).order_by(Member.role.desc(), Member.id)
    )
    return {
        "id": group.id,
        "kind": group.kind,
        "name": group.name,
        "status": group.status,
        "members": [
            {
                "name": m.name,
                "role": m.role,
                "joined": m.person_id is not None,
                "left": m.left_at is not None,
            }
            for m in seats
        ],
    }


def render_group(g: dict[str, Any]) -> str:
    people = ", ".join(
        f"{m['name']} ({m['role']}, "
        + ("left" if m["left"] else "joined" if m["joined"] else "not joined")
        + ")"
        for m in g["members"]
    )
    return f"#{g['id']:<4} {g['kind']:<6} {g['status']:<10} {people}"


# -- pair list / end / replace -------------------------------------------------------------
def cmd_pair_list(args: argparse.Namespace) -> int:
    async def work(session: DbSession, _s: Settings, _now: datetime) -> dict[str, Any]:
        programme = await find_programme(session, args.program)
        groups = await session.scalars(
            select(Group).where(Group.programme_id == programme.id).order_by(Group.id)
        )
        pairs = [await group_json(session, g) for g in groups]
        return {"programme": programme.slug, "pairs": pairs}

    def render(r: dict[str, Any]) -> str:
        if not r["pairs"]:
            return f"no pairs or circles in {r['programme']} yet"
        return "\n".join(render_group(g) for g in r["pairs"])

    return _run(args, work, render)


def cmd_pair_end(args: argparse.Namespace) -> int:
    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        group = await find_group(session, args.pair)
        if not await end_group(await work_in(session, settings, now), group, args.reason):
            raise SetupError(f"#{group.id} is {group.status} already")
        return {"pair": await group_json(session, group), "reason": args.reason}

    return _run(args, work, lambda r: "ended " + render_group(r["pair"]))


def cmd_pair_replace(args: argparse.Namespace) -> int:
    role, name = ("mentor", args.mentor) if args.mentor else ("mentee", args.mentee)

    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        group = await find_group(session, args.pair)
        if group.status in ("completed", "ended"):
            raise SetupError(f"#{group.id} is {group.status}; create a new pair instead")
        name_ = name.strip()
        if not name_ or len(name_) > 128:
            raise SetupError("name: expected 1 to 128 characters")
        staying = [m for m in await members_of(session, group.id) if m.role != role]
        if any(m.name.casefold() == name_.casefold() for m in staying):
            raise SetupError(f"{name_} is in #{group.id} already")
        invite, gone = await replace_seat(
            await work_in(session, settings, now), group, role, name_, settings.invite_days
        )
        return {
            "pair": await group_json(session, group),
            "replaced": [m.name for m in gone],
            "invites": [_invite_json(settings, invite)],
        }

    def render(r: dict[str, Any]) -> str:
        head = render_group(r["pair"])
        return "\n".join([head, *_render_invites(r["invites"])])

    return _run(args, work, render)


# -- program update ------------------------------------------------------------------------
Setter = Callable[[Programme, Any], None]


def _set_text(field: str, limit: int) -> Setter:
    def setter(p: Programme, value: str) -> None:
        value = value.strip()
        if field == "name" and not value:
            raise SetupError("name: must not be empty")
        setattr(p, field, value[:limit])

    return setter


def _set_chase(p: Programme, value: int) -> None:
    if not 1 <= value <= 90:
        raise SetupError("chase-days: expected 1 to 90")
    p.settings = {**(p.settings or {}), "chase_days": value}


SETTERS: dict[str, Setter] = {
    "name": _set_text("name", 200),
    "goal": _set_text("goal", 2000),
    "start": lambda p, v: setattr(p, "start_date", v),
    "end": lambda p, v: setattr(p, "end_date", v),
    "frequency": lambda p, v: setattr(p, "frequency_days", parse_frequency(v)),
    "min_minutes": lambda p, v: setattr(p, "min_minutes", v),
    "max_minutes": lambda p, v: setattr(p, "max_minutes", v),
    "chase_days": _set_chase,
}
#: after a change of these fields, the flows re-plan (closing, calendars, evaluations)
DATES = ("start", "end")
Replanner = Callable[[Work, Programme], Awaitable[None]]


def _check(p: Programme) -> None:
    if p.end_date < p.start_date + timedelta(days=28):
        raise SetupError("end: a programme runs at least one month after its start")
    if p.end_date > p.start_date + timedelta(days=366 * 6):
        raise SetupError("end: at most six years after the start")
    if not 10 <= p.min_minutes <= p.max_minutes <= 240:
        raise SetupError("minutes: expected 10 <= min <= max <= 240")


def cmd_program_update(args: argparse.Namespace) -> int:
    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        programme = await find_programme(session, args.program)
        changed = []
        for flag, _ in UPDATE_OPTIONS:
            field = flag.removeprefix("--").replace("-", "_")
            value = getattr(args, field, None)
            if value is not None and field in SETTERS:
                SETTERS[field](programme, value)
                changed.append(field)
        signup: dict[str, Any] = {}
        if args.signup is not None or args.fields is not None:
            signup = await signup_cli.apply_signup_options(session, programme, args, settings, now)
            changed += [f for f in ("signup", "fields") if getattr(args, f) is not None]
        if not changed:
            raise SetupError("nothing to change (see `mentorbot program update --help`)")
        _check(programme)
        if any(f in DATES for f in changed):
            w = await work_in(session, settings, now)
            for hook in w.flows.programme_dates if w.flows else []:
                await hook(w, programme)
        return {"programme": _programme_json(programme), "changed": changed, **signup}

    def render(r: dict[str, Any]) -> str:
        p = r["programme"]
        head = f"programme {p['slug']}: {p['name']} ({p['start']} – {p['end']}) – changed " + (
            ", ".join(r["changed"])
        )
        return "\n".join([head, *signup_cli.render_signup(r)])

    return _run(args, work, render)
