"""Sending neutral replies through the Bot API.

Texts go out without a parse mode, so nothing a person typed (and the core
echoes back) can break a message.  Telegram errors become
:class:`~bot.core.ports.DeliveryError` so the core decides about retries and
unreachable people without knowing Telegram: a 429 is waited out here and
never dropped; a blocked bot or a vanished chat is permanent; network
trouble is transient.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, InputFile
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from adapters.telegram.ratelimit import HOLD_UNTIL_SETTLED
from adapters.telegram.translate import PLATFORM, reply_keyboard
from bot.core.ports import DeliveryError
from bot.core.types import Attachment, Outgoing

_log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)

#: ``DeliveryError.reason`` values, so the core can tell "this person is
#: gone" (blocked, chat_not_found) from "Telegram refused this message".
BLOCKED = "blocked"
CHAT_NOT_FOUND = "chat_not_found"
REJECTED = "rejected"
RATE_LIMITED = "rate_limited"
NETWORK = "network"
UNREACHABLE_REASONS = frozenset({BLOCKED, CHAT_NOT_FOUND})

_CHAT_GONE = ("chat not found", "user not found", "peer_id_invalid", "group chat was deactivated")
_UNCHANGED = "message is not modified"


class TelegramTransport:
    """The :class:`bot.core.ports.Transport` for Telegram.

    ``max_flood_waits`` bounds how many 429s in a row one message waits out
    here (on top of the rate limiter's own retries) before the error goes to
    the core as transient, so the outbox retries later instead of a worker
    sleeping forever.

    ``lanes``: how many chats the outbox may send to at once.  Requests still
    go one at a time through the send gate; the lanes only let one chat wait
    for its per-chat pace while the others go on (see ``bot.core.delivery``).
    """

    platform = PLATFORM
    #: default for ``lanes``: more chats than a second of the overall rate
    #: can leave waiting for their own pace
    LANES = 32

    def __init__(
        self,
        bot: Bot,
        *,
        max_flood_waits: int = 10,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lanes: int = LANES,
    ) -> None:
        self._bot = bot
        self.lanes = lanes
        self._max_flood_waits = max_flood_waits
        self._sleep = sleep

    async def send(self, out: Outgoing) -> str | None:
        """Send from the outbox; a reply that replaces the pressed message
        (``edit_ref``) edits it, as the direct answer always did.  Returns the
        id of the message that carries the buttons (for the live-question rule)."""
        edit = out.edit_ref if out.reply.replace else None
        token = HOLD_UNTIL_SETTLED.set(True)
        try:
            sent = await self.send_reply(
                out, edit_message_id=int(edit) if edit and edit.isdigit() else None
            )
            return str(sent) if sent is not None and out.reply.choices else None
        finally:
            HOLD_UNTIL_SETTLED.reset(token)

    def repeatable(self) -> bool:
        """The send just made (on this task) created no message -- it edited
        one or took its buttons off -- so making it again is harmless, and
        the outbox may record it together with the next one.  ``False`` when
        unsure (no send gate to ask)."""
        gate = getattr(getattr(self._bot, "rate_limiter", None), "gate", None)
        return gate is not None and not gate.held()

    def settled(self) -> None:
        """The outbox recorded the outcome of :meth:`send`: the next message
        of this worker may go (see :class:`~adapters.telegram.ratelimit.SendGate`)."""
        gate = getattr(getattr(self._bot, "rate_limiter", None), "gate", None)
        if gate is not None:
            gate.settle()

    async def send_reply(self, out: Outgoing, *, edit_message_id: int | None = None) -> int | None:
        """Send one reply; edit ``edit_message_id`` instead when the reply asks
        to replace it and fits in one message.  Returns the id of the message
        that carries the keyboard (else the last one sent or edited).

        A replacing reply that cannot be an edit (it carries a file, or is too
        long) first takes the keyboard off the pressed message, so no answered
        buttons stay behind; a reply with ``clears`` only does that."""
        reply = out.reply
        chat_id = _chat_id(out.address.chat_id)
        thread_id = int(out.address.thread_id) if out.address.thread_id else None
        if reply.clears is not None:
            await self.clear_keyboard(chat_id, int(reply.clears))
            return None
        markup = reply_keyboard(reply)
        chunks = split_text(reply.text)

        if edit_message_id is not None and reply.replace:
            if len(chunks) == 1 and not reply.attachments:
                if await self._edit(chat_id, edit_message_id, chunks[0], markup):
                    return edit_message_id
            await self.clear_keyboard(chat_id, edit_message_id)

        last_id: int | None = None
        keyboard_id: int | None = None
        for index, chunk in enumerate(chunks):
            keyboard = markup if index == len(chunks) - 1 else None
            message = await self._call(
                functools.partial(
                    self._api,
                    "sendMessage",
                    chat_id=chat_id,
                    text=chunk,
                    message_thread_id=thread_id,
                    reply_markup=keyboard,
                )
            )
            last_id = int(message["message_id"])
            if keyboard is not None:
                keyboard_id = last_id
        for index, attachment in enumerate(reply.attachments):
            # Without any text the keyboard rides on the last document.
            keyboard = markup if not chunks and index == len(reply.attachments) - 1 else None
            message = await self._call(
                functools.partial(self._send_document, chat_id, thread_id, attachment, keyboard)
            )
            last_id = int(message["message_id"])
            if keyboard is not None:
                keyboard_id = last_id
        return keyboard_id if keyboard_id is not None else last_id

    async def clear_keyboard(self, chat_id: int | str, message_id: int) -> None:
        """Take the inline keyboard off a message (editMessageReplyMarkup).
        A message that is gone, too old or already bare is left as it is."""
        try:
            await self._call(
                functools.partial(
                    self._api, "editMessageReplyMarkup", chat_id=chat_id, message_id=message_id
                ),
                raw_bad_request=True,
            )
        except BadRequest as exc:
            _log.info("could not remove a Telegram keyboard: %s", exc.message)

    async def _send_document(
        self,
        chat_id: int | str,
        thread_id: int | None,
        attachment: Attachment,
        keyboard: dict[str, Any] | None,
    ) -> dict[str, Any]:
        # A fresh InputFile per attempt, so a retry never sends a consumed stream.
        document = InputFile(attachment.content, filename=attachment.filename)
        return await self._api(
            "sendDocument",
            chat_id=chat_id,
            document=document,
            message_thread_id=thread_id,
            reply_markup=keyboard,
        )

    async def _api(self, endpoint: str, **params: Any) -> Any:
        """One Bot API request, its answer as the Bot API's JSON (``None``
        values left out, as PTB's own methods do).

        PTB's methods (``send_message``...) would turn every answer into a
        ``Message`` of a hundred-odd attributes, and the keyboard into
        ``InlineKeyboardButton`` objects first, when only the message id is
        read.  ``Bot._post`` is the step all of them (and the public
        ``do_api_request``, which warns on every call for these methods)
        share: the same request through the same rate limiter
        (``ExtBot._do_post``) and error handling, its JSON returned as it came."""
        return await self._bot._post(endpoint, params)

    async def _edit(
        self, chat_id: int | str, message_id: int, text: str, markup: dict[str, Any] | None
    ) -> bool:
        """Edit in place; ``False`` means the message cannot be edited (too
        old, deleted, not text) and a new one should be sent instead."""
        try:
            await self._call(
                functools.partial(
                    self._api,
                    "editMessageText",
                    chat_id=chat_id,
                    message_id=message_id,
                    text=text,
                    reply_markup=markup,
                ),
                raw_bad_request=True,
            )
        except BadRequest as exc:
            if _UNCHANGED in exc.message.lower():
                return True
            _log.info("could not edit a Telegram message, sending anew: %s", exc.message)
            return False
        return True

    async def _call(
        self, request: Callable[[], Awaitable[T]], *, raw_bad_request: bool = False
    ) -> T:
        """Run one Bot API request, waiting out 429s and mapping errors."""
        waits = 0
        while True:
            try:
                return await request()
            except RetryAfter as exc:
                delay = retry_after_seconds(exc)
                waits += 1
                if waits > self._max_flood_waits:
                    raise DeliveryError(RATE_LIMITED, permanent=False, retry_after=delay) from exc
                _log.info("Telegram flood control: waiting %.1f s", delay)
                await self._sleep(delay)
            except ChatMigrated as exc:
                # A group became a supergroup: the old id is dead for good, and
                # the core re-learns the group from its next update.
                _log.info("Telegram group migrated to %s", exc.new_chat_id)
                raise DeliveryError(CHAT_NOT_FOUND, permanent=True) from exc
            except Forbidden as exc:
                _log.info("Telegram refused delivery: %s", exc.message)
                raise DeliveryError(BLOCKED, permanent=True) from exc
            except BadRequest as exc:
                if raw_bad_request:
                    raise
                if any(s in exc.message.lower() for s in _CHAT_GONE):
                    raise DeliveryError(CHAT_NOT_FOUND, permanent=True) from exc
                # Any other refusal says nothing about the person, and the core
                # marks people unreachable on permanent errors; transient keeps
                # it to the core's bounded retries.
                _log.warning("Telegram rejected a message: %s", exc.message)
                raise DeliveryError(REJECTED, permanent=False) from exc
            except NetworkError as exc:  # includes TimedOut
                raise DeliveryError(NETWORK, permanent=False) from exc
            except TelegramError as exc:
                _log.warning("Telegram error: %s", exc.message)
                raise DeliveryError(NETWORK, permanent=False) from exc


def _chat_id(value: str) -> int | str:
    """Numeric ids as ints (the rate limiter tells groups by sign); ``@name`` stays."""
    try:
        return int(value)
    except ValueError:
        return value


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about int vs timedelta
        value = exc.retry_after
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    return max(float(value), 0.0)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages Telegram accepts, at paragraph or line
    breaks where possible.  Empty text gives no messages."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


__all__ = [
    "BLOCKED",
    "CHAT_NOT_FOUND",
    "NETWORK",
    "RATE_LIMITED",
    "REJECTED",
    "UNREACHABLE_REASONS",
    "TelegramTransport",
    "split_text",
]
