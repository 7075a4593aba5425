"""The command registry: every slash command, its words and where it works.

Adapters build their menus from this (Telegram ``set_my_commands``, Discord
slash commands), so a command is declared once, here, with its handler.
Descriptions live in content under ``commands.<name>``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.content import Content
    from bot.core.context import Ctx

Handler = Callable[["Ctx", str], Awaitable[None]]
Where = frozenset[str]
DM: Where = frozenset({"dm"})
GROUP: Where = frozenset({"group"})
ANYWHERE: Where = frozenset({"dm", "group"})


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    where: Where = ANYWHERE
    args: str | None = None
    organiser_only: bool = False
    hidden: bool = False
    description: dict[str, str] | None = None


class CommandRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}

    def add(self, spec: CommandSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"command /{spec.name} registered twice")
        self._specs[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def all(self) -> list[CommandSpec]:
        """Visible commands, each with its sv/en description filled in."""
        return [s for s in self._specs.values() if not s.hidden]

    def describe(self, content: Content) -> None:
        """Attach descriptions from content (done once at start-up)."""
        for name, spec in list(self._specs.items()):
            desc = {lang: content.t(lang, f"commands.{name}") for lang in ("sv", "en")}
            self._specs[name] = CommandSpec(
                spec.name,
                spec.handler,
                spec.where,
                spec.args,
                spec.organiser_only,
                spec.hidden,
                desc,
            )


def command(
    registry: CommandRegistry,
    name: str,
    *,
    where: Where = ANYWHERE,
    args: str | None = None,
    organiser_only: bool = False,
    hidden: bool = False,
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        registry.add(CommandSpec(name, fn, where, args, organiser_only, hidden))
        return fn

    return register
