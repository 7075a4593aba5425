"""Matching on the command line: ``intake import``, ``match suggest|approve|pin|forbid``,
and the sign-up options of ``program create`` / ``program update``.

Every command runs in one transaction (``--json`` for machine-readable
output, as the other organiser commands).  Messages to participants (the
introductions) go through the outbox; the running bot delivers them.  The
solver (numpy, scipy) is imported by the commands that solve, so that every
other ``mentorbot`` command starts without it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.content import load_content
from bot.core.context import Work
from bot.matching.csvimport import read_intake_csv
from bot.matching.models import Intake, MatchRule
from bot.matching.signup import programme_fields
from bot.matching.store import Pool, load_pool
from bot.organiser.programme_cli import _common, _invite_json, _render_invites, _run, output
from bot.organiser.programmes import SetupError, find_programme, issue_invite
from bot.store.db import to_db
from bot.store.models import Member, Programme
from bot.store.session import DbSession


def add_commands(sub: Any) -> None:  # argparse's subparsers action has no public type
    intake = sub.add_parser("intake", help="intake answers (matching)")
    i_sub = intake.add_subparsers(dest="intake_command", required=True)
    imp = i_sub.add_parser("import", help="import applications from a CSV file")
    imp.add_argument("file", type=Path)
    _common(imp, cmd_intake_import)

    match = sub.add_parser("match", help="suggest and approve matches")
    m_sub = match.add_subparsers(dest="match_command", required=True)
    sug = m_sub.add_parser("suggest", help="suggested matches with explanations")
    sug.add_argument("--program", required=True)
    sug.add_argument(
        "--weight", action="append", default=[], help="override a score weight, e.g. field=30"
    )
    _common(sug, cmd_match_suggest)
    app = m_sub.add_parser("approve", help="approve suggestions: --all, or MENTOR MENTEE pairs")
    app.add_argument("--program", required=True)
    app.add_argument("--all", action="store_true", help="approve every current suggestion")
    app.add_argument("names", nargs="*", help="MENTOR MENTEE [MENTOR MENTEE ...]")
    _common(app, cmd_match_approve)
    for rule in ("pin", "forbid", "clear"):
        r = m_sub.add_parser(rule, help=f"{rule} a mentor-mentee pair before solving")
        r.add_argument("--program", required=True)
        r.add_argument("mentor")
        r.add_argument("mentee")
        r.set_defaults(rule=rule)
        _common(r, cmd_match_rule)


# -- intake import -------------------------------------------------------------------
def cmd_intake_import(args: argparse.Namespace) -> int:
    rows, errors = read_intake_csv(args.file, _support_labels(args))
    if errors:
        return _failed(args, errors)

    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        problems, invites = [], []
        programmes: dict[str, Programme] = {}
        for row in rows:
            try:
                programme = programmes.get(row.programme) or await find_programme(
                    session, row.programme
                )
            except SetupError as exc:
                problems.append(f"line {row.line}: {exc}")
                continue
            programmes[row.programme] = programme
            fields = programme_fields(programme)
            if row.answers["field"] and fields:
                known = {f.casefold(): f for f in fields}
                if row.answers["field"].casefold() not in known:
                    problems.append(
                        f"line {row.line}: field {row.answers['field']!r} is not one of the"
                        f" programme's fields ({'; '.join(fields)})"
                    )
                    continue
                row.answers["field"] = known[row.answers["field"].casefold()]
            seat = Member(programme_id=programme.id, name=row.name, role=row.role)
            session.add(seat)
            await session.flush()
            session.add(
                Intake(
                    member_id=seat.id,
                    programme_id=programme.id,
                    answers=row.answers,
                    status="waiting",
                    updated_at=to_db(now),
                )
            )
            invites.append(
                _invite_json(settings, await issue_invite(session, seat, now, settings.invite_days))
            )
        if problems:
            raise SetupError("; ".join(problems))  # rolls the whole import back
        return {"imported": len(invites), "invites": invites}

    def render(r: dict[str, Any]) -> str:
        return "\n".join(
            [
                f"imported {r['imported']} applications from {args.file}",
                *_render_invites(r["invites"]),
            ]
        )

    return _run(args, work, render)


def _support_labels(args: argparse.Namespace) -> dict[str, str]:
    settings = getattr(args, "settings", None)
    try:
        from bot.config import load_settings

        content = load_content((settings or load_settings()).content_dir)
    except Exception:  # content problems are reported by `content check`
        return {}
    return {o.text(lang): o.id for o in content.agreement.support_options for lang in ("sv", "en")}


def _failed(args: argparse.Namespace, errors: list[str]) -> int:
    out = output(args)
    if args.json:
        out(json.dumps({"imported": 0, "errors": errors}, ensure_ascii=False, indent=2))
    else:
        for error in errors:
            print(f"{args.file}: {error}", file=sys.stderr)
            if getattr(args, "out", None):
                out(f"{args.file}: {error}")
        print(f"mentorbot: nothing imported ({len(errors)} error(s))", file=sys.stderr)
    return 1


# -- suggest and approve --------------------------------------------------------------
def _weights(args: argparse.Namespace) -> dict[str, str]:
    pairs = {}
    for item in getattr(args, "weight", []):
        name, sep, value = item.partition("=")
        if not sep:
            raise SetupError(f"--weight: expected name=value, got {item!r}")
        pairs[name.strip()] = value.strip()
    return pairs


async def _pool(session: DbSession, args: argparse.Namespace) -> tuple[Programme, Pool]:
    programme = await find_programme(session, args.program)
    return programme, await load_pool(session, programme)


def cmd_match_suggest(args: argparse.Namespace) -> int:
    from bot.matching.report import (
        head_text,
        match_text,
        suggest,
        suggestion_data,
        unmatched_text,
        weights_for,
    )

    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        programme, pool = await _pool(session, args)
        try:
            weights = weights_for(programme, _weights(args))
        except ValueError as exc:
            raise SetupError(str(exc)) from None
        content = load_content(settings.content_dir)
        data = suggestion_data(pool, suggest(pool, weights), content, programme.language)
        return {**data, "language": programme.language, "name": programme.name}

    def render(r: dict[str, Any]) -> str:
        settings = getattr(args, "settings", None)
        from bot.config import load_settings

        content = load_content((settings or load_settings()).content_dir)
        lang = _programme_lang(r)
        blocks = [head_text(content, lang, r["name"], r)]
        blocks += [match_text(content, lang, m) for m in r["matches"]]
        rest = unmatched_text(content, lang, r)
        return "\n\n".join(blocks + ([rest] if rest else []))

    return _run(args, work, render)


def _programme_lang(result: dict[str, Any]) -> str:
    return str(result.get("language", "sv"))


def cmd_match_approve(args: argparse.Namespace) -> int:
    from bot.matching.approve import approve
    from bot.matching.report import suggest, weights_for

    if not args.all and (not args.names or len(args.names) % 2):
        print("mentorbot: give --all, or names in pairs: MENTOR MENTEE ...", file=sys.stderr)
        return 2

    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        programme, pool = await _pool(session, args)
        weights = weights_for(programme)
        plan: list[tuple[int, list[int]]] = []
        skipped: list[str] = []
        if args.all:
            plan = [
                (s.mentor.key, [m.key for m in s.mentees]) for s in suggest(pool, weights).matches
            ]
        else:
            chosen: dict[int, list[int]] = {}
            for mentor_name, mentee_name in zip(args.names[::2], args.names[1::2], strict=True):
                mentor = _one(pool, mentor_name, "mentor")
                mentee = _one(pool, mentee_name, "mentee")
                chosen.setdefault(mentor.key, []).append(mentee.key)
            plan = list(chosen.items())
        work_ = Work(session, load_content(settings.content_dir), settings, now)
        approved = []
        for mentor_key, mentee_keys in plan:
            try:
                done = await approve(work_, pool, mentor_key, mentee_keys, weights)
            except SetupError as exc:
                if not args.all:
                    raise
                skipped.append(str(exc))
                continue
            pool = await load_pool(session, programme)  # capacities changed
            approved += [
                {
                    "group": a.group.id,
                    "kind": a.group.kind,
                    "mentor": a.mentor.name,
                    "mentees": [m.name for m in a.mentees],
                }
                for a in done
            ]
        return {"approved": approved, "skipped": skipped}

    def render(r: dict[str, Any]) -> str:
        lines = [f"approved {len(r['approved'])} group(s)"]
        lines += [
            f"  {a['kind']} #{a['group']}: {a['mentor']} – {', '.join(a['mentees'])}"
            for a in r["approved"]
        ]
        lines += [f"  not approved: {s}" for s in r["skipped"]]
        if r["approved"]:
            lines.append("  (introductions are sent by the running bot)")
        return "\n".join(lines)

    return _run(args, work, render)


def _one(pool: Pool, name: str, role: str) -> Any:
    found = pool.by_name(name, role)
    if not found:
        raise SetupError(f"no {role} {name!r} waiting for a match in this programme")
    if len(found) > 1:
        raise SetupError(f"{len(found)} {role}s are called {name!r}; rename one first")
    return found[0]


def cmd_match_rule(args: argparse.Namespace) -> int:
    async def work(session: DbSession, settings: Settings, now: datetime) -> dict[str, Any]:
        programme, pool = await _pool(session, args)
        mentor = _one(pool, args.mentor, "mentor")
        mentee = _one(pool, args.mentee, "mentee")
        rule = await session.scalar(
            select(MatchRule).where(
                MatchRule.mentor_member_id == mentor.key, MatchRule.mentee_member_id == mentee.key
            )
        )
        if args.rule == "clear":
            if rule is not None:
                await session.delete(rule)
        else:
            if rule is None:
                rule = MatchRule(
                    programme_id=programme.id,
                    mentor_member_id=mentor.key,
                    mentee_member_id=mentee.key,
                    created_at=to_db(now),
                )
                session.add(rule)
            rule.rule = args.rule
        return {"rule": args.rule, "mentor": mentor.name, "mentee": mentee.name}

    def render(r: dict[str, Any]) -> str:
        return f"{r['rule']}: {r['mentor']} – {r['mentee']}"

    return _run(args, work, render)
