# ruff: noqa: E402  (the imports after the sys.modules line below must stay after it)
"""Wiring: python-telegram-bot's Bot feeding the core through the inbox.

PTB's ``Application`` provides the Bot (request handling, the rate limiter);
the updates themselves do not go through its ``Updater``, which confirms an
update to Telegram before it is handled.  Polling and the webhook server are
our own (:mod:`adapters.telegram.intake`, :mod:`adapters.telegram.webhook`):
an update is stored in the core's inbox first, confirmed after, and handled
from there, fairly across senders.  State lives in the core's database, so
there is no ConversationHandler, JobQueue or persistence here.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

# PTB's own webhook server (its Updater's, on tornado) is never used here: our
# webhook server is aiohttp's (adapters.telegram.webhook).  PTB imports it,
# and tornado with it, whenever tornado is installed -- a twentieth of a
# second of every start.  A module set to None in ``sys.modules`` is one
# Python reports as missing, which PTB handles (its webhooks are then
# unavailable in this process); set before ``telegram.ext`` is first imported.
sys.modules.setdefault("telegram.ext._utils.webhookhandler", None)  # type: ignore[arg-type]

from telegram import Bot, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter
from telegram.request import HTTPXRequest

from adapters.telegram.intake import ALLOWED_UPDATES, CoreLike, TelegramIntake, poll
from adapters.telegram.ratelimit import ChatRateLimiter
from adapters.telegram.tls import context as tls_context
from adapters.telegram.translate import CommandSpecLike, command_menu
from adapters.telegram.transport import TelegramTransport
from bot.config import ConfigError, Settings
from bot.core.fairness import FairQueue
from bot.core.startup import with_retries

_log = logging.getLogger(__name__)

MENU_LANGUAGES = ("sv", "en")


def default_rate_limiter(settings: Settings | None = None) -> BaseRateLimiter[int]:
    """Telegram's published limits (the overall rate is configurable)."""
    overall = settings.telegram_rate_limit if settings is not None else 30
    return ChatRateLimiter(overall_max_rate=overall)


def build_application(
    core: CoreLike,
    settings: Settings,
    *,
    rate_limiter: BaseRateLimiter[int] | None = None,
    request_timeout: float = 15.0,
) -> Application:  # type: ignore[type-arg]
    """Build (not start) the Application and register its transport with the core."""
    if not settings.telegram_token:
        raise ValueError("telegram_token is required")
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .rate_limiter(rate_limiter or default_rate_limiter(settings))
        .updater(None)
        .job_queue(None)
    )
    if settings.telegram_webhook_url:
        builder = _over_aiohttp(builder, request_timeout)
    else:
        builder = _over_httpx(builder, request_timeout)
    if settings.telegram_api_url:
        api = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
    app = builder.build()
    core.add_transport(TelegramTransport(app.bot))
    return app


def _over_httpx(builder: Any, timeout: float) -> Any:
    """Long polling: PTB's own httpx requests (aiohttp stays unimported, so
    the polling start is not slowed by it).

    PTB's two HTTP clients (requests, getUpdates) would each build the TLS
    context httpx builds by default, reading the certificate store from disk
    every time; they share one instead (the same context, built once, on
    another thread while the start imports: :mod:`adapters.telegram.tls`)."""
    tls = {"verify": tls_context()}
    return builder.request(
        HTTPXRequest(
            connection_pool_size=64,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
            httpx_kwargs=tls,
        )
    ).get_updates_request(  # what ApplicationBuilder gives getUpdates when nothing is set
        HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls)
    )


def _over_aiohttp(builder: Any, timeout: float) -> Any:
    """Webhook mode: the Bot API requests over aiohttp, which the webhook
    server has imported anyway -- about 1-2 ms less CPU per request than
    httpx/httpcore/anyio (see :mod:`adapters.telegram.http`), and every
    answer, edit and message of an update is such a request."""
    from adapters.telegram.http import MEDIA_WRITE_TIMEOUT, AiohttpRequest

    def request(pool: int) -> AiohttpRequest:
        return AiohttpRequest(
            connection_pool_size=pool,
            read_timeout=timeout,
            write_timeout=timeout,
            connect_timeout=timeout,
            pool_timeout=timeout,
            media_write_timeout=max(timeout, MEDIA_WRITE_TIMEOUT),
        )

    return builder.request(request(64)).get_updates_request(request(1))


