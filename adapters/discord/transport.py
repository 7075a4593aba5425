"""The Discord side of the core's :class:`~bot.core.ports.Transport` port.

Proactive messages (outbox, scheduler, partner notifications) are sent here.
Channels are addressed through :meth:`discord.Client.get_partial_messageable`
so sending needs no cache and no extra request; a ``u<user id>`` chat id
opens the DM channel first.  Failures become :class:`DeliveryError` so the
core's outbox can decide: *permanent* when retrying cannot help (DMs closed,
bot blocked or removed, channel gone), otherwise temporary.  HTTP 429 is
waited out by discord.py's own rate limiter and never reaches us unless a
wait would exceed ``max_ratelimit_timeout``.

Outbox messages are sent exactly once across crashes: each Create Message
call carries a ``nonce`` derived from the outbox row's idempotency key (and
the part's index, when a reply becomes several messages), and discord.py
adds ``enforce_nonce``.  When a worker dies after Discord created a message
but before the outbox marked it sent, the resend within Discord's dedupe
window ("the past few minutes") returns the existing message and creates
nothing.  Direct replies carry no key; discord.py gives them a random nonce.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord

from adapters.discord.components import build_view
from adapters.discord.translate import (
    PLATFORM,
    USER_CHAT_PREFIX,
    MessageSpec,
    render_reply,
)
from bot.core.ports import DeliveryError
from bot.core.types import Address, Attachment, Outgoing

_log = logging.getLogger(__name__)

#: Discord JSON error codes after which retrying cannot help.
PERMANENT_CODES = frozenset(
    {
        10003,  # Unknown channel
        10013,  # Unknown user
        50001,  # Missing access
        50007,  # Cannot send messages to this user (DMs closed / blocked)
        50013,  # Missing permissions
        50278,  # Cannot send messages to this user (no mutual guild)
    }
)


#: Discord's JSON error code for "Unknown Message".
UNKNOWN_MESSAGE = 10008


def message_nonce(idem_key: str, part: int) -> str:
    """The nonce for one Create Message call of an outbox message: the same
    on every attempt, different per part, at most 25 characters (Discord's
    limit).  A 63-bit number in decimal (at most 19 digits): Discord takes an
    integer or a string and prefers snowflake-like numbers."""
    digest = hashlib.sha256(f"{idem_key}\x00{part}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") >> 1)


def message_ref(channel_id: int, message_id: int) -> str:
    """The core's id for a Discord message: ``channel/message``, enough to edit it."""
    return f"{channel_id}/{message_id}"


def discord_files(attachments: Sequence[Attachment]) -> list[discord.File]:
    """Neutral attachments → discord.py files (fresh objects per send:
    discord.py closes a file after uploading it)."""
    return [discord.File(io.BytesIO(a.content), filename=a.filename) for a in attachments]


