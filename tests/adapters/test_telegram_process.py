"""``mentorbot run`` as a separate process against the fake Bot API.

Only the environment configures it (token, API URL, database), as in
production; it must answer /start and stop cleanly on SIGINT and SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram

ADA = 777


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_mentorbot_run_answers_start_and_stops_on_signal(
    tg_fake: FakeTelegram, tmp_path: Path, sig: signal.Signals
) -> None:
    env = {
        **os.environ,
        "MENTORBOT_TELEGRAM_TOKEN": tg_fake.token,
        "MENTORBOT_TELEGRAM_API_URL": tg_fake.url,
        "MENTORBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db",
        "MENTORBOT_DISCORD_TOKEN": "",
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    }
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,  # no stray .env from the developer's checkout
            env=env,
            stdout=out,
            stderr=err,
        )
    try:
        polling = asyncio.create_task(tg_fake.wait_for_call("getUpdates", within=20))
        exited = asyncio.create_task(proc.wait())
        await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            polling.cancel()
            pytest.fail(f"mentorbot run exited early:\n{err_path.read_text()[-3000:]}")
        await polling
        tg_fake.inject_command(ADA, "start", first_name="Ada", language_code=None)
        welcome = await tg_fake.next_message(ADA, within=10)
        assert (welcome.text or "").startswith("Hej Ada!")

        proc.send_signal(sig)
        await asyncio.wait_for(exited, timeout=10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    stderr = err_path.read_text()
    assert proc.returncode == 0, stderr[-3000:]
    assert "mentorbot: stopped" in out_path.read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert tg_fake.token not in stderr  # request URLs carry the token: never logged
