# ruff: noqa: ASYNC110, ASYNC240  (a benchmark may block its own loop between measurements)
"""5. Start-up: seconds from process start to ready, for ``python -m bot run``.

With a Telegram token against the fake Bot API and an existing SQLite
database (the first start, which creates and migrates it, is reported too).
"ready" is the ``mentorbot: ready`` line; "polling" is the moment the fake
server sees the first ``getUpdates``, when updates are actually received.
(The command menus are set right after ready, so neither counts them.)

The package's modules are compiled to bytecode first, as pip does when it
installs the wheel (``deploy/``): with ``PYTHONDONTWRITEBYTECODE`` set, as
here, a source tree whose ``.pyc`` files are stale would otherwise be
compiled again by every measured start.
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import adapters
import bot
from bench.stats import median, say
from tests.fakes.telegram_api import FakeTelegram


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/PID/stat): on a
    shared machine the wall time to ready also counts waiting for a core."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _once(fake: FakeTelegram, db: Path) -> tuple[float, float, float]:
    before = len(fake.calls_of("getupdates"))
    menus = len(fake.calls_of("setmycommands"))
    env = {
        **os.environ,
        "MENTORBOT_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "MENTORBOT_TELEGRAM_TOKEN": fake.token,
        "MENTORBOT_TELEGRAM_API_URL": fake.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=db.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    ready = polling = cpu = float("nan")
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        if b"ready" in line:
            ready = time.perf_counter() - started
            cpu = _cpu_seconds(proc.pid)
        deadline = time.perf_counter() + 60
        while len(fake.calls_of("getupdates")) <= before and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        polling = time.perf_counter() - started
        # the command menus go out right after ready: let them finish, so that
        # stopping the bot does not cut their requests off (not measured)
        while len(fake.calls_of("setmycommands")) < menus + 6 and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
    return ready, polling, cpu


def compile_package() -> None:
    """Bytecode for ``bot`` and ``adapters``, as an installed wheel has it."""
    for package in (bot, adapters):
        compileall.compile_dir(Path(str(package.__file__)).parent, quiet=1)


#: what the start imports, in the order a fresh process imports it here; a
#: library both stages use counts in the first (asyncio, typing_extensions).
#: pydantic is not among them: a start with plainly right settings over
#: unchanged content imports it only after ready (bot/config.py, bot/content.py)
IMPORT_STAGES = (
    # SQLite runs synchronously: the asyncio extension is PostgreSQL's only
    ("SQLAlchemy (ORM, SQLite)", "import sqlalchemy.orm, sqlalchemy.dialects.sqlite"),
    # without PTB's tornado webhook server, as adapters/telegram/runner.py imports it
    (
        "python-telegram-bot (with httpx)",
        "import sys; sys.modules.setdefault('telegram.ext._utils.webhookhandler', None);"
        " import telegram, telegram.ext",
    ),
    (
        "Mentorbot's own modules (settings, content, models, flows, CLI)",
        "import bot.cli; bot.cli.build_parser(organiser=False);"
        " import bot.app, adapters.telegram.runner",
    ),
)

#: with the garbage collector paused, as ``bot/__main__.py`` starts the bot
_STAGES_SCRIPT = """
import gc, json, sys, time
gc.disable()
stages = json.loads(sys.argv[1])
costs = {"Python itself (interpreter and site)": time.process_time()}
for name, code in stages:
    before = time.process_time()
    exec(code)
    costs[name] = time.process_time() - before
print(json.dumps(costs))
"""


def import_costs(runs: int = 3) -> dict[str, float]:
    """CPU seconds of each import stage of the start (median of fresh processes)."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _STAGES_SCRIPT, json.dumps(IMPORT_STAGES)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for name, value in json.loads(out).items():
            samples.setdefault(name, []).append(value)
    return {name: median(values) for name, values in samples.items()}


async def run_startup(workdir: Path, runs: int) -> dict[str, Any]:
    compile_package()
    db = workdir / "startup.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    async with FakeTelegram() as fake:
        first = await _once(fake, db)
        say("start-up", f"first start (creates the database): ready after {first[0]:.2f} s")
        ready, polling, cpu = [], [], []
        for i in range(runs):
            r, p, c = await _once(fake, db)
            ready.append(r)
            polling.append(p)
            cpu.append(c)
            say(
                "start-up",
                f"run {i + 1}/{runs}: ready {r:.2f} s ({c:.2f} s CPU), polling {p:.2f} s",
            )
    imports = import_costs()
    say(
        "start-up",
        "importing (CPU s): " + ", ".join(f"{k} {v:.2f}" for k, v in imports.items()),
    )
    return {
        "imports": imports,
        "first_ready": first[0],
        "first_polling": first[1],
        "ready": ready,
        "polling": polling,
        "ready_median": median(ready),
        "polling_median": median(polling),
        "cpu": cpu,
        "cpu_median": median(cpu),
    }
