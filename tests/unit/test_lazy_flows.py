"""The flows load on first use (or in the warm-up after ready), all together.

``mentorbot run`` is ready once it receives updates; the flow modules (and
matching, the organiser's lifecycle, agreements... that they import) load the
first time the core asks for a handler or a hook, or in the warm-up thread
right after ready.  Whatever the moment, the core sees every flow's
registrations, exactly what building them at once gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from bot.flows.catalogue import LazyFlows, build_flows
from bot.flows.registry import Flows

_FIELDS = [
    "choices",
    "texts",
    "jobs",
    "job_preloads",
    "member_joined",
    "group_complete",
    "code_redeem",
    "seat_ready",
    "export_person",
    "erase_person",
    "meeting_planned",
    "meeting_held",
    "meetings_stopping",
    "before_meeting",
]


def _shape(flows: Flows) -> dict[str, object]:
    """What a Flows registered: names, and the handlers' qualified names in order."""
    shape: dict[str, object] = {
        "commands": sorted((s.name, s.handler.__qualname__) for s in flows.commands.all())
    }
    for name in _FIELDS:
        value = getattr(flows, name)
        if isinstance(value, dict):
            shape[name] = sorted((k, v.__qualname__) for k, v in value.items())
        else:
            shape[name] = [h.__qualname__ for h in value]
    return shape


def test_lazy_flows_register_exactly_what_building_them_gives() -> None:
    lazy = LazyFlows()
    assert not lazy.loaded
    assert _shape(lazy) == _shape(build_flows())
    assert lazy.loaded
    # every registry of the engine and the scheduler is there, and not empty
    assert lazy.choices and lazy.texts and lazy.jobs and lazy.commands.all()


def test_a_reader_on_another_thread_sees_everything_or_waits() -> None:
    lazy = LazyFlows()
    expected = _shape(build_flows())
    seen: list[dict[str, object]] = []
    barrier = threading.Barrier(4)

    def read() -> None:
        barrier.wait()
        seen.append(_shape(lazy))

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    barrier.wait()
    lazy.load()
    for thread in threads:
        thread.join()
    assert seen == [expected] * 3


def test_an_unknown_attribute_builds_nothing() -> None:
    lazy = LazyFlows()
    assert not hasattr(lazy, "no_such_registry")
    assert not lazy.loaded


# The core as `mentorbot run` opens it: no flow module until a flow is asked
# for; then the command descriptions come from the content, as before.
_OPEN = """
import asyncio, json, sys
from bot.app import Core
from bot.config import load_settings

async def main():
    core = await Core.open(load_settings())
    prefixes = ("bot.flows.", "bot.matching", "bot.organiser")
    before = sorted(m for m in sys.modules if m.startswith(prefixes))
    spec = core.commands.get("help")
    after = "bot.flows.basics" in sys.modules and "bot.flows.onboarding" in sys.modules
    await core.close()
    return before, spec.description["en"], after

before, described, after = asyncio.run(main())
print(json.dumps([before, described, after]))
"""


def test_the_opened_core_imports_the_flows_on_first_use(tmp_path: Path) -> None:
    env = {**os.environ, "MENTORBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/f.db"}
    runs = [  # the first creates the database (its migrations import every model)
        subprocess.run(
            [sys.executable, "-c", _OPEN], capture_output=True, text=True, check=True, env=env
        ).stdout
        for _ in range(2)
    ]
    before, described, after = json.loads(runs[1].strip().splitlines()[-1])
    assert before == ["bot.flows.catalogue", "bot.flows.registry"]
    assert described and after


def test_the_warm_up_builds_the_flows_and_validates_the_banks() -> None:
    import bot.cli
    from bot.config import load_settings
    from bot.content import load_content

    class Stand:
        flows = LazyFlows()
        content = load_content(load_settings().content_dir)

    calls: list[str] = []
    original = Stand.content.warm_up

    def banks() -> None:
        calls.append("banks")
        original()

    Stand.content.warm_up = banks  # type: ignore[method-assign]
    import bot.time.parsing

    saved = bot.time.parsing.warm_up
    bot.time.parsing.warm_up = lambda: calls.append("time")  # type: ignore[assignment]
    try:
        bot.cli._warm_up(Stand)  # type: ignore[arg-type]
    finally:
        bot.time.parsing.warm_up = saved  # type: ignore[assignment]
    assert Stand.flows.loaded and calls == ["banks", "time"]
    assert Stand.content.coaching.questions  # validated
