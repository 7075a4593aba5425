"""A bot process for the Telegram benchmark: Mentorbot or a bare echo bot.

``python -m bench.tg_worker mentorbot|echo`` with ``BENCH_API_URL``,
``BENCH_TOKEN`` (and ``MENTORBOT_DATABASE_URL`` for Mentorbot) in the
environment.  Both bots poll the same fake Bot API -- or, with
``BENCH_WEBHOOK_PORT`` set, listen for its webhook POSTs on that port (Mentorbot
with its own aiohttp server, the echo bot with python-telegram-bot's) -- with
the same rate limiter (effectively unlimited), the same 64 concurrent updates
and connection pool, and print one line ``done`` on stdout when an update is
fully handled, so the benchmark knows exactly when the last update is through.
``BENCH_PROFILE=path`` runs the bot under cProfile (stats in ``path.<kind>``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from typing import Any

from adapters.telegram.ratelimit import ChatRateLimiter

UNLIMITED = 100_000
WEBHOOK_PATH = "hook"
WEBHOOK_SECRET = "bench-secret"


def _webhook_port() -> int | None:
    port = os.environ.get("BENCH_WEBHOOK_PORT")
    return int(port) if port else None


def _done() -> None:
    sys.stdout.write("done\n")
    sys.stdout.flush()


def _limiter() -> ChatRateLimiter:
    """Unlimited, or the rates in ``BENCH_RATE`` (overall, per second) and
    ``BENCH_CHAT_RATE`` per ``BENCH_CHAT_PERIOD`` seconds (the fan-out bench)."""
    env = os.environ
    return ChatRateLimiter(
        overall_max_rate=float(env.get("BENCH_RATE", UNLIMITED)),
        chat_max_rate=float(env.get("BENCH_CHAT_RATE", UNLIMITED)),
        chat_time_period=float(env.get("BENCH_CHAT_PERIOD", 3)),
    )


async def mentorbot(stop: asyncio.Event) -> None:
    from adapters.telegram.runner import serve
    from bot.app import Core
    from bot.config import load_settings

    webhook: dict[str, Any] = {}
    port = _webhook_port()
    if port is not None:
        webhook = {
            "telegram_webhook_url": f"http://127.0.0.1:{port}/{WEBHOOK_PATH}",
            "telegram_webhook_secret": WEBHOOK_SECRET,
            "telegram_webhook_listen": f"127.0.0.1:{port}",
        }
    settings = load_settings(
        telegram_token=os.environ["BENCH_TOKEN"],
        telegram_api_url=os.environ["BENCH_API_URL"],
        **webhook,
    )
    core = await Core.open(settings)
    deliver = core.deliver_processed

    async def deliver_and_count(processed: Any, *, skip: Any = ()) -> None:
        # The adapter calls this last for every update it handled.
        await deliver(processed, skip=skip)
        _done()

    core.deliver_processed = deliver_and_count  # type: ignore[method-assign]
    try:
        await asyncio.gather(
            core.run_scheduler(stop),
            serve(core, settings, stop, rate_limiter=_limiter(), poll_timeout=10),
        )
    finally:
        await core.close()


async def echo(stop: asyncio.Event) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    api = os.environ["BENCH_API_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(os.environ["BENCH_TOKEN"])
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(_limiter())
        .concurrent_updates(64)
        .connection_pool_size(64)
        .job_queue(None)
        .build()
    )

    async def echo_text(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message: Any = update.message
        await message.reply_text(message.text)
        _done()

    app.add_handler(MessageHandler(filters.TEXT, echo_text))
    async with app:
        await app.start()
        assert app.updater is not None
        allowed = [Update.MESSAGE, Update.CALLBACK_QUERY]
        port = _webhook_port()
        if port is None:
            await app.updater.start_polling(timeout=timedelta(seconds=10), allowed_updates=allowed)
        else:
            await app.updater.start_webhook(
                listen="127.0.0.1",
                port=port,
                url_path=WEBHOOK_PATH,
                webhook_url=f"http://127.0.0.1:{port}/{WEBHOOK_PATH}",
                secret_token=WEBHOOK_SECRET,
                allowed_updates=allowed,
            )
        await stop.wait()
        await app.updater.stop()
        await app.stop()


async def main(kind: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await (mentorbot(stop) if kind == "mentorbot" else echo(stop))


def _run(kind: str) -> None:
    """Run the bot; with ``BENCH_PROFILE`` set, under cProfile, the stats
    written to that path when the bot stops (for the benchmark's profile)."""
    path = os.environ.get("BENCH_PROFILE")
    if not path:
        asyncio.run(main(kind))
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(main(kind))
    finally:
        profiler.disable()
        profiler.dump_stats(f"{path}.{kind}")


if __name__ == "__main__":
    _run(sys.argv[1])
