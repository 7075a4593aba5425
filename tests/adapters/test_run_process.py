"""``mentorbot run`` as a process, after ``mentorbot: ready``: the first update
is answered and its state is in the database.

The start defers what it can (the garbage collector, PyYAML when the parsed
content is cached, libraries only some events use); "ready" must still mean
ready.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adapters.test_startup_failures import _env
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow

ADA = 4242


async def test_the_first_update_after_ready_is_answered_and_stored(
    tg_fake: FakeTelegram, tmp_path: Path
) -> None:
    env = _env(
        tmp_path, MENTORBOT_TELEGRAM_TOKEN=tg_fake.token, MENTORBOT_TELEGRAM_API_URL=tg_fake.url
    )
    for start in ("creates the database", "opens it"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line == b"mentorbot: ready\n", start
            # polling follows at once; the six command menus go out right after ready
            # (the fake counts the calls of both starts)
            await tg_fake.wait_for_call("getupdates", within=10)
            menus = 6 if start == "creates the database" else 12
            await tg_fake.wait_for_call("setmycommands", within=10, count=menus)
            if start == "creates the database":
                tg_fake.inject_command(ADA, "start", first_name="Ada", language_code=None)
                welcome = await tg_fake.next_message(ADA, within=20)
                assert welcome.text is not None and welcome.text.startswith("Hej Ada!")
            else:
                tg_fake.inject_command(ADA, "help")
                help_text = (await tg_fake.next_message(ADA, within=20)).text or ""
                assert "/start" in help_text
        finally:
            proc.terminate()
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, start
        assert b"mentorbot: stopped" in out
    with sqlite3.connect(tmp_path / "run.db") as db:
        names = [row[0] for row in db.execute("SELECT display_name FROM people")]
        handled = db.execute("SELECT count(*) FROM inbox WHERE handled_at IS NOT NULL")
        assert names == ["Ada"]
        assert handled.fetchone()[0] == 2
