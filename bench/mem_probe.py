"""A Core process for the memory benchmark: open, run one tick, report RSS.

``python -m bench.mem_probe DATABASE_URL`` prints one JSON line: resident
memory (VmRSS, kB) after the imports, after ``Core.open``, after a scheduler
tick, the peak (VmHWM) and how many jobs the tick ran.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class CountingTransport:
    platform = "bench"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, out: object) -> None:
        self.sent += 1


async def main(url: str) -> None:
    from bench.seed import START
    from bot.app import Core
    from bot.config import load_settings
    from bot.core.ports import FakeClock

    after_import = status_kb("VmRSS")
    core = await Core.open(load_settings(database_url=url), FakeClock(START))
    transport = CountingTransport()
    core.add_transport(transport)
    after_open = status_kb("VmRSS")
    ran = await core.scheduler.tick()
    after_tick = status_kb("VmRSS")
    await core.close()
    print(
        json.dumps(
            {
                "rss_import_kb": after_import,
                "rss_open_kb": after_open,
                "rss_tick_kb": after_tick,
                "hwm_kb": status_kb("VmHWM"),
                "ran": ran,
                "sent": transport.sent,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
