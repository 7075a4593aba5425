"""The ``mentorbot`` command line: run, console, organiser commands, db, content.

Errors a person can fix (bad configuration, broken content, a wrong script
line) end with one clear message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config import (
    EXIT_CONFIG,
    EXIT_UNAVAILABLE,
    ConfigError,
    Settings,
    load_settings,
    settings_help,
    unknown_settings,
)
from bot.content import ContentError, check_content
from bot.wording import counted

if TYPE_CHECKING:
    from bot.app import Core

log = logging.getLogger("mentorbot")

Command = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(organiser=not _only_runs(words))
    args = parser.parse_args(words)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for warning in unknown_settings():
        print(f"mentorbot: warning: {warning}", file=sys.stderr)
    handler: Command = getattr(args, "handler", cmd_run)
    if handler is not cmd_run:
        resume_collecting()
    from bot.core.startup import Unavailable
    from bot.store.db import DatabaseUnavailable

    try:
        code = handler(args)
        sys.stdout.flush()  # a reader that went away (`| head`) shows here, not at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except (ConfigError, DatabaseUnavailable) as exc:
        log.debug("configuration error", exc_info=True)
        print(f"mentorbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except Unavailable as exc:
        print(f"mentorbot: unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except ContentError as exc:
        print("mentorbot: content errors:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def resume_collecting() -> None:
    """The garbage collector back on after a start that paused it
    (``bot/__main__.py``).  What the start built is kept for the process's
    life (modules, classes, the core): frozen, later collections skip it.
    The few thousand objects the start left unreachable are frozen with it
    rather than collected, which would hold the event loop for a tenth of a
    second or more right when updates begin to arrive."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _reader_gone() -> int:
    """Output piped into a reader that stopped reading (``| head``): stop
    quietly, as other command-line tools do, instead of printing a traceback.
    Python would try to flush stdout once more at exit, so it points at
    /dev/null from here on (as the Python docs advise)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a shell reports for such a pipe


def _only_runs(words: list[str]) -> bool:
    """``mentorbot run`` (or plain ``mentorbot``, ``-v`` allowed): the start
    parses its words without the organiser's commands, whose modules (and
    argparse's dozens of subparsers) only the other commands and ``--help``
    need; any other words get the whole parser, with its messages."""
    return [w for w in words if w not in ("-v", "--verbose")] in ([], ["run"])


def build_parser(*, organiser: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentorbot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser(
        "run",
        help="start every adapter whose token is set (else the console)",
        description="Start every adapter whose token is set; with none, the console chat."
        " Exit codes: 0 stopped by a signal, 78 configuration to fix (the line names the"
        " setting), 69 a platform did not answer at start, 1 any other failure.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.set_defaults(handler=cmd_run)

    console = sub.add_parser("console", help="local chat in the terminal, or run a script")
    console.add_argument("--script", type=Path, help="run this conversation script")
    console.add_argument("--now", help="simulated start time, e.g. 2026-11-25T10:00")
    console.add_argument("--tz", help="time zone of --now and of new people")
    console.add_argument("--database", help="database URL (scripts default to a fresh one)")
    console.set_defaults(handler=cmd_console)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--json", action="store_true")
    up.set_defaults(handler=cmd_db_upgrade)
    bk = db_sub.add_parser(
        "backup",
        help="a consistent copy while the bot runs (SQLite backup API, or pg_dump)",
    )
    bk.add_argument("path", type=Path, help="the new backup file")
    bk.set_defaults(handler=cmd_db_backup)

    content = sub.add_parser("content", help="content files")
    c_sub = content.add_subparsers(dest="content_command", required=True)
    check = c_sub.add_parser("check", help="validate content/ and name every problem")
    check.add_argument("--dir", type=Path, help="content directory (default: configured)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=cmd_content_check)

    if not organiser:
        return parser
    from bot import demo
    from bot.matching import cli as matching_cli
    from bot.organiser import invite_export, lifecycle_cli, programme_cli, report_cli, roster_cli

    programme_cli.add_commands(
        sub,
        program_extras=(lifecycle_cli.add_program_commands,),
        pair_extras=(lifecycle_cli.add_pair_commands,),
    )
    roster_cli.add_commands(sub)
    report_cli.add_commands(sub)
    invite_export.add_commands(sub)
    matching_cli.add_commands(sub)
    demo.add_commands(sub, build_parser)
    return parser


# -- run ---------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.telegram_token and not settings.discord_token:
        resume_collecting()
        return _console(settings, script=None, now=None)
    if settings.telegram_token and not settings.telegram_webhook_url:
        # long polling's TLS context, built on another core while the start
        # imports (the webhook mode's requests go over aiohttp, not httpx)
        from adapters.telegram.tls import prepare

        prepare()
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    from bot.app import Core
    from bot.core.startup import Unavailable

    core = await Core.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = asyncio.Event()
    tasks = [asyncio.create_task(_schedule_once_ready(core, started, stop), name="scheduler")]
    waiting = {
        name
        for name, token in (
            ("telegram", settings.telegram_token),
            ("discord", settings.discord_token),
        )
        if token
    }

    def ready(name: str) -> None:
        waiting.discard(name)
        if not waiting:
            print("mentorbot: ready", flush=True)
            started.set()
            resume_collecting()
            warm_up_later()

    warming: list[threading.Thread] = []

    def warm_up_later() -> None:
        """Build the flows (their modules and what they import: the start
        only needed to receive), then load dateparser's data, Babel's and the
        other lazily imported libraries, in a thread once the adapters listen
        (started earlier, the thread would compete with the start for the
        interpreter).  An event that comes first builds the flows itself, or
        waits for the thread to finish them.  A daemon thread: stopping never
        waits for it."""
        if not warming:
            warming.append(
                threading.Thread(target=_warm_up, args=(core,), name="warm-up", daemon=True)
            )
            warming[0].start()

    if settings.telegram_token:
        from adapters.telegram.runner import serve as serve_telegram

        tasks.append(
            asyncio.create_task(
                serve_telegram(core, settings, stop, on_ready=lambda: ready("telegram")),
                name="telegram",
            )
        )
    if settings.discord_token:
        from adapters.discord.runner import serve as serve_discord

        tasks.append(
            asyncio.create_task(
                serve_discord(core, settings, stop, on_ready=lambda: ready("discord")),
                name="discord",
            )
        )
    failure: BaseException | None = None
    stopper: asyncio.Task[Any] = asyncio.create_task(stop.wait())
    try:
        pending: set[asyncio.Task[Any]] = set(tasks)
        while pending and not stop.is_set():
            done, pending = await asyncio.wait(
                pending | {stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stopper)
            for task in done - {stopper}:
                error = None if task.cancelled() else task.exception()
                if error is not None and failure is None:
                    failure = error
                    stop.set()
                    if not isinstance(error, (ConfigError, Unavailable)):
                        log.error("%s stopped: %s", task.get_name(), error)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        resume_collecting()  # also when a start failed before ready
        stopper.cancel()
        await core.close()
    if isinstance(failure, (ConfigError, Unavailable)):
        raise failure  # main() prints it in one line with its exit code
    print("mentorbot: stopped", flush=True)
    return 1 if failure is not None else 0


def _warm_up(core: Core) -> None:
    """What the first events would otherwise pay, in the order they need it:
    the flows, the content's banks (validated with pydantic when the start
    took them unchanged from the cache), then the date grammars and the
    words' libraries."""
    core.flows.load()
    core.content.warm_up()
    from bot.time.parsing import warm_up

    warm_up()


