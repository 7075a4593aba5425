"""``kill -9`` in the middle of delivering a batch of due messages, then a restart.

``mentorbot run`` runs as a real process against the fake Telegram or Discord
server in this process, on a database seeded with 200 due messages: 100
outbox rows and 100 jobs (``notice``) that each produce one message.  The bot
is killed twice, at points the fake chooses (see :mod:`tests.fakes.hold`):

1. while the 70th message is in flight: the platform has created it, the bot
   has not yet heard so, and so has not marked it sent;
2. between two messages: the 140th request is dropped before the platform
   sees it, after the 139th was answered and marked sent.

Each time, the test then lets the dead worker's claims run out (see
:func:`let_claims_run_out`) and starts the bot again on the same database.
The last run delivers the rest; the test compares what the platform
received with what was due, as a multiset of (chat, text).

* Discord: exactly once.  Outbox messages carry a nonce derived from the
  row's idempotency key with ``enforce_nonce``, so the resend of the message
  in flight returns the existing message and creates nothing.
* Telegram: nothing lost, and the only repeat is the message that was in
  flight at the first kill.  The Bot API has no idempotency key; marking
  before sending would lose that message instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import load_content
from bot.core.types import Address, Reply
from bot.store import outbox
from bot.store.db import Database, to_db
from bot.store.models import Job, OutboxMessage
from tests.conftest import database_url
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.hold import MessageHold
from tests.fakes.telegram_api import FakeTelegram
from tests.seeding import insert_people

PEOPLE = 200
IN_FLIGHT_AT = 70
BETWEEN_AT = 140
FIRST_TELEGRAM_USER = 600_000
FIRST_DISCORD_USER = 960_000_000_000_000_000
WELCOME = "basics.start.welcome"

#: (chat, text) of one message; chat is the Telegram chat id or the Discord user id
Message = tuple[str, str]

pytestmark = pytest.mark.slow


# -- the database ------------------------------------------------------------
async def seed(url: str, platform: str, chats: list[str]) -> Counter[Message]:
    """200 people with a private chat each: even ones have a message queued in
    the outbox, odd ones a due ``notice`` job.  Returns what must arrive."""
    content = load_content(DEFAULT_CONTENT_DIR)
    now = datetime.now(UTC) - timedelta(minutes=1)
    expected: Counter[Message] = Counter()
    db = Database(url)
    await db.upgrade()
    try:
        async with db.transaction() as s:
            await insert_people(s, platform, chats, now)
            for i, chat in enumerate(chats):
                user = chat.removeprefix("u")
                if i % 2 == 0:
                    text = f"Påminnelse {i}: ert möte är i morgon."
                    address = Address(platform, chat, None, "dm")
                    await outbox.enqueue(
                        s, address, Reply(text), now, person_id=i + 1, key=f"seed:{i}"
                    )
                else:
                    text = content.t("sv", WELCOME, name=f"P{i}")
                    s.add(
                        Job(
                            kind="notice",
                            due_at=to_db(now),
                            key=f"notice:{i}",
                            person_id=i + 1,
                            payload={"key": WELCOME, "params": {"name": f"P{i}"}},
                            attempts=0,
                        )
                    )
                expected[(user, text)] += 1
    finally:
        await db.dispose()
    return expected


async def let_claims_run_out(url: str) -> None:
    """What the passing of the claim time (2 minutes for outbox rows, 5 for
    jobs) does to a killed worker's claims, without waiting for it: they end.
    Nothing else changes; what was marked sent or done stays so."""
    past = to_db(datetime.now(UTC) - timedelta(seconds=1))
    db = Database(url)
    try:
        async with db.transaction() as s:
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.claimed_until.is_not(None))
                .values(claimed_until=past)
            )
            await s.execute(
                update(Job)
                .where(Job.done_at.is_(None), Job.claimed_until.is_not(None))
                .values(claimed_until=past)
            )
    finally:
        await db.dispose()


async def pending(url: str) -> tuple[int, int, int]:
    """(outbox rows not sent, jobs not done, outbox rows that failed)."""
    db = Database(url)
    try:
        async with db.sessions() as s:
            unsent = await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
            )
            undone = await s.scalar(
                select(func.count()).select_from(Job).where(Job.done_at.is_(None))
            )
            failed = await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.failed_at.is_not(None))
            )
    finally:
        await db.dispose()
    return int(unsent or 0), int(undone or 0), int(failed or 0)


async def outbox_rows(url: str) -> int:
    db = Database(url)
    try:
        async with db.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        await db.dispose()


# -- the process -------------------------------------------------------------
class BotProcess:
    """`mentorbot run` in a child process; its output goes to files in tmp_path."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            "MENTORBOT_SCHEDULER_INTERVAL": "0.2",
            "MENTORBOT_TELEGRAM_TOKEN": "",
            "MENTORBOT_DISCORD_TOKEN": "",
            **env,
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            self.env.pop(name, None)
        self.runs = 0
        self.proc: asyncio.subprocess.Process | None = None

    def log(self, run: int) -> str:
        return (self.tmp_path / f"run{run}.err").read_text()

    def logs(self) -> str:
        return "\n".join(self.log(n) for n in range(1, self.runs + 1))

    async def start(self) -> None:
        self.runs += 1
        with (
            (self.tmp_path / f"run{self.runs}.out").open("wb") as out,
            (self.tmp_path / f"run{self.runs}.err").open("wb") as err,
        ):
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.tmp_path,  # no stray .env from the developer's checkout
                env=self.env,
                stdout=out,
                stderr=err,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def until_held(self, hold: MessageHold, within: float = 60) -> None:
        """Wait until the fake holds the chosen request (failing if the bot dies first)."""
        assert self.proc is not None
        arrived = asyncio.create_task(hold.wait_arrived(within))
        exited = asyncio.create_task(self.proc.wait())
        await asyncio.wait({arrived, exited}, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        if not arrived.done():
            arrived.cancel()
            pytest.fail(f"mentorbot run exited early:\n{self.log(self.runs)[-3000:]}")
        arrived.result()  # raises TimeoutError if message `nth` never came

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no last commit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.proc.wait(), 10)
        assert self.proc.returncode == -signal.SIGKILL

    async def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@contextlib.asynccontextmanager
