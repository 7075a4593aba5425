"""The Discord side of the core's :class:`~bot.ports.Transport` port.

Proactive messages (outbox, scheduler, partner notifications) are sent here.
Channels are addressed through :meth:`discord.Client.get_partial_messageable`
so sending needs no cache and no extra request; a ``u<user id>`` chat id
opens the DM channel first.  Failures become :class:`DeliveryError` so the
core's outbox can decide: *permanent* when retrying cannot help (DMs closed,
bot blocked or removed, channel gone), otherwise temporary.  HTTP 429 is
waited out by discord.py's own rate limiter and never reaches us unless a
wait would exceed ``max_ratelimit_timeout``.
"""

from __future__ import annotations

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
from bot.ports import DeliveryError
from bot.types import Address, Attachment, Outgoing

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
            or exc.status in (400, 401)
        )
        return DeliveryError(f"discord {exc.status}/{code}", permanent=permanent)
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryError(type(exc).__name__, permanent=False)
    return DeliveryError(type(exc).__name__, permanent=False)


async def send_spec(
    messageable: discord.abc.Messageable, spec: MessageSpec
) -> list[discord.Message]:
    """Send a rendered reply as one or more messages; buttons and files go
    with the last part so they sit under the whole text."""
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
        sent.append(await messageable.send(content or None, **kwargs))
    return sent


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

    async def send(self, out: Outgoing) -> None:
        address = out.address
        if address.platform != PLATFORM:
            raise DeliveryError(f"not a {PLATFORM} address", permanent=True)
        if out.reply.private and address.kind == "group":
            # A proactive message cannot be ephemeral; posting it in the
            # channel would show a private answer to everyone.
            _log.error("private reply addressed to a channel was not sent")
            raise DeliveryError("private reply addressed to a channel", permanent=True)
        try:
            channel = await self._messageable(address.chat_id)
            await send_spec(channel, render_reply(out.reply, in_guild=False))
        except DeliveryError:
            raise
        except ValueError as exc:
            raise DeliveryError("malformed chat id", permanent=True) from exc
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            _log.warning("discord delivery failed: %s", error.reason)
            raise error from exc

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
