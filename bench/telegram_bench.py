"""2. End to end through the Telegram adapter, against the fake Bot API.

The fake server (``tests/fakes/telegram_api.py``) runs in this process; the
bot runs in its own process (``bench.tg_worker``), so each has a core of this
two-core machine.  Mentorbot gets the pair script of the core benchmark
(onboarding, agreement, rhythm, booking, /help) as real Telegram updates:
step k for every pair is injected at once, and the step is over when the bot
has fully handled every update of it.  The echo bot then gets exactly as many
text messages in bursts of the same size.  Both bots: same fake server, same
rate limiter (effectively unlimited), 64 concurrent updates.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.driver import BUTTON, PHASE_A
from bench.stats import say
from bot.app import Core
from bot.config import load_settings
from bot.organiser.programmes import add_organiser, create_group, create_programme
from tests.fakes.telegram_api import FakeTelegram

FIRST_USER = 2_000_000
STEP_TIMEOUT = 120.0
TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Worker:
    """A bot process and the count of updates it reported done."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.done = 0
        self.last_done = 0.0
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, kind: str, env: dict[str, str], log: Path) -> Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.tg_worker",
            kind,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=log.open("wb"),
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                self._changed.set()
                return
            if line.strip() == b"done":
                self.done += 1
                self.last_done = time.perf_counter()
                self._changed.set()

    async def wait_done(self, target: int, within: float) -> bool:
        deadline = time.perf_counter() + within
        while self.done < target:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or self.proc.returncode is not None:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        await self._reader


class Keyboards:
    """The inline keyboards each chat currently shows, followed from what the bot sent."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.seen = 0
        self.by_chat: dict[int, dict[int, Any]] = defaultdict(dict)

    def find(self, chat: int, label: str) -> tuple[int, str] | None:
        for sent in self.fake.sent[self.seen :]:
            self.by_chat[sent.chat_id][sent.message_id] = sent.reply_markup
        self.seen = len(self.fake.sent)
        wanted = label.casefold()
        for message_id in sorted(self.by_chat[chat], reverse=True):
            markup = self.by_chat[chat][message_id] or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if button["text"].casefold().startswith(wanted):
                        return message_id, button["callback_data"]
        return None


async def _seed(url: str, pairs: int) -> list[tuple[str, str]]:
    """A programme with ``pairs`` pairs; returns (mentor code, mentee code) per pair."""
    core = await Core.open(load_settings(database_url=url))
    try:
        now = core.clock.now()
        codes = []
        async with core.db.transaction() as s:
            from datetime import timedelta

            programme = await create_programme(
                s,
                now,
                name="Bench Telegram",
                slug="tg",
                start=now.date(),
                end=now.date() + timedelta(days=183),
                goal="Stötta kvinnor som doktorerar i STEM",
            )
            await add_organiser(s, programme, "Olga", now, 30)
            for i in range(pairs):
                _g, invites = await create_group(
                    s, programme, "pair", f"Anna{i}", [f"Bea{i}"], now, 30
                )
                by_role = {inv.role: inv.code for inv in invites}
                codes.append((by_role["mentor"], by_role["mentee"]))
        return codes
    finally:
        await core.close()


def _env(fake: FakeTelegram, url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "BENCH_API_URL": fake.url,
        "BENCH_TOKEN": fake.token,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if url:
        env["MENTORBOT_DATABASE_URL"] = url
    return env


async def _wait_polling(fake: FakeTelegram, worker: Worker) -> None:
    deadline = time.perf_counter() + 60
    while not fake.calls_of("getupdates"):
        if worker.proc.returncode is not None or time.perf_counter() > deadline:
            raise RuntimeError("the bot process did not start polling")
        await asyncio.sleep(0.05)


async def _measure(
    fake: FakeTelegram, worker: Worker, steps: list[list[dict[str, Any]]], label: str
) -> dict[str, Any]:
    """Inject each step's updates at once and wait until all are handled."""
    busy = 0.0
    updates = 0
    incomplete = 0
    cpu_self, cpu_bot = _self_cpu(), _proc_cpu(worker.proc.pid)
    for k, step in enumerate(steps):
        if not step:
            continue
        target = worker.done + len(step)
        started = time.perf_counter()
        for update in step:
            fake.inject_update(update)
        ok = await worker.wait_done(target, STEP_TIMEOUT)
        if not ok:
            incomplete += target - worker.done
            say(label, f"step {k + 1}: {target - worker.done} update(s) not handled in time")
            busy += time.perf_counter() - started
        else:
            busy += worker.last_done - started
        updates += len(step)
        if len(steps) > 1 and ((k + 1) % 8 == 0 or k + 1 == len(steps)):
            say(label, f"step {k + 1}/{len(steps)}: {updates} updates, {updates / busy:.0f}/s")
    return {
        "updates": updates,
        "seconds": busy,
        "per_second": updates / busy if busy else 0.0,
        "incomplete": incomplete,
        "cpu_fake": (_self_cpu() - cpu_self) / busy if busy else 0.0,
        "cpu_bot": (_proc_cpu(worker.proc.pid) - cpu_bot) / busy if busy else 0.0,
    }


