"""The console's transport: every message is printed and remembered.

It remembers every message with buttons (numbered, the console's message
ids) and whether its buttons are still live, so that ``@name [2]`` presses a
button the way a person would on their phone, and ``@name [Ja] in "Träffades"``
presses one on an older message that still shows its buttons.  When the core
removes a question's buttons, the transcript says so on one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.console.transcript import render, render_cleared
from bot.core.types import Outgoing, Reply

PLATFORM = "console"


@dataclass
class Shown:
    """A message with buttons as the person sees it now."""

    ref: str
    chat: str
    reply: Reply
    live: bool = True


class ConsoleTransport:
    platform = PLATFORM

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.shown: list[Shown] = []
        self.files: dict[str, list[tuple[str, bytes]]] = {}
        self.log: list[Outgoing] = []

    @property
    def with_buttons(self) -> dict[str, Reply]:
        """Per chat, the newest message whose buttons are live."""
        found: dict[str, Reply] = {}
        for shown in self.shown:
            if shown.live:
                found[shown.chat] = shown.reply
        return found

    def live(self, chat: str) -> list[Shown]:
        """Messages in ``chat`` whose buttons are live, newest first."""
        return [s for s in reversed(self.shown) if s.chat == chat and s.live]

    def show(self, out: Outgoing, *, edits: str | None = None) -> str | None:
        """Print one message; returns its console id when it has buttons.
        ``edits`` is the pressed message a replacing reply edits."""
        self.log.append(out)
        recipient = out.address.chat_id
        if out.address.kind == "group":
            recipient = f"#{out.address.chat_id}"
        if out.reply.clears is not None:
            for shown in self.shown:
                if shown.ref == out.reply.clears and shown.live:
                    shown.live = False
                    self.write(render_cleared(recipient, shown.reply.text))
            return None
        for line in render(recipient, out.reply):
            self.write(line)
        for a in out.reply.attachments:
            self.files.setdefault(out.address.chat_id, []).append((a.filename, a.content))
        if edits is not None and out.reply.replace:
            for shown in self.shown:
                if shown.ref == edits:
                    shown.live = False
        if not out.reply.choices:
            return None
        ref = str(len(self.shown) + 1)
        self.shown.append(Shown(ref, out.address.chat_id, out.reply))
        return ref

    async def send(self, out: Outgoing) -> str | None:
        return self.show(out)