async def _schedule_once_ready(core: Core, started: asyncio.Event, stop: asyncio.Event) -> None:
    """The scheduler, from the moment the adapters listen.  Its first tick is
    catching up (the jobs that fell due while the bot was down, what a dead
    worker left in the inbox, the outbox, moving old rows to the slim tables):
    begun at once, it ran in the gaps of the start's Bot API round trips and
    put its database work before ready, which never waited for it.  Ready
    still means what it meant: updates are received and handled."""
    go = asyncio.ensure_future(started.wait())
    halt = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({go, halt}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        go.cancel()
        halt.cancel()
    if not stop.is_set():
        await core.run_scheduler(stop)


# -- console -----------------------------------------------------------------
def cmd_console(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.tz:
        overrides["default_timezone"] = args.tz
    if args.database:
        overrides["database_url"] = args.database
    settings = load_settings(**overrides)
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            print(f"mentorbot: --now: not an ISO date and time: {args.now}", file=sys.stderr)
            return 2
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo(settings.default_timezone))
    if args.script is not None:
        if not args.script.is_file():
            print(f"mentorbot: --script: no such file: {args.script}", file=sys.stderr)
            return 2
        if not args.database:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                settings = load_settings(
                    **overrides, database_url=f"sqlite+aiosqlite:///{tmp}/script.db"
                )
                return _console(settings, script=args.script, now=now)
    return _console(settings, script=args.script, now=now)


def _console(settings: Settings, script: Path | None, now: datetime | None) -> int:
    from adapters.console.runner import run_interactive, run_script

    if script is not None:
        return asyncio.run(run_script(settings, script, now or datetime.now(UTC), build_parser))
    return asyncio.run(run_interactive(settings, now, build_parser))


# -- db and content ----------------------------------------------------------
def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.db import upgrade_url

    settings = load_settings()
    asyncio.run(upgrade_url(settings.database_url))
    if args.json:
        print(json.dumps({"upgraded": True, "database": _safe_url(settings.database_url)}))
    else:
        print(f"database is up to date: {_safe_url(settings.database_url)}")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    from bot.store.backup import BackupError, backup

    settings = load_settings()
    try:
        print(backup(settings.database_url, args.path))
    except BackupError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_content_check(args: argparse.Namespace) -> int:
    directory = args.dir or load_settings().content_dir
    problems = check_content(directory)
    if args.json:
        print(json.dumps([p.__dict__ for p in problems], ensure_ascii=False, indent=2))
    elif problems:
        for problem in problems:
            print(problem)
        print(f"{counted(len(problems), 'problem', 'problems')} in {directory}")
    else:
        print(f"content OK: {directory}")
    return 1 if problems else 0


def _safe_url(url: str) -> str:
    from bot.store.db import safe_url

    return safe_url(url)