async def _mentorbot(workdir: Path, pairs: int) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{workdir}/telegram.db"
    codes = await _seed(url, pairs)
    async with FakeTelegram() as fake:
        worker = await Worker.start("mentorbot", _env(fake, url), workdir / "mentorbot.log")
        try:
            await _wait_polling(fake, worker)
            keyboards = Keyboards(fake)
            users = [(FIRST_USER + 2 * i, FIRST_USER + 2 * i + 1) for i in range(pairs)]
            names = {uid: (f"Anna{i}", f"Bea{i}") for i, uid in enumerate(u for u, _ in users)}
            missing = 0
            # Steps depend on the bot's answers to the step before, so they are
            # built one at a time, right before they are injected.
            steps_done: list[dict[str, Any]] = []
            busy_total: dict[str, Any] = {
                "updates": 0,
                "seconds": 0.0,
                "incomplete": 0,
                "cpu_fake_s": 0.0,
                "cpu_bot_s": 0.0,
            }
            for k, (role, action) in enumerate(PHASE_A):
                step = []
                for i, (mentor, mentee) in enumerate(users):
                    uid = mentor if role == "m" else mentee
                    name = names[mentor][0 if role == "m" else 1]
                    code = codes[i][0 if role == "m" else 1]
                    update = _update(fake, keyboards, uid, name, action.replace("{code}", code))
                    if update is None:
                        missing += 1
                    else:
                        step.append(update)
                result = await _measure(fake, worker, [step], f"telegram mentorbot {k + 1}")
                busy_total["updates"] += result["updates"]
                busy_total["seconds"] += result["seconds"]
                busy_total["incomplete"] += result["incomplete"]
                busy_total["cpu_fake_s"] += result["cpu_fake"] * result["seconds"]
                busy_total["cpu_bot_s"] += result["cpu_bot"] * result["seconds"]
                steps_done.append({"size": len(step)})
                if (k + 1) % 8 == 0 or k + 1 == len(PHASE_A):
                    rate = busy_total["updates"] / busy_total["seconds"]
                    say("telegram mentorbot", f"step {k + 1}/{len(PHASE_A)}: {rate:.0f} updates/s")
            secs = busy_total["seconds"]
            return {
                "updates": busy_total["updates"],
                "seconds": secs,
                "per_second": busy_total["updates"] / secs if secs else 0.0,
                "incomplete": busy_total["incomplete"],
                "missing_buttons": missing,
                "cpu_fake": busy_total["cpu_fake_s"] / secs if secs else 0.0,
                "cpu_bot": busy_total["cpu_bot_s"] / secs if secs else 0.0,
                "api_calls": len(fake.calls) - len(fake.calls_of("getupdates")),
                "steps": [s["size"] for s in steps_done],
            }
        finally:
            await worker.stop()


def _update(
    fake: FakeTelegram, keyboards: Keyboards, uid: int, name: str, action: str
) -> dict[str, Any] | None:
    """The update payload for a script action (not yet injected)."""
    button = BUTTON.match(action)
    if button:
        found = keyboards.find(uid, button["label"])
        if found is None:
            return None
        message_id, data = found
        message = fake._messages[(uid, message_id)]
        return {
            "callback_query": {
                "id": str(next(fake._ids)),
                "from": fake.user(uid, name, "sv"),
                "message": message,
                "chat_instance": str(uid),
                "data": data,
            }
        }
    chat = {"id": uid, "type": "private", "first_name": name}
    fake._chats[uid] = chat
    message: dict[str, Any] = {
        "message_id": next(fake._message_ids[uid]),
        "date": int(time.time()),
        "chat": chat,
        "from": fake.user(uid, name, "sv"),
        "text": action,
    }
    if action.startswith("/"):
        head = action.split(" ", 1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(head)}]
    return {"message": message}


async def _echo(workdir: Path, sizes: list[int]) -> dict[str, Any]:
    async with FakeTelegram() as fake:
        worker = await Worker.start("echo", _env(fake, None), workdir / "echo.log")
        try:
            await _wait_polling(fake, worker)
            steps = []
            for k, size in enumerate(sizes):
                step = []
                for i in range(size):
                    uid = FIRST_USER + i
                    step.append(_update(fake, Keyboards(fake), uid, f"P{i}", f"hej {k}"))
                steps.append([u for u in step if u is not None])
            return await _measure(fake, worker, steps, "telegram echo")
        finally:
            await worker.stop()


async def run_telegram(workdir: Path, *, pairs: int) -> dict[str, Any]:
    say("telegram", f"Mentorbot: {pairs} pairs through the pair script ({len(PHASE_A)} steps)")
    mentorbot = await _mentorbot(workdir, pairs)
    say("telegram", "bare echo bot: the same number of updates in bursts of the same size")
    echo = await _echo(workdir, mentorbot["steps"])
    return {
        "pairs": pairs,
        "mentorbot": mentorbot,
        "echo": echo,
        "ratio": mentorbot["per_second"] / echo["per_second"] if echo["per_second"] else 0.0,
    }
