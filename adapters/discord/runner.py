"""Wiring: a discord.py client that feeds the core and answers interactions.

Discord gives an interaction three seconds for its first answer.  The core
usually answers well within that, and an immediate answer is the only way to
get every detail right (an ephemeral reply, or editing the pressed message),
so the client waits up to :data:`ACK_BUDGET` for the core and otherwise
defers first and answers with followups.

Endpoints: ``MENTORBOT_DISCORD_API_URL`` replaces ``discord.http.Route.BASE``
(the REST base *including* ``/api/v10``; a bare origin gets ``/api/v10``
appended) and ``MENTORBOT_DISCORD_GATEWAY_URL`` replaces discord.py's gateway
URL.  Both are process-wide in discord.py, so they are set when a client is
built (and reset to Discord's own when unset).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.commands import RegistryTranslator, install_commands
from adapters.discord.components import ChoiceButton, build_modal, build_view
from adapters.discord.intake import DiscordIntake
from adapters.discord.translate import (
    BUTTON_PREFIX,
    MODAL_PREFIX,
    MODAL_SUBMIT,
    PLATFORM,
    InteractionContext,
    MessageSpec,
    ask_modal,
    context_from_payload,
    dm_message_event,
    interaction_event,
    render_reply,
    slash_commands,
)
from adapters.discord.transport import (
    NO_MENTIONS,
    DiscordChatFactory,
    DiscordTransport,
    discord_files,
    message_ref,
)
from bot.config import ConfigError
from bot.core.startup import with_retries
from bot.core.types import ChoiceIn, Event

_log = logging.getLogger(__name__)

#: How long an interaction waits for the core before deferring (Discord
#: allows 3 s for the first answer, network time included).
ACK_BUDGET = 1.5
DISCORD_API = Route.BASE
DISCORD_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY
#: The choice id a press on a button we do not know becomes: no flow claims
#: it, so the core answers with its stale-button sentence in the person's language.
UNKNOWN_CHOICE = "unknown"

_VERSIONED = re.compile(r"/api/v\d+/?$")


def configure_endpoints(api_url: str | None, gateway_url: str | None) -> None:
    """Point discord.py at another REST base and gateway (an API proxy, or a
    fake in tests)."""
    if api_url:
        base = api_url.rstrip("/")
        Route.BASE = base if _VERSIONED.search(base) else base + "/api/v10"
    else:
        Route.BASE = DISCORD_API
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url) if gateway_url else DISCORD_GATEWAY


def _interaction_context(interaction: discord.Interaction[Any]) -> InteractionContext | None:
    """Feed the pure translation the same shape as a raw payload, so the
    rules for who/where live in one place."""
    user = interaction.user
    channel = interaction.channel
    payload: dict[str, Any] = {
        "guild_id": interaction.guild_id,
        "channel_id": interaction.channel_id,
        "channel": {"type": channel.type.value} if channel is not None else {},
        "locale": interaction.locale.value,
        "user": {
            "id": user.id,
            "username": user.name,
            "global_name": user.global_name,
            "bot": user.bot,
        },
        "member": {"nick": getattr(user, "nick", None)},
    }
    return context_from_payload(payload)


def _custom_id(interaction: discord.Interaction[Any]) -> object:
    data = cast(Mapping[str, Any], interaction.data or {})
    return data.get("custom_id")


class MentorbotClient(discord.Client):
    """The Discord client for one core.  ``errors`` collects every exception
    the adapter could not handle (tests fail on it; production logs it)."""

    def __init__(
        self,
        core: Any,
        *,
        default_language: str = "sv",
        ack_budget: float = ACK_BUDGET,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True
        # Nobody is pinged unless the bot means it: texts echo what people typed
        # (a /poll option, a name), and "@everyone" in one must stay text.
        options.setdefault("allowed_mentions", NO_MENTIONS)
        super().__init__(intents=intents, **options)
        self.core = core
        self.ack_budget = ack_budget
        self.errors: list[BaseException] = []
        self.intake = DiscordIntake(core)
        self.transport = DiscordTransport(self)
        self.tree: app_commands.CommandTree[MentorbotClient] = app_commands.CommandTree(self)
        self.tree.error(self._on_tree_error)
        specs = slash_commands(core.commands.all(), default_language)
        self.core_names: Mapping[str, str] = install_commands(
            self.tree, specs, self.on_slash_command
        )

    # -- lifecycle ---------------------------------------------------------
    async def setup_hook(self) -> None:
        """Runs after login, before the gateway: buttons from any earlier run
        become routable, and the global commands are synced."""
        self.add_dynamic_items(ChoiceButton)
        await self.tree.set_translator(RegistryTranslator())
        await self.tree.sync()

    def _record(self, error: BaseException, where: str) -> None:
        self.errors.append(error)
        _log.error("discord adapter error in %s", where, exc_info=error)

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        self._record(error, "command tree")

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        if error is not None:
            self._record(error, event_method)

    # -- inbound -----------------------------------------------------------
    async def on_slash_command(self, interaction: discord.Interaction[Any]) -> None:
        await self._interaction(interaction)

    async def on_choice_press(
        self, interaction: discord.Interaction[Any], label: str | None
    ) -> None:
        """A press on one of our buttons: ``ask:`` opens a modal at once (a
        modal must be the first answer), anything else goes to the core."""
        custom_id = _custom_id(interaction)
        modal = ask_modal(custom_id, label)
        if modal is not None:
            try:
                await interaction.response.send_modal(build_modal(modal))
            except Exception as exc:
                self._record(exc, "modal")
            return
        await self._interaction(interaction)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Modal submits are routed here by custom_id, with no stored state;
        a press on a button that is not ours (or no longer parses) gets the
        core's stale-button answer instead of Discord's "interaction failed"."""
        custom_id = _custom_id(interaction)
        if interaction.type is discord.InteractionType.component:
            ours = (
                isinstance(custom_id, str)
                and custom_id.startswith(BUTTON_PREFIX)
                and len(custom_id) > len(BUTTON_PREFIX)
            )
            if not ours:
                await self._interaction(interaction)  # ours go to ChoiceButton
            return
        if interaction.type.value != MODAL_SUBMIT:
            return
        if isinstance(custom_id, str) and custom_id.startswith(MODAL_PREFIX):
            await self._interaction(interaction)

    async def on_message(self, message: discord.Message) -> None:
        """Plain DMs become text for the core; replies go out as messages."""
        author = message.author
        event = dm_message_event(
            user_id=author.id,
            display_name=author.display_name,
            channel_id=message.channel.id,
            content=message.content,
            is_bot=author.bot or (self.user is not None and author.id == self.user.id),
            in_guild=message.guild is not None,
        )
        if event is None:
            return
        try:
            work = await self.intake.admit(str(message.id), event)
            if work is None:
                return
            try:
                processed = await work
                if processed is not None:
                    await self.core.deliver_processed(processed)
            finally:
                self.intake.release(work)
        except Exception as exc:
            self._record(exc, "dm message")

    # -- answering ---------------------------------------------------------
    async def _interaction(self, interaction: discord.Interaction[Any]) -> None:
        ctx = _interaction_context(interaction)
        event = (
            interaction_event(interaction.type.value, interaction.data, ctx, self.core_names)
            if ctx is not None
            else None
        )
        if (
            event is None
            and ctx is not None
            and interaction.type is discord.InteractionType.component
        ):
            event = ChoiceIn(ctx.actor, ctx.address, UNKNOWN_CHOICE)
        if isinstance(event, ChoiceIn) and interaction.message is not None:
            ref = message_ref(interaction.message.channel.id, interaction.message.id)
            event = dataclasses.replace(event, message_ref=ref)
        try:
            if event is None:
                # Not something the core can use; still acknowledge it so the
                # user is not left with a spinning button.
                await self._acknowledge_silently(interaction)
                return
            await self._answer(interaction, event)
        except Exception as exc:
            self._record(exc, "interaction")
            await self._give_up(interaction)

    async def _answer(self, interaction: discord.Interaction[Any], event: Event) -> None:
        """Store the interaction, wait up to the budget for the core (else
        defer), answer in the interaction, and send the rest from the outbox."""
        work = await self.intake.admit(str(interaction.id), event)
        if work is None:
            await self._acknowledge_silently(interaction)
            return
        try:
            try:
                processed = await asyncio.wait_for(asyncio.shield(work), self.ack_budget)
            except TimeoutError:
                await self._defer(interaction, ephemeral=event.address.kind == "group")
                processed = await work
            if processed is None:  # stored before: whoever stored it answers
                await self._acknowledge_silently(interaction)
                return
            await self._respond(interaction, event, processed)
        finally:
            self.intake.release(work)

    async def _respond(
        self, interaction: discord.Interaction[Any], event: Event, processed: Any
    ) -> None:
        """The replies to the interaction's own chat are its answer (marked
        sent once given); replies elsewhere, and any the answer could not
        carry, go out from the outbox."""
        in_guild = event.address.kind == "group"
        answered: list[int] = []
        try:
            for msg_id, out in processed.replies:
                if (out.address.platform, out.address.chat_id) != (
                    PLATFORM,
                    event.address.chat_id,
                ):
                    continue
                spec = render_reply(out.reply, in_guild=in_guild)
                ref = await self._reply(interaction, spec, first=not answered)
                answered.append(msg_id)
                if out.reply.question is not None:
                    await self.core.note_sent(out, ref)
        finally:
            await self.core.mark_sent(answered)
            if not answered:
                await self._acknowledge_silently(interaction)
            await self._deliver(processed, skip=answered)

    async def _acknowledge_silently(self, interaction: discord.Interaction[Any]) -> None:
        """No answer for the user: acknowledge anyway (a button must not spin)
        and, for a command, remove the "thinking…" placeholder."""
        if not interaction.response.is_done():
            await self._defer(interaction)
        if interaction.type is discord.InteractionType.application_command:
            await interaction.delete_original_response()

    async def _defer(
        self, interaction: discord.Interaction[Any], *, ephemeral: bool = True
    ) -> None:
        """Buttons and modals: a silent acknowledgement (later answers are
        followups or an edit of the pressed message).  Commands: "thinking",
        ephemeral in a guild so a private answer is never shown to all."""
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        else:
            await interaction.response.defer()

    async def _reply(
        self, interaction: discord.Interaction[Any], spec: MessageSpec, *, first: bool
    ) -> str | None:
        """Answer the interaction with one reply; returns ``channel/message``
        of the message that carries its buttons (an ephemeral one has none
        the core could edit later)."""
        ref: str | None = None
        last = len(spec.contents) - 1
        is_component = interaction.type is discord.InteractionType.component
        for i, content in enumerate(spec.contents):
            kwargs: dict[str, Any] = {}
            view = build_view(spec.buttons) if i == last else None
            files = discord_files(spec.files) if i == last else []
            replace = spec.replace and first and i == 0 and is_component
            if replace:
                edit: dict[str, Any] = {
                    "content": content or None,
                    "view": view,
                    "attachments": files,
                    "allowed_mentions": NO_MENTIONS,
                }
                if not interaction.response.is_done():
                    await interaction.response.edit_message(**edit)
                else:
                    await interaction.edit_original_response(**edit)
                if view is not None and interaction.message is not None:
                    ref = message_ref(interaction.message.channel.id, interaction.message.id)
                continue
            if view is not None:
                kwargs["view"] = view
            if files:
                kwargs["files"] = files
            kwargs["allowed_mentions"] = NO_MENTIONS
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    content or None, ephemeral=spec.ephemeral, **kwargs
                )
                if view is not None and not spec.ephemeral:
                    original = await interaction.original_response()
                    ref = message_ref(original.channel.id, original.id)
            else:
                sent = await interaction.followup.send(
                    content or "\u200b", ephemeral=spec.ephemeral, wait=True, **kwargs
                )
                if view is not None and not spec.ephemeral:
                    ref = message_ref(sent.channel.id, sent.id)
        return ref

    async def _give_up(self, interaction: discord.Interaction[Any]) -> None:
        """After an adapter failure: remove a dangling "thinking…" message.
        An unanswered interaction gets Discord's own localized failure note;
        the adapter has no words of its own."""
        with contextlib.suppress(Exception):
            if (
                interaction.response.is_done()
                and interaction.type is discord.InteractionType.application_command
            ):
                await interaction.delete_original_response()

    async def _deliver(self, processed: Any, *, skip: list[int]) -> None:
        try:
            await self.core.deliver_processed(processed, skip=skip)
        except Exception as exc:
            self._record(exc, "outbox")


