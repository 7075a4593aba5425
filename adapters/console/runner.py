"""Runs the console: a script from a file, or an interactive chat on stdin."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from adapters.console.session import ConsoleSession, ParserFactory, ScriptError
from bot.app import Core
from bot.config import Settings
from bot.core.ports import FakeClock, OffsetClock


def _write(line: str) -> None:
    print(line, flush=True)


async def run_script(
    settings: Settings, script: Path, now: datetime, parser: ParserFactory | None = None
) -> int:
    # A script is a simulation played at machine speed: no flood limit.
    settings = settings.model_copy(update={"messages_per_minute": 1_000_000})
    core = await Core.open(settings, clock=FakeClock(now))
    try:
        session = ConsoleSession(core, _write, parser)
        lines = await asyncio.to_thread(script.read_text, encoding="utf-8")
        for lineno, raw in enumerate(lines.splitlines(), 1):
            try:
                await session.line(raw, lineno)
            except ScriptError as exc:
                print(f"mentorbot: {script}: {exc}", file=sys.stderr)
                return 2
    finally:
        await core.close()
    for miss in session.misses:
        print(f"mentorbot: {script}: {miss}", file=sys.stderr)
    return 1 if session.misses else 0


async def run_interactive(
    settings: Settings,
    now: datetime | None,
    parser: ParserFactory | None = None,
    *,
    prelude: Sequence[str] = (),
    opening: Sequence[str] = (),
    me: str = "me",
    greeting: str | None = None,
) -> int:
    """Chat on stdin.  ``prelude`` lines run first without printing (the demo
    seeds a programme with them), then ``greeting`` (a content key) is shown
    and the ``opening`` lines run visibly.  On a database without programmes
    a greeting says how to start."""
    clock = OffsetClock()
    if now is not None:
        clock.set(now)
    core = await Core.open(settings, clock=clock)
    session = ConsoleSession(core, _write, parser)
    lang = settings.default_language
    _write(core.content.t(lang, "console.intro", name=me))
    if prelude:
        session.write = session.transport.write = lambda _line: None
        for line in prelude:
            await session.line(line)
        session.write = session.transport.write = _write
    if greeting is not None:
        _write(core.content.t(lang, greeting))
    elif not await _has_programmes(core):
        _write(core.content.t(lang, "console.empty"))
    for line in opening:
        await session.line(line)
    await _chat(core, session, me)
    return 0


async def _has_programmes(core: Core) -> bool:
    from sqlalchemy import func, select

    from bot.store.models import Programme

    async with core.db.sessions() as db:
        return bool(await db.scalar(select(func.count()).select_from(Programme)))


async def _chat(core: Core, session: ConsoleSession, me: str) -> None:
    stop = asyncio.Event()
    ticker = asyncio.create_task(core.run_scheduler(stop))
    try:
        while True:
            raw = await asyncio.to_thread(_read, f"{me}> ")
            if raw is None:
                break
            text = raw.strip()
            if text in ("/quit", "/exit"):
                break
            try:
                if text.startswith("/as "):
                    me = text[4:].strip().lstrip("@") or me
                elif session.is_script_line(text):
                    await session.line(text)
                elif text:
                    await session.act(me, text)
            except ScriptError as exc:
                _write(f"   ({exc})")
    finally:
        stop.set()
        await ticker
        await core.close()


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
