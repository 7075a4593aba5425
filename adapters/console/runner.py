"""Runs the console: a script from a file, or an interactive chat on stdin."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

from adapters.console.session import (
    ConsoleSession,
    ParserFactory,
    ScriptError,
    parse_duration,
)
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
    settings: Settings, now: datetime | None, parser: ParserFactory | None = None
) -> int:
    clock = OffsetClock()
    if now is not None:
        clock.set(now)
    core = await Core.open(settings, clock=clock)
    session = ConsoleSession(core, _write, parser)
    me = "me"
    _write(core.content.t(settings.default_language, "console.intro", name=me))
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
                elif text.startswith("/wait "):
                    await session.wait(parse_duration(text[6:]))
                elif text.startswith(("@", "#", "wait ")):
                    await session.line(text)
                elif text:
                    await session.act(me, text)
            except ScriptError as exc:
                _write(f"   ({exc})")
    finally:
        stop.set()
        await ticker
        await core.close()
    return 0


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