def build_client(core: Any, settings: Any, **options: Any) -> MentorbotClient:
    """A client for ``core`` with the endpoints from ``settings``; extra
    options go to :class:`discord.Client` (tests pass a short
    ``guild_ready_timeout``)."""
    configure_endpoints(settings.discord_api_url, settings.discord_gateway_url)
    # The bot never joins voice: discord.py's warnings about voice libraries
    # would only be noise in the service's log.
    discord.VoiceClient.warn_nacl = False
    if hasattr(discord.VoiceClient, "warn_dave"):
        discord.VoiceClient.warn_dave = False
    return MentorbotClient(core, default_language=settings.default_language, **options)


async def serve(
    core: Any,
    settings: Any,
    stop: asyncio.Event,
    *,
    client: MentorbotClient | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run the Discord client until ``stop`` is set (or the client fails).

    Logging in is retried while Discord does not answer (``start_retries``,
    then :class:`~bot.startup.Unavailable`); a rejected token raises
    :class:`ConfigError` at once.  ``on_ready`` is called after the gateway's
    READY."""
    if not settings.discord_token:
        raise ConfigError("MENTORBOT_DISCORD_TOKEN: required to start the Discord adapter")
    client = client or build_client(core, settings)
    core.add_transport(client.transport)
    if hasattr(core, "add_chat_factory"):
        core.add_chat_factory(DiscordChatFactory(client.transport))
    async with client:
        await _login(client, settings)
        runner = asyncio.create_task(client.connect())
        if on_ready is not None:
            ready = asyncio.create_task(client.wait_until_ready())
            ready.add_done_callback(lambda t: None if t.cancelled() else on_ready())
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if runner in done:
            runner.result()
            return
        await client.close()
        try:
            await asyncio.wait_for(runner, 10)
        except TimeoutError:
            _log.warning("discord client did not stop in time")


async def _login(client: MentorbotClient, settings: Any) -> None:
    """Log in (``GET /users/@me``), retrying while Discord does not answer."""
    retries = getattr(settings, "start_retries", 5)
    backoff = getattr(settings, "start_backoff", 2.0)

    async def attempt() -> None:
        try:
            await client.login(settings.discord_token)
        except BaseException:
            # each login opens a new HTTP session: close this one first
            await client.http.close()
            client.http.connector = discord.utils.MISSING
            raise

    try:
        await with_retries(
            attempt,
            transient=(aiohttp.ClientConnectionError, OSError, TimeoutError),
            retries=retries,
            backoff=backoff,
            setting="MENTORBOT_DISCORD_API_URL",
            what=f"the Discord API at {settings.discord_api_url or 'discord.com'}",
        )
    except discord.LoginFailure:
        raise ConfigError(
            "MENTORBOT_DISCORD_TOKEN: Discord rejected the token (401 Unauthorized);"
            " reset it under Bot in the developer portal and copy it again"
        ) from None