async def set_command_menus(
    bot: Bot, specs: Sequence[CommandSpecLike], default_language: str
) -> None:
    """The command menu per chat kind and language; the menu without a
    language code (for clients in other languages) is in the default language.

    The six requests are independent and go out together: one after the
    other, their round trips to Telegram would all come before ready.  The
    first failure is raised once every request has finished."""
    scopes = (
        ("dm", BotCommandScopeAllPrivateChats()),
        ("group", BotCommandScopeAllGroupChats()),
    )
    results = await asyncio.gather(
        *(
            bot.set_my_commands(
                command_menu(specs, lang or default_language, where),
                scope=scope,
                language_code=lang,
            )
            for where, scope in scopes
            for lang in (None, *MENU_LANGUAGES)
        ),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result


def webhook_path(url: str) -> str:
    """The path the local server listens on: the path of the public URL."""
    return urlsplit(url).path.lstrip("/")


async def serve(
    core: CoreLike,
    settings: Settings,
    stop: asyncio.Event,
    *,
    rate_limiter: BaseRateLimiter[int] | None = None,
    poll_timeout: float = 10.0,
    queue: FairQueue | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run the bot until ``stop`` is set: long polling, or a webhook server
    when a webhook URL is configured (requests without the secret are
    refused before their body is read).

    A token the Bot API rejects raises :class:`ConfigError` at once; a Bot API
    that does not answer is retried (``start_retries``) and then raises
    :class:`~bot.core.startup.Unavailable`.  ``on_ready`` is called once updates flow.

    Before ready, only what receiving needs: ``getMe`` (the token checked,
    the bot's name for group commands) and, for long polling, any webhook
    removed -- the two go out together, one round trip.  The command menus
    (six requests, a convenience) are set right after ready, beside the
    first updates.
    """
    app = build_application(core, settings, rate_limiter=rate_limiter)
    bot = app.bot
    unhook = None if settings.telegram_webhook_url else asyncio.ensure_future(bot.delete_webhook())
    await _initialize(app, settings, alongside=unhook)
    async with app:
        if unhook is not None:
            try:
                await unhook
            except TelegramError:  # sent while the Bot API did not answer yet: once more
                await bot.delete_webhook()
        intake = TelegramIntake(core, bot, queue)
        menus: list[asyncio.Task[None]] = []

        def ready() -> None:
            menus.append(asyncio.create_task(_set_menus(bot, core, settings), name="tg-menus"))
            if on_ready is not None:
                on_ready()

        try:
            if unhook is None:
                await _serve_webhook(bot, intake, settings, stop, ready)
            else:
                _log.info("Telegram adapter polling as @%s", bot.username)
                ready()
                await poll(bot, intake, stop, poll_seconds=poll_timeout)
        finally:
            for task in menus:
                task.cancel()
            await asyncio.gather(*menus, return_exceptions=True)
            await intake.close()


async def _set_menus(bot: Bot, core: CoreLike, settings: Settings) -> None:
    # the commands are the flows', which the core builds on first use (in the
    # warm-up thread after ready): waited for on a thread, the loop meanwhile
    # receives and handles updates
    specs = await asyncio.to_thread(lambda: core.commands.all())
    try:
        await set_command_menus(bot, specs, settings.default_language)
    except TelegramError as exc:  # a menu is a convenience, not a reason to stop
        _log.warning("could not set the Telegram command menus: %s", exc.message)


async def _serve_webhook(
    bot: Bot,
    intake: TelegramIntake,
    settings: Settings,
    stop: asyncio.Event,
    on_ready: Callable[[], None] | None = None,
) -> None:
    assert settings.telegram_webhook_url and settings.telegram_webhook_secret  # load_settings
    # aiohttp (about a third of a second to import) only in webhook mode:
    # long polling, the default, never needs it.
    from adapters.telegram.webhook import start_webhook

    runner = await start_webhook(
        bot,
        intake,
        host=settings.webhook_host,
        port=settings.webhook_port,
        path=webhook_path(settings.telegram_webhook_url),
        secret=settings.telegram_webhook_secret,
    )
    try:
        await bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        _log.info("Telegram adapter listening for webhooks as @%s", bot.username)
        if on_ready is not None:
            on_ready()
        await stop.wait()
    finally:
        await runner.cleanup()


async def _initialize(
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    *,
    alongside: asyncio.Future[Any] | None = None,
) -> None:
    """``getMe`` with bounded retries; a rejected token is a configuration
    error.  ``alongside`` (a request sent together with it) is cancelled
    when the start fails."""
    try:
        await with_retries(
            app.initialize,
            transient=(NetworkError,),
            retries=settings.start_retries,
            backoff=settings.start_backoff,
            setting="MENTORBOT_TELEGRAM_API_URL",
            what=f"the Telegram Bot API at {settings.telegram_api_url or 'api.telegram.org'}",
        )
    except InvalidToken:
        await _close(app, alongside)
        raise ConfigError(
            "MENTORBOT_TELEGRAM_TOKEN: the Bot API rejected the token (401 Unauthorized);"
            " copy it again from BotFather"
        ) from None
    except BaseException:
        await _close(app, alongside)
        raise


async def _close(app: Application, alongside: asyncio.Future[Any] | None = None) -> None:  # type: ignore[type-arg]
    """After a failed start: the Application was never initialised, so its
    own shutdown does nothing; the Bot's closes the HTTP sessions it opened."""
    if alongside is not None:
        alongside.cancel()
        await asyncio.gather(alongside, return_exceptions=True)
    await app.shutdown()
    await app.bot.shutdown()
