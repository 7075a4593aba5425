"""Fixtures and helpers for Discord adapter tests (imported explicitly by the
test modules, not through conftest).

``running_bot`` starts the real discord.py client through the adapter's
``serve`` against :class:`~tests.fakes.discord_api.FakeDiscord` and, on the
way out, fails the test if the adapter recorded an exception (including
``tree.on_error``) or discord.py called a route the fake does not know.
Every wait has a short timeout so a hang fails instead of blocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.discord.runner import MentorbotClient, build_client, serve
from bot.core.types import Event, Outgoing, Reply
from tests.adapters.standin_inbox import StandInInbox
from tests.fakes.discord_api import TOKEN, FakeDiscord

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

MENTOR = "800000000000000001"
MENTEE = "800000000000000002"
STRANGER = "800000000000000003"
START_TIMEOUT = 5.0


@dataclass(frozen=True)
class Spec:
    """The registry entry shape the adapter reads (a stand-in CommandSpec)."""

    name: str
    description: dict[str, str] | None
    args: str | None = None
    where: frozenset[str] = frozenset({"dm", "group"})
    organiser_only: bool = False


class StandInRegistry:
    def __init__(self, specs: list[Spec]) -> None:
        self._specs = specs

    def all(self) -> list[Spec]:
        return list(self._specs)


@dataclass
class StandInCore(StandInInbox):
    """A tiny core: records events and answers with ``script(event)``."""

    script: Callable[[Event], Awaitable[list[Outgoing]] | list[Outgoing]]
    specs: list[Spec] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    transports: list[Any] = field(default_factory=list)
    unreachable: list[tuple[str, str]] = field(default_factory=list)
    outbox_runs: int = 0

    @property
    def commands(self) -> StandInRegistry:
        return StandInRegistry(self.specs)

    def add_transport(self, transport: Any) -> None:
        self.transports.append(transport)

    async def handle(self, event: Event) -> list[Outgoing]:
        self.events.append(event)
        result = self.script(event)
        if asyncio.iscoroutine(result):
            return await result
        return result  # type: ignore[return-value]

    async def deliver_outbox(self) -> None:
        self.outbox_runs += 1

    async def mark_unreachable(self, platform: str, chat_id: str) -> None:
        self.unreachable.append((platform, chat_id))


def reply_to(event: Event, reply: Reply) -> list[Outgoing]:
    return [Outgoing(event.address, reply)]


def settings_for(fake: FakeDiscord, **extra: Any) -> SimpleNamespace:
    """The settings fields the adapter reads (the real Settings has them all)."""
    return SimpleNamespace(
        discord_token=TOKEN,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        default_language="sv",
        **extra,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    server.add_user(MENTOR, "mentor", "Maria")
    server.add_user(MENTEE, "mentee", "Ali")
    server.add_user(STRANGER, "stranger", "Sam")
    await server.start()
    yield server
    await server.close()


@contextlib.asynccontextmanager
async def running_bot(
    core: Any, fake: FakeDiscord, settings: Any | None = None, **options: Any
) -> AsyncIterator[MentorbotClient]:
    """The adapter's ``serve`` on the real discord.py client, connected to the
    fake and ready; stopped and checked on exit."""
    settings = settings or settings_for(fake)
    options.setdefault("guild_ready_timeout", 0.05)
    client = build_client(core, settings, **options)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(core, settings, stop, client=client))
    try:
        await asyncio.wait_for(_ready(client, task), START_TIMEOUT)
        yield client
    finally:
        stop.set()
        await asyncio.wait_for(task, START_TIMEOUT)
    assert not client.errors, f"adapter errors: {client.errors!r}"
    assert not fake.unhandled, f"routes the fake does not know: {fake.unhandled}"


async def _ready(client: MentorbotClient, task: asyncio.Task[None]) -> None:
    while not client.is_ready():
        if task.done():
            task.result()
            raise AssertionError("the Discord client stopped before it was ready")
        await asyncio.sleep(0.01)


def db_path(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/t.db"
