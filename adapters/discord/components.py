"""Buttons and modals: discord.py objects built from the pure specs.

Buttons are :class:`discord.ui.DynamicItem`\\ s: discord.py matches a press by
the ``custom_id`` template alone, so a button keeps working after a restart
and nothing about a sent message is kept in memory.

Two discord.py details matter here:

* Views are created with ``timeout=None``.  When a view with a timeout
  expires, discord.py removes its items from the view store *including the
  dynamic-item template*, which would silently kill every button until the
  next restart.
* discord.py always keeps a sent modal in its store (keyed by custom_id
  only, not by user).  We do not rely on that copy: the submit is handled
  statelessly from its ``custom_id`` by the runner's interaction listener,
  which also works after a restart between opening and submitting.  The
  stored copy's ``on_submit`` therefore does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from adapters.discord.translate import (
    BUTTON_PREFIX,
    MAX_TEXT_INPUT,
    MODAL_FIELD_ID,
    ButtonSpec,
    ModalSpec,
    button_rows,
)

#: Called with the interaction and the button's label when one of our buttons
#: is pressed (the label titles an ``ask:`` modal).
PressHandler = Callable[[discord.Interaction[Any], str | None], Awaitable[None]]


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(BUTTON_PREFIX) + r"(?P<choice>.+)", re.DOTALL),
):
    """A button whose custom_id is ``mb:<core choice id>``.

    The press is handed to the client's handler (``client.on_choice_press``),
    found through the interaction, so the class needs no global state.
    """

    def __init__(self, custom_id: str, label: str = "\u200b", *, primary: bool = False) -> None:
        style = discord.ButtonStyle.primary if primary else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id, style=style))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceButton:
        label = getattr(item, "label", None) or "\u200b"
        return cls(match.group(0), label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: PressHandler | None = getattr(interaction.client, "on_choice_press", None)
        if handler is not None:
            await handler(interaction, self.item.label)


def build_view(buttons: Sequence[ButtonSpec]) -> discord.ui.View | None:
    """Buttons → a view (five to a row), or ``None`` when there are none."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for row, specs in enumerate(button_rows(buttons)):
        for spec in specs:
            button = ChoiceButton(spec.custom_id, spec.label, primary=spec.opens_modal)
            button.row = row
            view.add_item(button)
    return view


class AskModal(discord.ui.Modal):
    """A one-field modal for free text; see the module docstring for why its
    ``on_submit`` is empty."""

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        return None


def build_modal(spec: ModalSpec) -> discord.ui.Modal:
    """One paragraph field; the submit is routed by custom_id."""
    modal = AskModal(title=spec.title, custom_id=spec.custom_id, timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label=spec.field_label,
            custom_id=MODAL_FIELD_ID,
            style=discord.TextStyle.paragraph,
            required=True,
            max_length=MAX_TEXT_INPUT,
        )
    )
    return modal
