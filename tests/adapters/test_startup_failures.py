"""``mentorbot run`` as a process: a start that cannot work ends at once, clearly.

Each case is what a service manager sees: a non-zero exit code (78 for
configuration a person must fix, 69 for a platform that never answered) and
at most three lines on the terminal, none of them a traceback.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MENTORBOT_") and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY")
    }
    return {
        **base,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "MENTORBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db",
        "MENTORBOT_START_RETRIES": "2",
        "MENTORBOT_START_BACKOFF": "0.1",
        **settings,
    }


async def _run(tmp_path: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run ``mentorbot run`` to its end; return the exit code and every line it wrote."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,  # no stray .env from the checkout
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = out.decode().strip().splitlines()
    assert proc.returncode is not None
    return proc.returncode, lines


def _assert_short(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert 1 <= len(lines) <= 3, text
    assert "Traceback" not in text, text
    assert "mentorbot: ready" not in text, text


async def test_a_token_the_bot_api_rejects_is_a_configuration_error(
    tg_fake: FakeTelegram, tmp_path: Path
) -> None:
    env = _env(
        tmp_path,
        MENTORBOT_TELEGRAM_TOKEN="999:wrong",  # the fake answers 401 to any other token
        MENTORBOT_TELEGRAM_API_URL=tg_fake.url,
    )
    code, lines = await _run(tmp_path, env)
    assert code == 78, lines
    _assert_short(lines)
    assert "MENTORBOT_TELEGRAM_TOKEN" in lines[-1] and "401" in lines[-1]
    assert "999:wrong" not in "\n".join(lines)  # the token is never printed
    assert len(tg_fake.calls_of("getMe")) == 0  # rejected before any method ran
    assert tg_fake.calls_of("getUpdates") == []


async def test_nothing_listening_at_the_bot_api_is_retried_then_fails(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    env = _env(tmp_path, MENTORBOT_TELEGRAM_TOKEN="123:abc", MENTORBOT_TELEGRAM_API_URL=url)
    code, lines = await _run(tmp_path, env)
    assert code == 69, lines
    _assert_short(lines)
    assert "MENTORBOT_TELEGRAM_API_URL" in lines[-1] and "after 3 attempt(s)" in lines[-1]
    assert sum("retrying in" in line for line in lines) == 2  # bounded: two retries


async def test_nothing_listening_at_the_discord_api_is_retried_then_fails(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/v10"
    env = _env(
        tmp_path,
        MENTORBOT_DISCORD_TOKEN="x.y.z",
        MENTORBOT_DISCORD_API_URL=url,
        MENTORBOT_DISCORD_GATEWAY_URL=url.replace("http", "ws"),
    )
    code, lines = await _run(tmp_path, env)
    assert code == 69, lines
    _assert_short(lines)
    assert "MENTORBOT_DISCORD_API_URL" in lines[-1]


async def test_an_unreachable_postgresql_names_the_database_url(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://mentor:secret@127.0.0.1:{_closed_port()}/mentorbot"
    env = _env(tmp_path, MENTORBOT_TELEGRAM_TOKEN="123:abc", MENTORBOT_DATABASE_URL=url)
    code, lines = await _run(tmp_path, env)
    assert code == 78, lines
    _assert_short(lines)
    assert "MENTORBOT_DATABASE_URL" in lines[-1]
    assert "secret" not in lines[-1]  # the password is masked


async def test_an_unwritable_sqlite_path_names_the_database_url(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the database's directory should be")
    env = _env(
        tmp_path,
        MENTORBOT_TELEGRAM_TOKEN="123:abc",
        MENTORBOT_DATABASE_URL=f"sqlite+aiosqlite:///{blocker}/mentorbot.db",
    )
    code, lines = await _run(tmp_path, env)
    assert code == 78, lines
    _assert_short(lines)
    assert "MENTORBOT_DATABASE_URL" in lines[-1] and "unable to open" in lines[-1]


async def test_a_misspelt_setting_warns_with_the_closest_name(
    tg_fake: FakeTelegram, tmp_path: Path
) -> None:
    env = _env(tmp_path, MENTORBOT_TELEGRAM_TOKN="123:abc", MENTORBOT_DATABASE_URL="nope://x")
    code, lines = await _run(tmp_path, env)
    assert code == 78, lines  # the bad URL stops it before the console would open
    warning = next(line for line in lines if "MENTORBOT_TELEGRAM_TOKN" in line)
    assert "did you mean MENTORBOT_TELEGRAM_TOKEN?" in warning
