"""Drives the console adapter in-process and keeps its transcript."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from adapters.console.session import ConsoleSession
from bot.app import Core
from bot.cli import build_parser
from bot.config import load_settings
from bot.core.ports import FakeClock


class Console:
    def __init__(self, core: Core, session: ConsoleSession, lines: list[str]):
        self.core = core
        self.session = session
        self.lines = lines

    @classmethod
    async def open(cls, db_url: str, start: datetime, **settings: object) -> Console:
        settings.setdefault("messages_per_minute", 1_000_000)  # scripts run in bursts
        core = await Core.open(load_settings(database_url=db_url, **settings), FakeClock(start))
        lines: list[str] = []
        return cls(core, ConsoleSession(core, lines.append, build_parser), lines)

    async def run(self, script: str) -> list[str]:
        """Run script lines; return the transcript lines they produced."""
        start = len(self.lines)
        for number, line in enumerate(script.strip().splitlines(), 1):
            await self.session.line(line, number)
        return self.lines[start:]

    def to(self, name: str, new: list[str]) -> list[str]:
        """Messages (first lines) to ``name`` within ``new``."""
        prefix = f"→ {name}"
        return [line for line in new if line.startswith(prefix)]

    async def close(self) -> None:
        await self.core.close()


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path
