"""``mentorbot demo``: try the bot in the terminal as a mentee, in ten seconds.

It seeds a small programme on a fresh scratch database (nothing touches
``mentorbot.db``): the mentor Anna has already joined, and you are Me, the
mentee, whose invite is redeemed for you, so the conversation starts at once.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bot.config import load_settings

DEMO_DAYS = 180


def add_commands(sub: Any, parser: Callable[[], argparse.ArgumentParser]) -> None:
    """``parser`` builds the CLI's parser, for the organiser lines of the set-up
    (passed in: this module must not import ``bot.cli``, which imports it)."""
    demo = sub.add_parser(
        "demo",
        help="a demo programme in the console: you are a mentee, Anna your mentor",
        description=__doc__,
    )
    demo.add_argument("--database", help="keep the demo in this database URL (default: scratch)")
    demo.set_defaults(handler=cmd_demo, parser_factory=parser)


def prelude(today: date) -> list[str]:
    """Console lines that set the demo up: a programme, a pair, and Anna joined.

    Anna presses the first button at each onboarding step (her language, yes
    to the time zone, understood, yes to the privacy notice)."""
    end = today + timedelta(days=DEMO_DAYS)
    return [
        f'$ program create --name "Demo" --slug demo --start {today} --end {end}',
        "$ pair create --program demo --mentor Anna --mentee Me",
        "@anna /start {code:Anna}",
        *["@anna [1]"] * 4,
    ]


def cmd_demo(args: argparse.Namespace) -> int:
    from adapters.console.runner import run_interactive

    opening = ["@me /start {code:Me}"]
    if args.database:
        settings = load_settings(database_url=args.database)
        return asyncio.run(
            run_interactive(
                settings,
                None,
                args.parser_factory,
                prelude=prelude(date.today()),
                opening=opening,
                greeting="console.demo",
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp}/demo.db")
        return asyncio.run(
            run_interactive(
                settings,
                None,
                args.parser_factory,
                prelude=prelude(date.today()),
                opening=opening,
                greeting="console.demo",
            )
        )
