"""A small fake Telegram Bot API server for adapter tests.

The real python-telegram-bot ``Application`` talks to it over HTTP on
127.0.0.1 (``base_url`` pointed here), so the tests exercise the library's
own request encoding, polling, webhook server and error mapping.  Tests drive
it from the user's side: inject a message, a command or a button press, then
await what the bot sent to a chat.  Failures (429, 403) can be injected.

A test can stop the fake at the n-th message the bot sends
(:meth:`FakeTelegram.hold_message`) to kill the bot at a chosen point.

Known pitfalls it handles: PTB posts form-encoded fields with non-strings
JSON-encoded (and multipart for files); Telegram answers need complete objects
(a Message needs message_id, date and chat); pending long polls are woken on
shutdown so the server stops at once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.hold import Holds, MessageHold
from tests.fakes.telegram_limits import FloodLimits

JSON = dict[str, Any]

#: Parameters PTB sends as plain strings; everything else is JSON-encoded.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "secret_token",
        "language_code",
        "parse_mode",
        "inline_message_id",
        "ip_address",
    }
)

#: Methods that create a new message (counted for :meth:`FakeTelegram.hold_message`).
_SEND_METHODS = frozenset({"sendmessage", "senddocument"})

#: Methods whose answer is a sent or edited message in a chat.
_MESSAGE_METHODS = frozenset(
    {"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)


@dataclass
class Sent:
    """One message the bot sent or edited, as the fake recorded it."""

    method: str
    chat_id: int
    message_id: int
    text: str | None = None
    reply_markup: JSON | None = None
    document: tuple[str, bytes] | None = None
    params: JSON = field(default_factory=dict)

    @property
    def is_edit(self) -> bool:
        return self.method.startswith("edit")

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Inline keyboard rows as ``(label, callback_data)`` pairs."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[(b["text"], b.get("callback_data", "")) for b in row] for row in rows]

    def button(self, label_prefix: str) -> str:
        """The callback data of the first button whose label starts with the prefix."""
        for row in self.buttons:
            for label, data in row:
                if label.lower().startswith(label_prefix.lower()):
                    return data
        raise KeyError(f"no button {label_prefix!r} in {self.buttons}")


@dataclass
class Call:
    """One Bot API request as received."""

    method: str
    params: JSON
    files: dict[str, tuple[str, bytes]]
    #: given in the body of the bot's answer to a webhook POST, not as a request
    via_webhook: bool = False


class ApiFailure(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class FakeTelegram:
    """The fake server; use ``async with FakeTelegram() as fake``."""

    def __init__(self, token: str = "123:abc", bot_username: str = "mentor_test_bot") -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Mentorbot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.webhook_statuses: list[int] = []
        self.url = ""
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1000)
        self._pending: list[JSON] = []
        self._wakeup = asyncio.Event()
        self._closing = asyncio.Event()
        self._changed = asyncio.Event()
        self._cursor: dict[int, int] = defaultdict(int)
        self._failures: dict[str, deque[ApiFailure]] = defaultdict(deque)
        self._blocked: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._holds = Holds()
        #: set to enforce Telegram's flood limits on messages (429 beyond)
        self.limits: FloodLimits | None = None

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self

    async def close(self) -> None:
        self._closing.set()
        self._wakeup.set()
        self._holds.release_all()
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- what tests inject -----------------------------------------------

    def user(self, user_id: int, first_name: str = "Ada", language_code: str | None = "sv") -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def chat(self, chat_id: int, title: str = "Circle") -> JSON:
        """The chat object for an id: private for positive ids, a group otherwise."""
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Ada"}
        return {"id": chat_id, "type": "supergroup", "title": title}

    def inject_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        entities: list[JSON] | None = None,
        first_name: str = "Ada",
        language_code: str | None = "sv",
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A user writes ``text`` (in their private chat unless ``chat_id``)."""
        chat_id = user_id if chat_id is None else chat_id
        chat = self.chat(chat_id)
        if chat_id > 0:
            chat = {**chat, "first_name": first_name}
        self._chats[chat_id] = chat
        message: JSON = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, first_name, language_code),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._messages[(chat_id, reply_to_message_id)]
        return self.inject_update({"message": message})

    def inject_command(self, user_id: int, command: str, args: str = "", **kwargs: Any) -> JSON:
        """``/command args`` with the ``bot_command`` entity Telegram adds."""
        head = command if command.startswith("/") else f"/{command}"
        text = f"{head} {args}" if args else head
        entity = {"type": "bot_command", "offset": 0, "length": len(head.encode("utf-16-le")) // 2}
        return self.inject_message(user_id, text, entities=[entity], **kwargs)

    def inject_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int,
        chat_id: int | None = None,
        first_name: str = "Ada",
        language_code: str | None = "sv",
    ) -> JSON:
        """A user presses a button with ``data`` on the bot's message ``message_id``."""
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages[(chat_id, message_id)]
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id, first_name, language_code),
            "message": message,
            "chat_instance": str(chat_id),
            "data": data,
        }
        return self.inject_update({"callback_query": query})

    def press(
        self, user_id: int, label_prefix: str, *, chat_id: int | None = None, **kw: Any
    ) -> JSON:
        """A user presses the button labelled ``label_prefix…`` on the newest
        message in the chat that currently shows one (as a person scrolls to
        the latest keyboard); the callback data is taken from that keyboard."""
        chat_id = user_id if chat_id is None else chat_id
        message_id, data = self.find_button(chat_id, label_prefix)
        return self.inject_callback(user_id, data, message_id=message_id, chat_id=chat_id, **kw)

    def find_button(self, chat_id: int, label_prefix: str) -> tuple[int, str]:
        """``(message_id, callback_data)`` of the newest message in ``chat_id``
        whose current inline keyboard has a button whose label starts with
        ``label_prefix`` (case-insensitive); edits that removed a keyboard count."""
        wanted = label_prefix.casefold()
        for (chat, message_id), message in sorted(self._messages.items(), reverse=True):
            if chat != chat_id:
                continue
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"].casefold().startswith(wanted) and "callback_data" in button:
                        return message_id, button["callback_data"]
        raise KeyError(f"no message in chat {chat_id} shows a button {label_prefix!r}")

    def inject_update(self, payload: JSON) -> JSON:
        """Queue any update (``update_id`` is added) for polling or the webhook."""
        update = {"update_id": next(self._update_ids), **payload}
        if self.webhook:
            task = asyncio.get_running_loop().create_task(self._post_webhook(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            self._pending.append(update)
            self._wakeup.set()
        return update

    def redeliver(self, update: JSON) -> None:
        """Send an update again, as Telegram does when it saw no answer to a
        webhook request in time (the same ``update_id``); webhook mode only."""
        assert self.webhook is not None
        task = asyncio.get_running_loop().create_task(self._post_webhook(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail (429 with retry_after by default)."""
        defaults = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }
        text = description or defaults.get(status, "Internal Server Error")
        parameters = {"retry_after": retry_after} if status == 429 else None
        for _ in range(times):
            self._failures[method.lower()].append(ApiFailure(status, text, parameters))

    def known_chat(self, chat_id: int, first_name: str = "Ada") -> None:
        """A private chat the user opened earlier (the bot may write to it)."""
        self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": first_name}

    def hold_message(self, nth: int, *, accepted: bool) -> MessageHold:
        """Hold the ``nth`` message request (sendMessage/sendDocument, counted
        from the start) until the test releases it; see :mod:`tests.fakes.hold`.
        Accepted: the message is created and recorded, only the answer waits.
        Not accepted: the request is dropped on release, nothing is created."""
        return self._holds.add(nth, accepted=accepted)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every call for this chat answers 403."""
        self._blocked.add(chat_id)

    # --- what tests await ------------------------------------------------

    async def next_message(self, chat_id: int, within: float = 5.0) -> Sent:
        """The next message sent (or edited) in ``chat_id`` that the test has not seen yet."""

        def ready() -> Sent | None:
            mine = [s for s in self.sent if s.chat_id == chat_id]
            if self._cursor[chat_id] < len(mine):
                self._cursor[chat_id] += 1
                return mine[self._cursor[chat_id] - 1]
            return None

        return await self._wait(ready, within, f"a message to chat {chat_id}")

    async def wait_for_call(self, method: str, within: float = 5.0, count: int = 1) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times."""

        def ready() -> list[Call] | None:
            calls = self.calls_of(method)
            return calls if len(calls) >= count else None

        return await self._wait(ready, within, f"{count} call(s) of {method}")

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.lower()]

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    async def _wait(self, ready: Callable[[], Any], within: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            result = ready()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"fake Telegram: no {what} within {within} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    # --- the HTTP side ---------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        params, files = await _read_params(request)
        hold = self._holds.next() if method in _SEND_METHODS else None
        if hold is not None and not hold.accepted:
            await hold.block(params)  # dropped: it never reached Telegram
            return _error(502, "Bad Gateway")
        self.calls.append(Call(method, params, files))
        self._changed.set()
        try:
            self._check_failures(method, params)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiFailure(404, "Not Found: method not found")
            result = await handler(params, files)
        except ApiFailure as failure:
            return _error(failure.status, failure.description, failure.parameters)
        if hold is not None:
            await hold.block(params)  # created; the answer waits
        return web.json_response({"ok": True, "result": result})

    def _check_failures(self, method: str, params: JSON) -> None:
        queued = self._failures.get(method)
        if queued:
            raise queued.popleft()
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._blocked:
            raise ApiFailure(403, "Forbidden: bot was blocked by the user")
        if method in _MESSAGE_METHODS and isinstance(chat_id, int) and chat_id not in self._chats:
            if chat_id > 0:
                raise ApiFailure(403, "Forbidden: bot can't initiate conversation with a user")
            raise ApiFailure(400, "Bad Request: chat not found")
        if self.limits is not None and method in _MESSAGE_METHODS and isinstance(chat_id, int):
            retry_after = self.limits.admit(chat_id)
            if retry_after is not None:
                raise ApiFailure(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )

    async def _api_getme(self, params: JSON, files: Any) -> JSON:
        return self.bot_user

    async def _api_getupdates(self, params: JSON, files: Any) -> list[JSON]:
        if self.webhook:
            raise ApiFailure(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        while not self._pending and not self._closing.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                break
        return self._pending[:limit]

    async def _api_setwebhook(self, params: JSON, files: Any) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _api_deletewebhook(self, params: JSON, files: Any) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _api_getwebhookinfo(self, params: JSON, files: Any) -> JSON:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _api_sendmessage(self, params: JSON, files: Any) -> JSON:
        return self._store("sendmessage", params, text=str(params["text"]))

    async def _api_senddocument(self, params: JSON, files: dict[str, tuple[str, bytes]]) -> JSON:
        document = files.get("document")
        if document is None:
            raise ApiFailure(400, "Bad Request: there is no document in the request")
        return self._store("senddocument", params, document=document)

    async def _api_editmessagetext(self, params: JSON, files: Any) -> JSON:
        return self._edit("editmessagetext", params, text=str(params["text"]))

    async def _api_editmessagereplymarkup(self, params: JSON, files: Any) -> JSON:
        return self._edit("editmessagereplymarkup", params, text=None)

    async def _api_answercallbackquery(self, params: JSON, files: Any) -> bool:
        return True

    async def _api_setmycommands(self, params: JSON, files: Any) -> bool:
        self.commands[_commands_key(params)] = list(params["commands"])
        return True

    async def _api_getmycommands(self, params: JSON, files: Any) -> list[JSON]:
        return self.commands.get(_commands_key(params), [])

    async def _api_deletemycommands(self, params: JSON, files: Any) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    def _store(
        self,
        method: str,
        params: JSON,
        *,
        text: str | None = None,
        document: tuple[str, bytes] | None = None,
    ) -> JSON:
        chat_id = int(params["chat_id"])
        message: JSON = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot_user,
        }
        if text is not None:
            message["text"] = text
        if document is not None:
            message["document"] = {
                "file_id": f"doc{next(self._ids)}",
                "file_unique_id": f"u{next(self._ids)}",
                "file_name": document[0],
                "file_size": len(document[1]),
            }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        self._messages[(chat_id, message["message_id"])] = message
        self._record(method, chat_id, message, params, document)
        return message

    def _edit(self, method: str, params: JSON, *, text: str | None) -> JSON:
        chat_id = int(params["chat_id"])
        key = (chat_id, int(params["message_id"]))
        old = self._messages.get(key)
        if old is None:
            raise ApiFailure(400, "Bad Request: message to edit not found")
        new = {**old, "edit_date": int(time.time())}
        if text is not None:
            new["text"] = text
        new.pop("reply_markup", None)
        if params.get("reply_markup"):
            new["reply_markup"] = params["reply_markup"]
        if new.get("text") == old.get("text") and new.get("reply_markup") == old.get(
            "reply_markup"
        ):
            raise ApiFailure(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        self._messages[key] = new
        self._record(method, chat_id, new, params, None)
        return new

    def _record(
        self,
        method: str,
        chat_id: int,
        message: JSON,
        params: JSON,
        document: tuple[str, bytes] | None,
    ) -> None:
        self.sent.append(
            Sent(
                method=method,
                chat_id=chat_id,
                message_id=message["message_id"],
                text=message.get("text"),
                reply_markup=message.get("reply_markup"),
                document=document,
                params=params,
            )
        )
        self._changed.set()

    async def _post_webhook(self, update: JSON) -> None:
        """Deliver like Telegram does: POST the update with the secret header."""
        assert self.webhook is not None and self._session is not None
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        async with self._session.post(self.webhook["url"], json=update, headers=headers) as resp:
            self.webhook_statuses.append(resp.status)
            body = await resp.read()
        if resp.status == 200 and body and resp.content_type == "application/json":
            await self._webhook_reply(json.loads(body))
        self._changed.set()

    async def _webhook_reply(self, params: JSON) -> None:
        """Run the one method a webhook's answer may carry, as Telegram does:
        its result goes nowhere, and a failure is not reported to the bot."""
        method = str(params.pop("method", "")).lower()
        if not method:
            return
        self.calls.append(Call(method, params, {}, via_webhook=True))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return
        try:
            self._check_failures(method, params)
            await handler(params, {})
        except ApiFailure:
            pass


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {}
    return (scope.get("type", "default"), params.get("language_code") or "")


def _decode(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, tuple[str, bytes]]]:
    """Accept JSON bodies, form-encoded and multipart bodies, and query strings."""
    params: JSON = {k: _decode(k, v) for k, v in request.query.items()}
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        raw = await request.read()
        if raw:
            params.update(json.loads(raw))
    elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.file.read())
            elif isinstance(value, bytes | bytearray):
                files[name] = (name, bytes(value))
            else:
                params[name] = _decode(name, str(value))
    return params, files


def _error(status: int, description: str, parameters: JSON | None = None) -> web.Response:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
