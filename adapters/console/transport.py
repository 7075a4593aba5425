"""The console's transport: every message is printed and remembered.

It remembers, per chat, the newest message that has buttons, so that
``@name [2]`` can press a button the way a person would on their phone.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.transcript import render
from bot.core.types import Outgoing, Reply

PLATFORM = "console"


class ConsoleTransport:
    platform = PLATFORM

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.with_buttons: dict[str, Reply] = {}
        self.files: dict[str, list[tuple[str, bytes]]] = {}
        self.log: list[Outgoing] = []

    def show(self, out: Outgoing) -> None:
        self.log.append(out)
        recipient = out.address.chat_id
        if out.address.kind == "group":
            recipient = f"#{out.address.chat_id}"
        for line in render(recipient, out.reply):
            self.write(line)
        if out.reply.choices:
            self.with_buttons[out.address.chat_id] = out.reply
        for a in out.reply.attachments:
            self.files.setdefault(out.address.chat_id, []).append((a.filename, a.content))

    async def send(self, out: Outgoing) -> None:
        self.show(out)
