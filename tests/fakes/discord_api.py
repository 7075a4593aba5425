"""A small fake Discord: REST API and gateway on 127.0.0.1, for adapter tests
that run the real discord.py client.

It speaks enough of the real protocol for discord.py to log in, connect,
sync commands, receive interactions and DMs, and answer them:

* gateway (websocket, plain JSON text frames): HELLO → IDENTIFY → READY (with
  a complete user and application) → GUILD_CREATE; heartbeats are ACKed;
  RESUME is refused with INVALID_SESSION so the client re-identifies;
  ``INTERACTION_CREATE`` and ``MESSAGE_CREATE`` are dispatched by the helpers;
* REST: gateway info, ``/users/@me``, ``/applications/@me``, application
  commands (recorded), interaction callbacks and webhook followups (recorded,
  JSON or multipart), DMs, channel messages (JSON or multipart with files),
  message edits, guild channel creation with permission overwrites.

Create Message deduplicates as Discord documents it: with ``enforce_nonce``,
a ``nonce`` the same author used within :attr:`FakeDiscord.nonce_window`
seconds returns the message created then and creates nothing (kept in
:attr:`FakeDiscord.deduplicated`); if that message was deleted since, the
answer is 404 "Unknown Message".  Every created message is recorded (kind
``"message"``).  A test can stop the fake at the n-th Create Message
(:meth:`FakeDiscord.hold_message`) to kill the bot at a chosen point.

discord.py insists on ``Content-Type: application/json`` *exactly* (aiohttp's
``json_response`` adds ``; charset=utf-8``, which discord.py then treats as
text), so every JSON answer goes through :func:`_json`.  Unknown routes answer
404 and are kept in :attr:`FakeDiscord.unhandled` so a test can fail on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.hold import Holds, MessageHold

API_PREFIX = "/api/v10"
EPHEMERAL = 64
TOKEN = "x"

CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE = 7
CALLBACK_MODAL = 9


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeUser:
    id: str
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class Recorded:
    """An HTTP request the bot made that tests care about."""

    kind: str  # "callback", "followup", "edit_original", "message", "edit_message"
    payload: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)
    channel_id: str | None = None
    interaction_id: str | None = None
    message: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The message-ish part: callback ``data``, or the body itself."""
        inner = self.payload.get("data")
        return inner if isinstance(inner, dict) else self.payload

    @property
    def type(self) -> int | None:
        value = self.payload.get("type")
        return value if isinstance(value, int) else None

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def custom_ids(self) -> list[str]:
        return [b["custom_id"] for b in self.buttons]

    @property
    def pings(self) -> set[str]:
        """Whom Discord would notify for this message: ``everyone`` (also for
        @here), ``role:<id>`` and ``user:<id>``, following the documented rules
        of ``allowed_mentions`` (absent: everything in the content is parsed;
        present: only the ``parse`` types and the listed ids)."""
        content = self.content
        found = {
            "everyone": bool(re.search(r"@(everyone|here)", content)),
            "roles": set(re.findall(r"<@&(\d+)>", content)),
            "users": set(re.findall(r"<@!?(\d+)>", content)),
        }
        allowed = self.data.get("allowed_mentions")
        if allowed is None:
            parse, users, roles = {"everyone", "roles", "users"}, set(), set()
        else:
            parse = set(allowed.get("parse") or [])
            users = set(allowed.get("users") or [])
            roles = set(allowed.get("roles") or [])
        out: set[str] = set()
        if found["everyone"] and "everyone" in parse:
            out.add("everyone")
        out |= {f"role:{r}" for r in found["roles"] if "roles" in parse or r in roles}
        out |= {f"user:{u}" for u in found["users"] if "users" in parse or u in users}
        return out

    @property
    def buttons(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in self.data.get("components") or []:
            for item in row.get("components") or []:
                if item.get("type") == 2:
                    out.append(item)
        return out


class FakeDiscord:
    """One bot, one application, one guild with a text channel, some users."""

    def __init__(self) -> None:
        self.bot = FakeUser("900000000000000001", "mentorbot", None, bot=True)
        self.application_id = "900000000000000002"
        self.guild_id = "910000000000000001"
        self.channel_id = "920000000000000001"
        self.users: dict[str, FakeUser] = {}
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.forbidden_users: set[str] = set()  # DMs to them answer 403/50007
        self.forbid_channel_creation = False
        self.commands: list[dict[str, Any]] = []
        self.command_puts = 0
        self.created_channels: list[dict[str, Any]] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.recorded: list[Recorded] = []
        self.unhandled: list[str] = []
        self.identifies = 0
        #: how long Discord remembers a nonce ("the past few minutes")
        self.nonce_window = 300.0
        #: Create Message calls answered with an earlier message (same nonce)
        self.deduplicated: list[Recorded] = []
        self._nonces: dict[tuple[str, str], tuple[float, str]] = {}  # -> (when, message id)
        self._holds = Holds()
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()
        self._messages: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str] = {}  # interaction token -> interaction id
        self._original: dict[str, dict[str, Any]] = {}  # token -> original response message
        self._token_channel: dict[str, str] = {}  # interaction token -> channel id
        self._token_user: dict[str, str] = {}  # interaction token -> acting user id
        self._token_pressed: dict[str, str] = {}  # component token -> pressed message id
        self._visible_to: dict[str, str] = {}  # ephemeral message id -> the one user who sees it
        self._changed = asyncio.Condition()
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.channels[self.channel_id] = self._text_channel(self.channel_id, "circle")

    # -- lifecycle ---------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        self._holds.release_all()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def add_user(self, user_id: str, username: str, global_name: str | None = None) -> FakeUser:
        user = FakeUser(user_id, username, global_name)
        self.users[user_id] = user
        return user

    def _id(self) -> str:
        return str(930000000000000000 + next(self._ids))

    # -- payloads ----------------------------------------------------------
    def _text_channel(self, channel_id: str, name: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": self.guild_id,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            **extra,
        }

    def _dm_channel(self, user_id: str) -> dict[str, Any]:
        channel_id = self.dm_channels.setdefault(user_id, self._id())
        return {
            "id": channel_id,
            "type": 1,
            "last_message_id": None,
            "recipients": [self.users[user_id].payload()],
            "flags": 0,
        }

    def _guild(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": "Mentoring",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": self.bot.id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [
                {
                    "id": self.guild_id,
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "position": 0,
                    "permissions": "2248473465835073",
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "sv-SE",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": _now(),
            "large": False,
            "unavailable": False,
            "member_count": 1 + len(self.users),
            "members": [self._member(self.bot)],
            "channels": [
                {k: v for k, v in c.items() if k != "guild_id"} for c in self.channels.values()
            ],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _member(self, user: FakeUser) -> dict[str, Any]:
        return {
            "user": user.payload(),
            "nick": None,
            "avatar": None,
            "roles": [],
            "joined_at": _now(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": "2248473465835073",
        }

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "Mentorbot",
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {**self.bot.payload(), "bot": False, "id": "900000000000000009"},
            "team": None,
            "summary": "",
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self.bot.payload(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
        }

    def _message(
        self,
        channel_id: str,
        body: Mapping[str, Any],
        *,
        author: FakeUser | None = None,
        files: list[tuple[str, bytes]] | None = None,
        interaction_token: str | None = None,
    ) -> dict[str, Any]:
        message_id = self._id()
        message: dict[str, Any] = {
            "id": message_id,
            "channel_id": channel_id,
            "type": 0 if interaction_token is None else 20,
            "content": body.get("content") or "",
            "author": (author or self.bot).payload(),
            "attachments": [
                {
                    "id": self._id(),
                    "filename": name,
                    "size": len(data),
                    "url": f"http://127.0.0.1:{self.port}/files/{name}",
                    "proxy_url": f"http://127.0.0.1:{self.port}/files/{name}",
                }
                for name, data in (files or [])
            ],
            "embeds": body.get("embeds") or [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now(),
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
            "application_id": self.application_id if interaction_token else None,
            "webhook_id": self.application_id if interaction_token else None,
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if channel_id in self.channels:
            message["guild_id"] = self.guild_id
        if interaction_token is not None and message["flags"] & EPHEMERAL:
            self._visible_to[message_id] = self._token_user.get(interaction_token, "")
        self._messages[message_id] = message
        return message

    def _update(self, message_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Apply an edit (content, components, attachments) to a stored message."""
        message = self._messages[message_id]
        for key, empty in (("content", ""), ("components", []), ("flags", 0)):
            if key in body:
                message[key] = body[key] if body[key] is not None else empty
        message["edited_timestamp"] = _now()
        return message

    # -- recording ---------------------------------------------------------
    async def _record(self, item: Recorded) -> None:
        async with self._changed:
            self.recorded.append(item)
            self._changed.notify_all()

    async def wait_for(
        self,
        predicate: Callable[[Recorded], bool],
        *,
        limit: float = 5.0,
        start: int = 0,
    ) -> Recorded:
        """The first recorded request from index ``start`` on that matches."""

        async def scan() -> Recorded:
            async with self._changed:
                while True:
                    for item in self.recorded[start:]:
                        if predicate(item):
                            return item
                    await self._changed.wait()

        return await asyncio.wait_for(scan(), limit)

    async def response_to(self, interaction_id: str, *, limit: float = 5.0) -> Recorded:
        """The interaction's callback (type 4/5/6/7/9)."""
        return await self.wait_for(
            lambda r: r.kind == "callback" and r.interaction_id == interaction_id, limit=limit
        )

    async def answers_to(
        self, interaction_id: str, count: int = 1, *, limit: float = 5.0
    ) -> list[Recorded]:
        """The first ``count`` visible answers to an interaction: message
        callbacks (4/7), followups and edits of the original response."""
        kinds = {"followup", "edit_original"}

        def visible(r: Recorded) -> bool:
            if r.interaction_id != interaction_id:
                return False
            return r.kind in kinds or (
                r.kind == "callback" and r.type in (CALLBACK_MESSAGE, CALLBACK_UPDATE)
            )

        async def collect() -> list[Recorded]:
            async with self._changed:
                while True:
                    found = [r for r in self.recorded if visible(r)]
                    if len(found) >= count:
                        return found[:count]
                    await self._changed.wait()

        return await asyncio.wait_for(collect(), limit)

    async def message_in(self, channel_id: str, *, limit: float = 5.0, start: int = 0) -> Recorded:
        """The next message the bot posted to a channel (not an interaction)."""
        return await self.wait_for(
            lambda r: r.kind == "message" and r.channel_id == channel_id,
            limit=limit,
            start=start,
        )

    # -- gateway -----------------------------------------------------------
    async def wait_connected(self, limit: float = 5.0) -> None:
        await asyncio.wait_for(self._ready.wait(), limit)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None}))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None}))
                elif op == 2:
                    self.identifies += 1
                    self._sockets.add(ws)
                    await self._send_ready(ws)
                elif op == 6:
                    await ws.send_str(json.dumps({"op": 9, "d": False, "s": None}))
        finally:
            self._sockets.discard(ws)
        return ws

    async def _send_ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": f"session-{self.identifies}",
            "resume_gateway_url": self.gateway_url,
            "shard": [0, 1],
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        await ws.send_str(
            json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": self._guild()})
        )
        self._ready.set()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the connected client(s)."""
        if not self._sockets:
            raise AssertionError("no client connected to the fake gateway")
        frame = json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data})
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(frame)

    # -- injecting user actions -------------------------------------------
    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: str,
        *,
        in_guild: bool,
        locale: str,
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        user = self.users[user_id]
        interaction_id = self._id()
        token = f"token-{interaction_id}"
        self._tokens[token] = interaction_id
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if in_guild:
            cid = channel_id or self.channel_id
            payload.update(
                guild_id=self.guild_id,
                guild_locale="sv-SE",
                channel_id=cid,
                channel=self.channels[cid],
                member=self._member(user),
                authorizing_integration_owners={"0": self.guild_id},
                context=0,
            )
        else:
            dm = self._dm_channel(user_id)
            payload.update(
                channel_id=dm["id"],
                channel=dm,
                user=user.payload(),
                authorizing_integration_owners={"0": self.guild_id},
                context=1,
            )
        if message is not None:
            payload["message"] = message
        self._token_channel[token] = str(payload["channel_id"])
        self._token_user[token] = user_id
        if message is not None and "id" in message:
            self._token_pressed[token] = str(message["id"])
        return payload

    async def slash(
        self,
        user_id: str,
        name: str,
        text: str | None = None,
        *,
        in_guild: bool = False,
        locale: str = "sv-SE",
        channel_id: str | None = None,
        undeclared_option: str | None = None,
    ) -> str:
        """A user runs ``/name [text]``; returns the interaction id.

        ``text`` goes in the command's declared option.  Only when the synced
        command declares none and ``undeclared_option`` names one is the text
        sent anyway, as Discord would once the command declares it (for a
        test that works around a missing option in the core's registry).
        """
        command = next((c for c in self.commands if c["name"] == name), None)
        if command is None:
            raise AssertionError(f"/{name} was not synced")
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1}
        if text is not None:
            declared = command.get("options") or []
            if not declared and undeclared_option is None:
                raise AssertionError(f"/{name} was synced without an option for {text!r}")
            option_name = declared[0]["name"] if declared else undeclared_option
            data["options"] = [{"name": option_name, "type": 3, "value": text}]
        payload = self._interaction(
            2, data, user_id, in_guild=in_guild, locale=locale, channel_id=channel_id
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(payload["id"])

    async def press(
        self,
        user_id: str,
        message: Mapping[str, Any],
        custom_id: str,
        *,
        locale: str = "sv-SE",
    ) -> str:
        """A user presses a button on a message the bot sent (a recorded
        message payload, so the components are exactly what the bot sent)."""
        in_guild = message.get("channel_id") in self.channels
        payload = self._interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            user_id,
            in_guild=in_guild,
            locale=locale,
            channel_id=message.get("channel_id") if in_guild else None,
            message=dict(message),
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(payload["id"])

    async def submit_modal(
        self,
        user_id: str,
        modal: Mapping[str, Any],
        values: Mapping[str, str],
        *,
        in_guild: bool = False,
        locale: str = "sv-SE",
    ) -> str:
        """A user submits a modal the bot opened (its recorded callback
        ``data``) with the given text per field custom_id."""
        rows = []
        for row in modal.get("components") or []:
            inner = row.get("components") or ([row["component"]] if "component" in row else [])
            for field_ in inner:
                cid = field_["custom_id"]
                rows.append(
                    {
                        "type": 1,
                        "components": [{"type": 4, "custom_id": cid, "value": values.get(cid, "")}],
                    }
                )
        payload = self._interaction(
            5,
            {"custom_id": modal["custom_id"], "components": rows},
            user_id,
            in_guild=in_guild,
            locale=locale,
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(payload["id"])

    async def send_dm(self, user_id: str, text: str) -> str:
        """A user writes a plain DM to the bot; returns the DM channel id."""
        dm = self._dm_channel(user_id)
        message = self._message(dm["id"], {"content": text}, author=self.users[user_id])
        await self.dispatch("MESSAGE_CREATE", message)
        return str(dm["id"])

    def message(self, message_id: str) -> dict[str, Any]:
        return self._messages[message_id]

    def delete_message(self, message_id: str) -> None:
        """Someone deleted a message (a moderator, or the bot)."""
        self._messages.pop(message_id, None)

    def created_messages(self) -> list[Recorded]:
        """Every message Create Message created (deduplicated calls excluded)."""
        return [r for r in self.recorded if r.kind == "message"]

    def hold_message(self, nth: int, *, accepted: bool) -> MessageHold:
        """Hold the ``nth`` Create Message call (counted from the start)
        until the test releases it; see :mod:`tests.fakes.hold`.  Accepted:
        the message is created and recorded, only the answer waits.  Not
        accepted: the request is dropped on release, nothing is created."""
        return self._holds.add(nth, accepted=accepted)

    def dm_channel_of(self, user_id: str) -> str:
        """The id of the user's DM channel with the bot (created if needed)."""
        return str(self._dm_channel(user_id)["id"])

    def bot_messages(self, channel_id: str, *, user_id: str | None = None) -> list[dict[str, Any]]:
        """The current state (after edits) of every message the bot has in a
        channel, oldest first; with ``user_id``, only those that user can see
        (another user's ephemeral answers are hidden)."""
        out = []
        for message in self._messages.values():
            if message["channel_id"] != channel_id or message["author"]["id"] != self.bot.id:
                continue
            seen_by = self._visible_to.get(message["id"])
            if user_id is not None and seen_by is not None and seen_by != user_id:
                continue
            out.append(message)
        return out

    def find_button(
        self, user_id: str, channel_id: str, label: str
    ) -> tuple[dict[str, Any], str] | None:
        """The newest message in the channel the user can see that still
        shows a button whose label starts with ``label`` (case-insensitive):
        a copy of the message and the button's custom_id.  Like a real client,
        every message keeps its buttons until the bot edits them away."""
        wanted = label.casefold()
        for message in reversed(self.bot_messages(channel_id, user_id=user_id)):
            for row in message.get("components") or []:
                for item in row.get("components") or []:
                    text = str(item.get("label") or "").casefold()
                    if item.get("type") == 2 and text.startswith(wanted):
                        return dict(message), str(item["custom_id"])
        return None

    def bot_message(self, channel_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """A message as if the bot had posted it earlier (e.g. before a
        restart, or with components a test wants to press)."""
        return self._message(channel_id, body)

    # -- REST ----------------------------------------------------------------
    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    payload = json.loads(data)
                elif name.startswith("files["):
                    files.append((part.filename or name, bytes(data)))  # type: ignore[union-attr]
            return payload, files
        if request.can_read_body:
            text = await request.text()
            return (json.loads(text) if text else {}), []
        return {}, []

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        method = request.method
        parts = path.strip("/").split("/")
        webhook = parts[0] in ("interactions", "webhooks")
        if not webhook and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        body, files = await self._body(request)
        handler = self._route(method, parts)
        if handler is None:
            self.unhandled.append(f"{method} {path}")
            return _json({"message": "404: Not Found", "code": 0}, 404)
        return await handler(parts, body, files, request)

    def _route(self, method: str, parts: list[str]) -> Any:
        n = len(parts)
        table: list[tuple[str, Callable[[list[str]], bool], Any]] = [
            ("GET", lambda p: p in (["gateway"], ["gateway", "bot"]), self._get_gateway),
            ("GET", lambda p: p == ["users", "@me"], self._get_me),
            ("GET", lambda p: n == 2 and p[0] == "users", self._get_user),
            (
                "GET",
                lambda p: p in (["applications", "@me"], ["oauth2", "applications", "@me"]),
                self._get_application,
            ),
            (
                "PUT",
                lambda p: n == 3 and p[0] == "applications" and p[2] == "commands",
                self._put_commands,
            ),
            (
                "GET",
                lambda p: n == 3 and p[0] == "applications" and p[2] == "commands",
                self._get_commands,
            ),
            ("POST", lambda p: n == 4 and p[0] == "interactions", self._callback),
            ("POST", lambda p: n == 3 and p[0] == "webhooks", self._followup),
            ("PATCH", lambda p: n == 5 and p[0] == "webhooks", self._edit_original),
            ("GET", lambda p: n == 5 and p[0] == "webhooks", self._get_original),
            ("DELETE", lambda p: n == 5 and p[0] == "webhooks", self._delete_original),
            ("POST", lambda p: p == ["users", "@me", "channels"], self._create_dm),
            ("GET", lambda p: n == 2 and p[0] == "channels", self._get_channel),
            (
                "POST",
                lambda p: n == 3 and p[0] == "channels" and p[2] == "messages",
                self._post_message,
            ),
            (
                "PATCH",
                lambda p: n == 4 and p[0] == "channels" and p[2] == "messages",
                self._edit_message,
            ),
            (
                "POST",
                lambda p: n == 3 and p[0] == "guilds" and p[2] == "channels",
                self._create_channel,
            ),
        ]
        for want, match, handler in table:
            if want == method and match(parts):
                return handler
        return None

    async def _get_gateway(self, parts: list[str], *_: Any) -> web.Response:
        data: dict[str, Any] = {"url": self.gateway_url}
        if parts[-1] == "bot":
            data.update(
                shards=1,
                session_start_limit={
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            )
        return _json(data)

    async def _get_me(self, *_: Any) -> web.Response:
        return _json({**self.bot.payload(), "verified": True, "mfa_enabled": False})

    async def _get_user(self, parts: list[str], *_: Any) -> web.Response:
        user = self.users.get(parts[1])
        if user is None:
            return _json({"message": "Unknown User", "code": 10013}, 404)
        return _json(user.payload())

    async def _get_application(self, *_: Any) -> web.Response:
        return _json(self._application())

    async def _put_commands(self, parts: list[str], body: Any, *_: Any) -> web.Response:
        commands = []
        for i, command in enumerate(body):
            commands.append(
                {
                    "id": str(940000000000000000 + i),
                    "application_id": self.application_id,
                    "version": "1",
                    "type": 1,
                    "options": [],
                    "default_member_permissions": None,
                    "nsfw": False,
                    **command,
                }
            )
        self.commands = commands
        self.command_puts += 1
        return _json(commands)

    async def _get_commands(self, *_: Any) -> web.Response:
        return _json(self.commands)

    async def _callback(
        self, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]], *_: Any
    ) -> web.Response:
        interaction_id, token = parts[1], parts[2]
        if self._tokens.get(token) != interaction_id:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if any(r.kind == "callback" and r.interaction_id == interaction_id for r in self.recorded):
            return _json(
                {"message": "Interaction has already been acknowledged.", "code": 40060}, 400
            )
        kind = body.get("type")
        data = body.get("data") or {}
        message = None
        if kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
            message = self._message(
                self._token_channel[token],
                data if kind == CALLBACK_MESSAGE else {"flags": data.get("flags")},
                files=files,
                interaction_token=token,
            )
            self._original[token] = message
        elif kind == CALLBACK_UPDATE and token in self._token_pressed:
            message = dict(self._update(self._token_pressed[token], data))
        await self._record(
            Recorded(
                "callback",
                body,
                files,
                channel_id=self._token_channel.get(token),
                interaction_id=interaction_id,
                message=message,
            )
        )
        interaction: dict[str, Any] = {"id": interaction_id, "type": 2}
        response: dict[str, Any] = {"interaction": interaction}
        if message is not None and kind != CALLBACK_UPDATE:
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == CALLBACK_DEFERRED_MESSAGE,
                response_message_ephemeral=bool(int(data.get("flags") or 0) & EPHEMERAL),
            )
            response["resource"] = {"type": kind, "message": message}
        else:
            response["resource"] = {"type": kind}
        return _json(response)

    async def _followup(
        self, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]], *_: Any
    ) -> web.Response:
        token = parts[2]
        interaction_id = self._tokens.get(token)
        if interaction_id is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        message = self._message(
            self._token_channel[token], body, files=files, interaction_token=token
        )
        await self._record(
            Recorded(
                "followup",
                body,
                files,
                channel_id=self._token_channel[token],
                interaction_id=interaction_id,
                message=message,
            )
        )
        return _json(message)

    async def _edit_original(
        self, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]], *_: Any
    ) -> web.Response:
        token = parts[2]
        interaction_id = self._tokens.get(token)
        if interaction_id is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        # The "original response" of a command is the message its callback
        # created; of a deferred button press, the pressed message.
        target = self._original.get(token)
        target_id = target["id"] if target is not None else self._token_pressed.get(token)
        if target_id is not None and target_id in self._messages:
            message = dict(self._update(target_id, body))
        else:
            message = self._message(
                self._token_channel[token], body, files=files, interaction_token=token
            )
        await self._record(
            Recorded(
                "edit_original",
                body,
                files,
                channel_id=self._token_channel[token],
                interaction_id=interaction_id,
                message=message,
            )
        )
        return _json(message)

    async def _get_original(self, parts: list[str], *_: Any) -> web.Response:
        message = self._original.get(parts[2])
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        return _json(message)

    async def _delete_original(self, parts: list[str], *_: Any) -> web.Response:
        interaction_id = self._tokens.get(parts[2])
        original = self._original.pop(parts[2], None)
        if original is not None:
            self._messages.pop(original["id"], None)
        await self._record(Recorded("delete_original", {}, interaction_id=interaction_id))
        return web.Response(status=204)

    async def _create_dm(self, parts: list[str], body: dict[str, Any], *_: Any) -> web.Response:
        user_id = str(body.get("recipient_id"))
        if user_id not in self.users:
            return _json({"message": "Unknown User", "code": 10013}, 404)
        return _json(self._dm_channel(user_id))

    async def _get_channel(self, parts: list[str], *_: Any) -> web.Response:
        channel = self.channels.get(parts[1])
        if channel is None:
            for user_id, cid in self.dm_channels.items():
                if cid == parts[1]:
                    return _json(self._dm_channel(user_id))
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        return _json(channel)

    async def _post_message(
        self, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]], *_: Any
    ) -> web.Response:
        channel_id = parts[1]
        dm_user = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if dm_user is None and channel_id not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if dm_user is not None and dm_user in self.forbidden_users:
            return _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
        hold = self._holds.next()
        if hold is not None and not hold.accepted:
            await hold.block(body)  # dropped: it never reached Discord
            return _json({"message": "Bad Gateway", "code": 0}, 502)
        response = await self._create_message(channel_id, body, files)
        if hold is not None:
            await hold.block(body)  # created; the answer waits
        return response

    async def _create_message(
        self, channel_id: str, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.Response:
        nonce = body.get("nonce")
        key = (self.bot.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get(key)
            if earlier is not None and time.monotonic() - earlier[0] <= self.nonce_window:
                existing = self._messages.get(earlier[1])
                if existing is None:
                    return _json({"message": "Unknown Message", "code": 10008}, 404)
                self.deduplicated.append(
                    Recorded("message", body, files, channel_id=channel_id, message=existing)
                )
                return _json(existing)
        message = self._message(channel_id, body, files=files)
        if nonce is not None:
            self._nonces[key] = (time.monotonic(), message["id"])
        await self._record(Recorded("message", body, files, channel_id=channel_id, message=message))
        return _json(message)

    async def _edit_message(
        self, parts: list[str], body: dict[str, Any], files: list[tuple[str, bytes]], *_: Any
    ) -> web.Response:
        message = self._messages.get(parts[3])
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        message.update({k: v for k, v in body.items() if k in ("content", "components", "flags")})
        message["edited_timestamp"] = _now()
        await self._record(
            Recorded("edit_message", body, files, channel_id=parts[1], message=message)
        )
        return _json(message)

    async def _create_channel(
        self, parts: list[str], body: dict[str, Any], *_: Any
    ) -> web.Response:
        if self.forbid_channel_creation:
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        channel = self._text_channel(
            self._id(),
            str(body.get("name")),
            # Discord answers with snowflakes and permission bits as strings
            permission_overwrites=[
                {**o, "id": str(o["id"]), "allow": str(o["allow"]), "deny": str(o["deny"])}
                for o in body.get("permission_overwrites") or []
            ],
        )
        self.channels[channel["id"]] = channel
        self.created_channels.append(channel)
        return _json(channel)
