"""Incoming Telegram updates: store first, confirm after, handle fairly.

python-telegram-bot's own ``Updater`` confirms an update to Telegram (the
next ``getUpdates`` offset, a webhook's 200) before the bot has handled it,
so a crash loses what was confirmed and not yet handled.  Here the adapter
keeps the offset itself: a batch of updates is translated, stored in the
core's inbox in one transaction, and only then confirmed (the next poll's
offset; the webhook answers after :meth:`TelegramIntake.accept` returns).

Each stored update is handled by a job in a :class:`~bot.core.fairness.FairQueue`:
one sender at most one handler at a time, a small queue per sender, and a
flooder's excess dropped before it is stored, with one "slow down" a minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from telegram import Bot, CallbackQuery, Update, User
from telegram.error import Conflict, InvalidToken, TelegramError

from adapters.telegram.translate import CommandSpecLike, update_to_event
from bot.core.fairness import FairQueue, Throttle
from bot.core.ports import Transport
from bot.core.types import Event, Outgoing
from bot.store.inbox import Incoming

_log = logging.getLogger(__name__)

#: Only what the translation understands; everything else Telegram keeps.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
#: Telegram shows at most 200 characters in a callback answer
ALERT_LIMIT = 200


class _Registry(Protocol):
    def all(self) -> Sequence[CommandSpecLike]: ...


class _Processed(Protocol):
    replies: list[tuple[int, Outgoing]]


class CoreLike(Protocol):
    """What the adapter needs from ``bot.app.Core`` (structural, so tests can
    use a small stand-in and the adapter never imports the core's internals)."""

    @property
    def commands(self) -> _Registry: ...

    def add_transport(self, transport: Transport) -> None: ...

    async def receive(self, items: Sequence[Incoming]) -> dict[str, int]: ...

    async def process(self, inbox_id: int, stored: Incoming | None = None) -> Any: ...

    async def deliver_processed(self, processed: Any, *, skip: Sequence[int] = ()) -> None: ...

    async def mark_sent(self, ids: Sequence[int]) -> None: ...

    async def slow_down(self, event: Event) -> None: ...

    async def mark_unreachable(self, platform: str, chat_id: str) -> None: ...


class TelegramIntake:
    """Turns batches of native updates into stored, fairly scheduled work."""

    def __init__(self, core: CoreLike, bot: Bot, queue: FairQueue | None = None) -> None:
        self._core = core
        self._bot = bot
        self.queue = queue or FairQueue()
        self._warned = Throttle(60.0)
        self._background: set[asyncio.Task[Any]] = set()
        self._store = GroupStore(core)

    async def accept(
        self, updates: Sequence[Update], *, answer_inline: bool = False
    ) -> list[CallbackQuery]:
        """Store the updates worth handling, then queue their handling.

        Returns once they are stored, so the caller may confirm them.  An
        update dropped for flooding, or that the core has no use for, is
        confirmed without being stored (its button stops spinning).

        With ``answer_inline`` (the webhook), the plain answers to presses --
        the ones that only stop the spinner -- are not requested here but
        returned, for the caller to give in its HTTP response (Telegram runs
        one method given there, and saves a Bot API call per press).  Presses
        in groups are still answered after the core (their answer may be a
        private alert)."""
        username = self._bot.username
        return await self.admit(
            [
                (
                    u.update_id,
                    u.callback_query,
                    update_to_event(u, username),
                    _pressed_message_id(u),
                )
                for u in updates
            ],
            answer_inline=answer_inline,
        )

    def press(self, query_id: str, user_id: int, first_name: str) -> CallbackQuery:
        """A press's ``CallbackQuery`` with only what the intake reads (its
        id, to answer it), for a press translated from the update's JSON
        (:func:`~adapters.telegram.translate.private_press`)."""
        query = CallbackQuery(query_id, User(user_id, first_name, False), chat_instance="")
        query.set_bot(self._bot)
        return query

    async def admit(
        self,
        updates: Sequence[tuple[int, CallbackQuery | None, Event | None, str | None]],
        *,
        answer_inline: bool = False,
    ) -> list[CallbackQuery]:
        """:meth:`accept` for updates already translated: ``(update_id, the
        press or None, the event or None, the pressed message's id)`` each."""
        loop = asyncio.get_running_loop()
        inline: list[CallbackQuery] = []

        def answer(query: CallbackQuery) -> None:
            if answer_inline:
                inline.append(query)
            else:
                self._later(_answer(query))

        admitted: list[tuple[Incoming, asyncio.Future[int | None]]] = []
        for update_id, query, event, pressed in updates:
            if event is None:
                if query is not None:
                    answer(query)
                continue
            item = Incoming(str(update_id), event, pressed)
            stored: asyncio.Future[int | None] = loop.create_future()
            sender = (event.actor.platform, event.actor.user_id)
            answered = answer_inline and query is not None and event.address.kind != "group"
            if self.queue.submit(sender, self._job(item, query, stored, answered)):
                admitted.append((item, stored))
                if answered and query is not None:
                    inline.append(query)
                continue
            if query is not None:
                answer(query)
            if self._warned.first(sender, time.monotonic()):
                self._later(self._core.slow_down(event))
        if admitted:
            await self._store.store(admitted)
        return inline

    def _job(
        self,
        item: Incoming,
        query: CallbackQuery | None,
        stored: asyncio.Future[int | None],
        answered: bool = False,
    ) -> Any:
        async def run() -> None:
            try:
                inbox_id = await stored
            except Exception:
                return  # not stored: Telegram sends it again
            if inbox_id is None:
                return  # stored before; whoever stored it handles it
            await self.handle(inbox_id, item.event, query, answered=answered, stored=item)

        return run

    async def handle(
        self,
        inbox_id: int,
        event: Event,
        query: CallbackQuery | None,
        *,
        answered: bool = False,
        stored: Incoming | None = None,
    ) -> None:
        """Answer a press at once (the spinner stops; not again if the
        webhook ``answered`` it in its response), let the core handle the
        stored update, then deliver its replies.  A press in a group is
        answered after the core, so that a short private answer ("that button
        is someone else's") shows as an alert only the presser sees.
        ``stored``: the update as this worker stored it (the core need not
        read it back)."""
        in_group = event.address.kind == "group"
        if query is not None and not in_group and not answered:
            await _answer(query)
        processed = await self._core.process(inbox_id, stored)
        skip: list[int] = []
        if query is not None and in_group:
            alert = _private_alert(processed.replies, event)
            await _answer(query, alert[1] if alert else None)
            if alert is not None:
                skip.append(alert[0])
                await self._core.mark_sent(skip)
        await self._core.deliver_processed(processed, skip=skip)

    def _later(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self, within: float = 10.0) -> None:
        """Let queued handling finish (what does not is handled by the sweep)."""
        await self.queue.join(within)
        if self._background:
            await asyncio.wait(set(self._background), timeout=within)


class GroupStore:
    """Stores the updates of concurrent callers in one transaction (group commit).

    Each webhook request brings one update and would otherwise commit (and,
    on SQLite, wait for the disk) on its own.  Here a caller joins the batch
    being gathered; one store runs at a time, and what arrives meanwhile
    goes in the next one.  Every caller returns only once its own updates
    are committed (or with the store's error), so the webhook still answers
    200 only after the store, and a failed store fails every caller in it
    (each answers 503, and Telegram sends each update again)."""

    def __init__(self, core: CoreLike) -> None:
        self._core = core
        self._pending: list[tuple[Incoming, asyncio.Future[int | None]]] = []
        self._waiting: list[asyncio.Future[None]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[tuple[Incoming, asyncio.Future[int | None]]]) -> None:
        """Store ``items``, setting each one's future to its new inbox id
        (``None``: stored before, by this or another worker)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.extend(items)
        self._waiting.append(done)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)  # let requests that are ready join this batch
            while self._pending:
                batch, self._pending = self._pending, []
                waiting, self._waiting = self._waiting, []
                try:
                    ids = await self._core.receive([item for item, _ in batch])
                except BaseException as exc:
                    for _, stored in batch:
                        _settle(stored, exc)
                    for done in waiting:
                        _settle(done, exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                given: set[int] = set()
                for item, stored in batch:
                    inbox_id = ids.get(item.update_id)
                    # the same update twice in one batch (a retried webhook): one handles it
                    _settle(stored, None if inbox_id in given else inbox_id)
                    if inbox_id is not None:
                        given.add(inbox_id)
                for done in waiting:
                    _settle(done, None)
        finally:
            self._flusher = None


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():  # its caller was cancelled
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    elif isinstance(outcome, BaseException):  # cancelled (the bot stops)
        future.cancel()
    else:
        future.set_result(outcome)


async def poll(
    bot: Bot, intake: TelegramIntake, stop: asyncio.Event, *, poll_seconds: float = 10.0
) -> None:
    """Long polling that confirms only stored updates: the offset passed to
    the next ``getUpdates`` advances past a batch only after it was stored."""
    offset: int | None = None
    backoff = 0.5
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            request = asyncio.ensure_future(
                bot.get_updates(
                    offset=offset, timeout=int(poll_seconds), allowed_updates=ALLOWED_UPDATES
                )
            )
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():
                request.cancel()
                break
            try:
                updates = request.result()
                if updates:
                    await intake.accept(updates)
                    offset = updates[-1].update_id + 1
                backoff = 0.5
            except (InvalidToken, Conflict):
                raise
            except Exception as exc:  # the network, Telegram, or the database
                _log.warning("polling Telegram failed (%s); retrying", type(exc).__name__)
                await asyncio.wait({stopping}, timeout=backoff)
                backoff = min(backoff * 2, 30.0)
    finally:
        stopping.cancel()
    if offset is not None:
        try:  # confirm the last stored batch, so a restart is not sent it again
            await bot.get_updates(offset=offset, timeout=0, limit=1)
        except TelegramError as exc:
            _log.info("could not confirm the last updates on stop: %s", exc.message)


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    try:
        await query.answer(text=text, show_alert=bool(text))
    except TelegramError as exc:  # too old, or already answered
        _log.info("could not answer a callback query: %s", exc.message)


def _private_alert(replies: Sequence[tuple[int, Outgoing]], event: Event) -> tuple[int, str] | None:
    """The first short, plain private reply to the group, as the alert text."""
    for msg_id, out in replies:
        reply = out.reply
        if (
            reply.private
            and out.address.chat_id == event.address.chat_id
            and not reply.choices
            and not reply.attachments
            and len(reply.text) <= ALERT_LIMIT
        ):
            return msg_id, reply.text
    return None


def _pressed_message_id(update: Update) -> str | None:
    query = update.callback_query
    if query is None or query.message is None:
        return None
    return str(query.message.message_id)