async def bot_process(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[BotProcess]:
    bot = BotProcess(tmp_path, env)
    try:
        yield bot
    finally:
        if bot.alive():
            assert bot.proc is not None
            bot.proc.kill()
            await bot.proc.wait()


async def crash_twice_and_finish(
    bot: BotProcess,
    url: str,
    hold_message: Callable[..., MessageHold],
    delivered: Callable[[], int],
) -> tuple[MessageHold, MessageHold]:
    """Kill the bot with the 70th message in flight, then between the 139th
    and the 140th, then let a third run finish.  Returns the two holds."""
    in_flight = hold_message(IN_FLIGHT_AT, accepted=True)
    await bot.start()
    await bot.until_held(in_flight)
    await bot.kill()
    in_flight.release()  # its answer goes nowhere; the message exists
    await let_claims_run_out(url)

    between = hold_message(BETWEEN_AT, accepted=False)
    await bot.start()
    await bot.until_held(between)
    await bot.kill()
    between.release()  # dropped: the 140th request never reached the platform
    await let_claims_run_out(url)

    await bot.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        unsent, undone, failed = await pending(url)
        if unsent == 0 and undone == 0 and delivered() >= PEOPLE:
            break
        assert failed == 0, bot.logs()[-3000:]
        assert bot.alive(), f"mentorbot run died:\n{bot.log(bot.runs)[-3000:]}"
        assert loop.time() < deadline, (
            f"not delivered in time: {unsent} unsent, {undone} jobs left\n{bot.logs()[-3000:]}"
        )
        await asyncio.sleep(0.1)
    await bot.stop()  # a clean stop: nothing is in flight any more
    assert bot.proc is not None and bot.proc.returncode == 0, bot.log(bot.runs)[-3000:]
    assert await outbox_rows(url) == PEOPLE  # one row per message, none queued twice
    return in_flight, between


# -- the tests -----------------------------------------------------------------
async def test_discord_sigkill_mid_batch_delivers_every_message_exactly_once(
    tmp_path: Path,
) -> None:
    fake = FakeDiscord()
    await fake.start()
    try:
        users = [str(FIRST_DISCORD_USER + i) for i in range(PEOPLE)]
        for i, user in enumerate(users):
            fake.add_user(user, f"p{i}")
        url = database_url(tmp_path)
        expected = await seed(url, "discord", ["u" + u for u in users])
        env = {
            "MENTORBOT_DATABASE_URL": url,
            "MENTORBOT_DISCORD_TOKEN": DISCORD_TOKEN,
            "MENTORBOT_DISCORD_API_URL": fake.api_url,
            "MENTORBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
        }
        async with bot_process(tmp_path, env) as bot:
            in_flight, between = await crash_twice_and_finish(
                bot, url, fake.hold_message, lambda: len(fake.created_messages())
            )
        user_of = {channel: user for user, channel in fake.dm_channels.items()}
        created = fake.created_messages()
        got = Counter((user_of[str(r.channel_id)], r.content) for r in created)
        logs = bot.logs()
    finally:
        await fake.close()

    assert expected - got == Counter()  # nothing lost
    assert got - expected == Counter()  # nothing twice
    # The resend of the message in flight at the first kill was answered with
    # the message Discord had already created: the nonce did it, not luck.
    (dedup,) = fake.deduplicated
    assert dedup.content == in_flight.request["content"]
    assert dedup.payload["nonce"] == in_flight.request["nonce"]
    # The request dropped at the second kill was sent again and created once.
    assert got[(user_of[between_channel(fake, between)], between.request["content"])] == 1
    nonces = [r.payload.get("nonce") for r in created]
    assert all(r.payload.get("enforce_nonce") is True for r in created)
    assert len(set(nonces)) == PEOPLE and all(n and len(str(n)) <= 25 for n in nonces)
    assert not fake.unhandled
    assert "Traceback" not in logs, logs[-3000:]


def between_channel(fake: FakeDiscord, hold: MessageHold) -> str:
    """The DM channel of the dropped request (the fake saw only its body)."""
    for r in fake.created_messages():
        if r.payload.get("nonce") == hold.request.get("nonce"):
            return str(r.channel_id)
    raise AssertionError("the dropped message never arrived")


async def test_telegram_sigkill_loses_nothing_and_repeats_only_the_message_in_flight(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as fake:
        chats = [str(FIRST_TELEGRAM_USER + i) for i in range(PEOPLE)]
        for i, chat in enumerate(chats):
            fake.known_chat(int(chat), f"P{i}")  # people who have talked to the bot
        url = database_url(tmp_path)
        expected = await seed(url, "telegram", chats)
        env = {
            "MENTORBOT_DATABASE_URL": url,
            "MENTORBOT_TELEGRAM_TOKEN": fake.token,
            "MENTORBOT_TELEGRAM_API_URL": fake.url,
            "MENTORBOT_TELEGRAM_RATE_LIMIT": "2000",
            "PTB_TIMEDELTA": "1",
        }
        async with bot_process(tmp_path, env) as bot:
            in_flight, between = await crash_twice_and_finish(
                bot, url, fake.hold_message, lambda: len(fake.calls_of("sendMessage"))
            )
        got = Counter((str(s.chat_id), s.text or "") for s in fake.sent if not s.is_edit)
        logs = bot.logs()

    in_flight_message = (str(in_flight.request["chat_id"]), str(in_flight.request["text"]))
    between_message = (str(between.request["chat_id"]), str(between.request["text"]))
    assert set(got) == set(expected)  # nothing lost, nothing else
    # Telegram created the message in flight at the first kill, and the bot,
    # never told, sent it again: the one repeat.  The kill between two
    # messages repeats nothing.
    assert got - expected == Counter({in_flight_message: 1})
    assert got[between_message] == 1
    assert sum(got.values()) == PEOPLE + 1
    assert "Traceback" not in logs, logs[-3000:]
