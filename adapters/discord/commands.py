"""Slash commands for discord.py, generated from the core's registry.

Every command shares one callback that hands the interaction to the client:
the command's meaning lives in the core, so the adapter only needs the name
and the raw option text (read from ``interaction.data`` by the pure
translation).  Descriptions are localized through a :class:`Translator` that
reads the sv/en texts carried in each :class:`locale_str`'s extras.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import discord
from discord import app_commands

from adapters.discord.translate import COMMAND_LOCALES, SlashCommandSpec

#: What a command callback does: the client's single interaction handler.
CommandHandler = Callable[[discord.Interaction[Any]], Awaitable[None]]

#: The callback's parameter for the one optional free-text argument; the
#: Discord-visible name is the core's argument name (applied with ``rename``).
_ARG_PARAM = "text"


class RegistryTranslator(app_commands.Translator):
    """Answers discord.py's localization questions from the texts the core's
    registry provided (kept in :class:`locale_str` extras by locale)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        text = string.extras.get(locale.value)
        return text if isinstance(text, str) and text else None


def _callback(handler: CommandHandler, with_arg: bool) -> Callable[..., Awaitable[None]]:
    # discord.py reads the parameters from the signature, so the two shapes
    # (with and without the optional argument) are two small functions.
    if with_arg:

        async def with_text(interaction: discord.Interaction, text: str | None = None) -> None:
            await handler(interaction)

        return with_text

    async def plain(interaction: discord.Interaction) -> None:
        await handler(interaction)

    return plain


def build_command(
    spec: SlashCommandSpec, handler: CommandHandler
) -> app_commands.Command[Any, ..., None]:
    """One registry entry → an app command with localized description and the
    contexts (bot DM, guild) the core allows it in."""
    description = app_commands.locale_str(spec.description, **dict(spec.localized))
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name,
        description=description,
        callback=cast(Any, _callback(handler, spec.arg is not None)),
    )
    if spec.arg is not None:
        command = app_commands.rename(**{_ARG_PARAM: spec.arg})(command)
    command = app_commands.allowed_contexts(
        guilds=spec.in_guilds, dms=spec.in_dms, private_channels=False
    )(command)
    command = app_commands.allowed_installs(guilds=True, users=False)(command)
    return command


def install_commands(
    tree: app_commands.CommandTree[Any],
    specs: Iterable[SlashCommandSpec],
    handler: CommandHandler,
) -> dict[str, str]:
    """Replace the tree's global commands; returns Discord name → core name."""
    tree.clear_commands(guild=None)
    names: dict[str, str] = {}
    for spec in specs:
        tree.add_command(build_command(spec, handler))
        names[spec.name] = spec.core_name
    return names


__all__ = ["COMMAND_LOCALES", "RegistryTranslator", "build_command", "install_commands"]