def delivery_error(exc: BaseException) -> DeliveryError:
    """Classify a discord.py/aiohttp failure for the outbox."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryError("rate limited", permanent=False, retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        code = getattr(exc, "code", 0)
        permanent = (
            code in PERMANENT_CODES
            or isinstance(exc, discord.Forbidden | discord.NotFound)
            or exc.status == 400
        )
        if exc.status == 401:
            # The bot's token was revoked or is wrong: an operator's problem, not
            # the recipient's, so it must not mark anyone unreachable.
            return DeliveryError("discord 401: is the bot token still valid?", permanent=False)
        return DeliveryError(f"discord {exc.status}/{code}", permanent=permanent)
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryError(type(exc).__name__, permanent=False)
    return DeliveryError(type(exc).__name__, permanent=False)


async def send_spec(
    messageable: discord.abc.Messageable, spec: MessageSpec, *, idem_key: str | None = None
) -> list[discord.Message]:
    """Send a rendered reply as one or more messages; buttons and files go
    with the last part so they sit under the whole text.

    With an ``idem_key`` every part carries its own stable nonce (discord.py
    then sends ``enforce_nonce``), so sending the same reply again within
    Discord's dedupe window creates nothing new.  A part Discord answers with
    "Unknown Message" was created by an earlier attempt and deleted since:
    it counts as delivered and is not sent again."""
    sent: list[discord.Message] = []
    last = len(spec.contents) - 1
    for i, content in enumerate(spec.contents):
        kwargs: dict[str, Any] = {}
        if i == last:
            view = build_view(spec.buttons)
            if view is not None:
                kwargs["view"] = view
            if spec.files:
                kwargs["files"] = discord_files(spec.files)
        if not content and not kwargs:
            continue
        kwargs["allowed_mentions"] = NO_MENTIONS
        if idem_key is not None:
            kwargs["nonce"] = message_nonce(idem_key, i)
        try:
            sent.append(await messageable.send(content or None, **kwargs))
        except discord.NotFound as exc:
            if idem_key is None or exc.code != UNKNOWN_MESSAGE:
                raise
            _log.info("an earlier attempt's message was deleted since; not sent again")
    return sent


#: every message the bot sends or edits pings nobody: its texts quote what
#: people typed.  A message that means to mention someone would pass its own
#: ``AllowedMentions(users=[...])``; none does today.
NO_MENTIONS = discord.AllowedMentions.none()


class DiscordTransport:
    """Sends :class:`Outgoing` messages with a running discord.py client."""

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def _messageable(self, chat_id: str) -> discord.abc.Messageable:
        if chat_id.startswith(USER_CHAT_PREFIX):
            user_id = int(chat_id[len(USER_CHAT_PREFIX) :])
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            return user.dm_channel or await user.create_dm()
        return self._client.get_partial_messageable(int(chat_id))

    async def send(self, out: Outgoing) -> str | None:
        """Send ``out``; returns ``channel/message`` of the message carrying
        its buttons.  A reply with ``clears`` edits that message's buttons away."""
        address = out.address
        if address.platform != PLATFORM:
            raise DeliveryError(f"not a {PLATFORM} address", permanent=True)
        if out.reply.private and address.kind == "group":
            # A proactive message cannot be ephemeral; posting it in the
            # channel would show a private answer to everyone.
            _log.error("private reply addressed to a channel was not sent")
            raise DeliveryError("private reply addressed to a channel", permanent=True)
        if self._client.http.token is None:
            # The scheduler can find due messages before the client has logged in.
            raise DeliveryError("not logged in to discord yet", permanent=False)
        try:
            if out.reply.clears is not None:
                await self.clear_buttons(out.reply.clears)
                return None
            channel = await self._messageable(address.chat_id)
            sent = await send_spec(
                channel, render_reply(out.reply, in_guild=False), idem_key=out.idem_key
            )
            if sent and out.reply.choices:
                return message_ref(sent[-1].channel.id, sent[-1].id)
            return None
        except DeliveryError:
            raise
        except ValueError as exc:
            raise DeliveryError("malformed chat id", permanent=True) from exc
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            _log.warning("discord delivery failed: %s", error.reason)
            raise error from exc

    async def clear_buttons(self, ref: str) -> None:
        """Remove every component of an earlier message (``channel/message``).
        A message that is gone stays gone; nothing to retry."""
        channel_id, _, message_id = ref.partition("/")
        channel = self._client.get_partial_messageable(int(channel_id))
        try:
            await channel.get_partial_message(int(message_id)).edit(view=None)
        except discord.NotFound:
            _log.info("a message whose buttons were to be removed is gone")

    async def create_private_channel(
        self, guild_id: str, name: str, member_ids: Sequence[str]
    ) -> str | None:
        """Create a text channel only the given members (and the bot) can see.

        Returns the channel id, or ``None`` when the bot lacks the right to
        create channels (the organiser then binds an existing channel).
        """
        guild = self._client.get_guild(int(guild_id))
        if guild is None:
            return None
        hidden = discord.PermissionOverwrite(view_channel=False)
        member = discord.PermissionOverwrite(
            view_channel=True, send_messages=True, read_message_history=True
        )
        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ]
        overwrites = {guild.default_role: hidden}
        for member_id in member_ids:
            overwrites[discord.Object(int(member_id), type=discord.Member)] = member
        if self._client.user is not None:
            overwrites[discord.Object(self._client.user.id, type=discord.Member)] = member
        try:
            channel = await guild.create_text_channel(name[:100], overwrites=overwrites)  # type: ignore[arg-type]
        except discord.Forbidden:
            return None
        return str(channel.id)


class DiscordChatFactory:
    """The core's ChatFactory on Discord: a members-only channel in the guild of ``near``."""

    platform = PLATFORM

    def __init__(self, transport: DiscordTransport) -> None:
        self._transport = transport

    async def create_group_chat(
        self, near: Address, name: str, member_user_ids: list[str]
    ) -> Address | None:
        channel = self._transport._client.get_channel(int(near.chat_id))
        guild = getattr(channel, "guild", None)
        if guild is None:
            return None
        created = await self._transport.create_private_channel(
            str(guild.id), _channel_name(name), member_user_ids
        )
        return Address(PLATFORM, created, None, "group") if created else None


def _channel_name(name: str) -> str:
    """Discord channel names: lowercase, no spaces."""
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in cleaned.split("-") if part)[:90] or "circle"
