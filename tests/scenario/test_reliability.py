"""Reliability guarantees of the engine: input limits, log hygiene, a locked database."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.commands import CommandSpec
from bot.core.context import Ctx
from bot.store.models import Person
from tests.conftest import START
from tests.harness import Harness

SECRET = "min hemliga mening 4711"


async def test_a_flood_from_one_person_is_slowed_down_kindly(tmp_path: Path) -> None:
    h = await Harness.open(tmp_path, START, messages_per_minute=5)
    try:
        anna, bea = h.person("anna"), h.person("bea")
        answers = [[o.text for o in await anna.says("/help")] for _ in range(7)]
        assert all(len(a) == 1 and "/about" in a[0] for a in answers[:5])
        # One "slow down" a minute, then silence: a flood is not answered in kind.
        assert len(answers[5]) == 1 and "fortare än jag hinner med" in answers[5][0]
        assert answers[6] == []
        assert "/about" in (await bea.says("/help"))[0].text  # others are not affected
    finally:
        await h.close()


async def test_logs_hold_no_message_text(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    async def explode(ctx: Ctx, args: str) -> None:
        raise KeyError(args)  # an error whose message quotes the user's words

    h.core.commands.add(CommandSpec("explode", explode))
    anna = h.person("anna")
    with caplog.at_level(logging.DEBUG):
        await anna.says(SECRET)
        await anna.says(f"/explode {SECRET}")
        await anna.presses(f"agr:1:{SECRET}")
    assert "explode" in caplog.text or "KeyError" in caplog.text  # the failure is logged
    assert SECRET not in caplog.text


async def test_a_locked_database_does_not_lose_the_event(tmp_path: Path) -> None:
    db_file = tmp_path / "locked.db"
    h = await Harness.open(tmp_path, START, db_url=f"sqlite+aiosqlite:///{db_file}")
    try:
        anna = h.person("anna")
        await anna.says("/start")
        locked = threading.Event()

        def hold_lock() -> None:
            conn = sqlite3.connect(db_file, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            locked.set()
            time.sleep(1.5)
            conn.execute("COMMIT")
            conn.close()

        holder = threading.Thread(target=hold_lock)
        holder.start()
        await asyncio.to_thread(locked.wait)
        replies = await anna.says("/language en")
        holder.join()
        assert "English" in replies[0].text
        async with h.core.db.sessions() as s:
            person = await s.scalar(select(Person))
            assert person is not None and person.language == "en"
    finally:
        await h.close()
