"""Wiring: a python-telegram-bot Application that feeds the core.

One handler sees every update: translate, answer a pressed button at once
(so the client stops spinning), let the core handle the event in one
transaction, send the direct replies, then let the core deliver what it
queued for other people.  State lives in the core's database, so there is no
ConversationHandler, JobQueue or persistence here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from adapters.telegram.ratelimit import ChatRateLimiter
from adapters.telegram.translate import PLATFORM, CommandSpecLike, command_menu, update_to_event
from adapters.telegram.transport import UNREACHABLE_REASONS, TelegramTransport
from bot.config import Settings
from bot.core.ports import DeliveryError, Transport
from bot.core.types import Address, Event, Outgoing

_log = logging.getLogger(__name__)

#: Only what the translation understands; everything else Telegram keeps.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MENU_LANGUAGES = ("sv", "en")


class _Registry(Protocol):
    def all(self) -> Sequence[CommandSpecLike]: ...


class CoreLike(Protocol):
    """What the adapter needs from ``bot.app.Core`` (structural, so tests can
    use a small stand-in and the adapter never imports the core's internals)."""

    @property
    def commands(self) -> _Registry: ...

    def add_transport(self, transport: Transport) -> None: ...

    async def handle(self, event: Event) -> list[Outgoing]: ...

    async def note_sent(self, out: Outgoing, ref: str | None) -> None: ...

    async def deliver_outbox(self) -> None: ...

    async def mark_unreachable(self, platform: str, chat_id: str) -> None: ...


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within one.

    Sequential processing would make every user wait for every other user's
    rate-limited replies; fully concurrent processing would let two quick
    taps of one person race on the same dialog state.  Updates of one user
    (or one group) are therefore serialised by a lock per key.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _serial_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


#: Telegram shows at most 200 characters in a callback answer
ALERT_LIMIT = 200


def _serial_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


class UpdateHandler:
    """The one callback: native update in, neutral event to the core, replies out."""

    def __init__(self, core: CoreLike, transport: TelegramTransport) -> None:
        self._core = core
        self._transport = transport

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        event = update_to_event(update, context.bot.username)
        in_group = event is not None and event.address.kind == "group"
        if query is not None and not in_group:
            await _answer(query)  # at once: the spinner on the button stops
        if event is None:
            if query is not None:
                await _answer(query)
            return
        replies = await self._core.handle(event)
        if query is not None and in_group:
            # A press in a group is answered after the core, so that a private
            # answer ("that button is someone else's") shows as an alert only
            # the presser sees, like Discord's ephemeral replies.
            alert, replies = _private_alert(replies, event)
            await _answer(query, alert)
        await self.send_replies(event, replies, _pressed_message_id(update))
        await self._core.deliver_outbox()

    async def send_replies(
        self, event: Event, replies: Sequence[Outgoing], pressed_message_id: int | None
    ) -> None:
        """Send the direct replies in order.  The first reply that asks to
        replace edits the pressed message; a permanent failure toward one
        chat skips the rest for that chat and tells the core."""
        edit_id = pressed_message_id
        dead: set[str] = set()
        for out in replies:
            out = _route_private(out, event)
            if out.address.chat_id in dead:
                continue
            same_chat = out.address.chat_id == event.address.chat_id
            try:
                sent_id = await self._transport.send_reply(
                    out, edit_message_id=edit_id if (same_chat and out.reply.replace) else None
                )
            except DeliveryError as err:
                _log.warning("direct reply not delivered: %s", err.reason)
                if err.permanent:
                    dead.add(out.address.chat_id)
                    if err.reason in UNREACHABLE_REASONS:
                        await self._core.mark_unreachable(PLATFORM, out.address.chat_id)
                continue
            if out.reply.question is not None and sent_id is not None:
                await self._core.note_sent(out, str(sent_id))
            if same_chat and out.reply.replace:
                edit_id = None


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    try:
        await query.answer(text=text, show_alert=bool(text))
    except TelegramError as exc:  # too old, or already answered
        _log.info("could not answer a callback query: %s", exc.message)


def _private_alert(replies: Sequence[Outgoing], event: Event) -> tuple[str | None, list[Outgoing]]:
    """Take the first short, plain private reply to the group as the alert text."""
    for n, out in enumerate(replies):
        reply = out.reply
        if (
            reply.private
            and out.address.chat_id == event.address.chat_id
            and not reply.choices
            and not reply.attachments
            and len(reply.text) <= ALERT_LIMIT
        ):
            return reply.text, [*replies[:n], *replies[n + 1 :]]
    return None, list(replies)


def _pressed_message_id(update: Update) -> int | None:
    query = update.callback_query
    if query is None or query.message is None:
        return None
    return query.message.message_id


def _route_private(out: Outgoing, event: Event) -> Outgoing:
    """Telegram has no message only one group member sees, so a private
    answer to something said in a group goes to the sender's private chat."""
    if not out.reply.private or out.address.kind != "group":
        return out
    if out.address.chat_id != event.address.chat_id:
        return out
    dm = Address(platform=PLATFORM, chat_id=event.actor.user_id, kind="dm")
    return Outgoing(address=dm, reply=out.reply)


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
        .concurrent_updates(PerChatUpdateProcessor())
        .job_queue(None)
        .connect_timeout(request_timeout)
        .read_timeout(request_timeout)
        .write_timeout(request_timeout)
        .pool_timeout(request_timeout)
        .connection_pool_size(64)
    )
    if settings.telegram_api_url:
        api = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
    app = builder.build()
    transport = TelegramTransport(app.bot)
    core.add_transport(transport)
    app.add_handler(TypeHandler(Update, UpdateHandler(core, transport)))
    app.add_error_handler(_log_error)
    return app


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log failures without the update itself: logs hold no message text."""
    update_id = update.update_id if isinstance(update, Update) else None
    _log.error("failed to handle Telegram update %s", update_id, exc_info=context.error)


async def set_command_menus(
    bot: Bot, specs: Sequence[CommandSpecLike], default_language: str
) -> None:
    """The command menu per chat kind and language; the menu without a
    language code (for clients in other languages) is in the default language."""
    scopes = (
        ("dm", BotCommandScopeAllPrivateChats()),
        ("group", BotCommandScopeAllGroupChats()),
    )
    for where, scope in scopes:
        for lang in (None, *MENU_LANGUAGES):
            menu = command_menu(specs, lang or default_language, where)
            await bot.set_my_commands(menu, scope=scope, language_code=lang)


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
) -> None:
    """Run the bot until ``stop`` is set: long polling, or a webhook server
    when a webhook URL is configured (requests without the secret are refused
    by PTB with 403)."""
    app = build_application(core, settings, rate_limiter=rate_limiter)
    async with app:
        try:
            await set_command_menus(app.bot, core.commands.all(), settings.default_language)
        except TelegramError as exc:  # a menu is a convenience, not a reason to stop
            _log.warning("could not set the Telegram command menus: %s", exc.message)
        await app.start()
        updater = app.updater
        assert updater is not None  # the builder always makes one
        try:
            if settings.telegram_webhook_url:
                await updater.start_webhook(
                    listen=settings.webhook_host,
                    port=settings.webhook_port,
                    url_path=webhook_path(settings.telegram_webhook_url),
                    webhook_url=settings.telegram_webhook_url,
                    secret_token=settings.telegram_webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                await updater.start_polling(
                    timeout=timedelta(seconds=poll_timeout), allowed_updates=ALLOWED_UPDATES
                )
            _log.info("Telegram adapter running as @%s", app.bot.username)
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
