"""Fixtures for the Telegram adapter tests (all named ``tg_*``).

They run the real python-telegram-bot Application against the fake Bot API
in ``tests/fakes/telegram_api.py``; every wait has a short timeout so a hang
fails a test instead of blocking the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.ratelimit import ChatRateLimiter
from adapters.telegram.runner import serve
from bot.config import Settings, load_settings
from bot.core.ports import FakeClock
from tests.adapters.standin_inbox import StandInInbox, settle
from tests.fakes.telegram_api import FakeTelegram

TG_TOKEN = "123:abc"


@dataclass(frozen=True)
class TgSpec:
    """A command spec shaped like the core's ``CommandSpec``."""

    name: str
    description: dict[str, str]
    where: frozenset[str] = frozenset({"dm", "group"})
    organiser_only: bool = False


@dataclass
class TgRunning:
    """A running adapter: the fake it talks to and how to stop it."""

    fake: FakeTelegram
    stop: asyncio.Event
    task: asyncio.Task[None]
    core: object = field(default=None)


@pytest.fixture
def tg_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables and the fake lives on 127.0.0.1; PTB_TIMEDELTA
    opts in to PTB 23's RetryAfter.retry_after type (the transport takes both)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def tg_fake(tg_env: None) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TG_TOKEN) as fake:
        yield fake


@pytest.fixture
def tg_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tg_settings(tmp_path: Path, tg_fake: FakeTelegram) -> Callable[..., Settings]:
    """Settings pointed at the fake, with a throw-away SQLite file."""

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path}/t.db",
            "telegram_token": TG_TOKEN,
            "telegram_api_url": tg_fake.url,
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def tg_fast_limiter() -> Callable[[], ChatRateLimiter]:
    """Rate limits fast enough for tests, still going through the limiter."""
    return lambda: ChatRateLimiter(
        overall_max_rate=1000, group_max_rate=1000, group_time_period=1, chat_max_rate=1000
    )


@pytest.fixture
async def tg_run(
    tg_fake: FakeTelegram, tg_fast_limiter: Callable[[], ChatRateLimiter]
) -> AsyncIterator[Callable[[object, Settings], Awaitable[TgRunning]]]:
    """Start ``serve`` in a task; it is stopped (with a timeout) after the test."""
    started: list[TgRunning] = []

    async def start(core: object, settings: Settings) -> TgRunning:
        stop = asyncio.Event()
        task = asyncio.create_task(
            serve(core, settings, stop, rate_limiter=tg_fast_limiter(), poll_timeout=2)  # type: ignore[arg-type]
        )
        running = TgRunning(tg_fake, stop, task, core)
        started.append(running)
        # Ready once polling is on (getUpdates) or the webhook is registered.
        method = "setwebhook" if settings.telegram_webhook_url else "getupdates"
        waiter = asyncio.create_task(tg_fake.wait_for_call(method, within=5))
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiter.cancel()
            task.result()  # raises what made serve fail
        await waiter
        return running

    yield start
    for running in started:
        running.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running.task, timeout=5)


class TgStandInCore(StandInInbox):
    """A tiny core with the real one's interface, for testing the wiring
    (delivery failures, edits, attachments) independently of the content."""

    def __init__(self, specs: list[TgSpec] | None = None) -> None:
        self.specs = specs or []
        self.transports: list[object] = []
        self.events: list[object] = []
        self.unreachable: list[tuple[str, str]] = []
        self.outbox: list[object] = []
        self.delivery_errors: list[object] = []

    @property
    def commands(self) -> TgStandInCore:
        return self

    def all(self) -> list[TgSpec]:
        return self.specs

    def add_transport(self, transport: object) -> None:
        self.transports.append(transport)

    async def handle(self, event: object) -> list[object]:
        from bot.core.types import Attachment, Choice, ChoiceIn, CommandIn, Outgoing, Reply

        self.events.append(event)
        address = event.address  # type: ignore[attr-defined]
        if isinstance(event, ChoiceIn):
            return [Outgoing(address, Reply(f"chose {event.choice_id}", replace=True))]
        if isinstance(event, CommandIn) and event.name == "file":
            doc = Attachment("agreement.txt", b"agreed", "text/plain")
            return [Outgoing(address, Reply("file", attachments=(doc,)))]
        if isinstance(event, CommandIn) and event.name == "secret":
            return [Outgoing(address, Reply("psst", private=True))]
        if isinstance(event, CommandIn) and event.name == "tell":
            partner = type(address)("telegram", event.args, kind="dm")
            self.outbox.append(Outgoing(partner, Reply("news")))
            return [Outgoing(address, Reply("told"))]
        if isinstance(event, CommandIn):
            choices = (Choice("c:yes", "Yes"), Choice("c:no", "No"))
            return [Outgoing(address, Reply(f"{event.name}|{event.args}", choices=choices))]
        return [Outgoing(address, Reply("echo"))]

    async def deliver_outbox(self) -> None:
        from bot.core.ports import DeliveryError

        while self.outbox:
            out = self.outbox.pop(0)
            try:
                await self.transports[0].send(out)  # type: ignore[attr-defined]
                settle(self.transports[0])
            except DeliveryError as err:
                settle(self.transports[0])
                self.delivery_errors.append(err)
                if err.permanent:
                    await self.mark_unreachable("telegram", out.address.chat_id)  # type: ignore[attr-defined]

    async def mark_unreachable(self, platform: str, chat_id: str) -> None:
        self.unreachable.append((platform, chat_id))


@pytest.fixture
def tg_standin() -> TgStandInCore:
    specs = [
        TgSpec("start", {"sv": "Börja här", "en": "Start here"}),
        TgSpec("help", {"sv": "Hjälp", "en": "Help"}),
        TgSpec("report", {"sv": "Rapport", "en": "Report"}, organiser_only=True),
    ]
    return TgStandInCore(specs)


TG_START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
async def tg_core(tg_settings: Callable[..., Settings]) -> AsyncIterator[Any]:
    """The real core on a temporary SQLite file and a fake clock."""
    from bot.app import Core  # imported here so translation tests never need the core

    core = await Core.open(tg_settings(), clock=FakeClock(TG_START))
    yield core
    await core.close()
