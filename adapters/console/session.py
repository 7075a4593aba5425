"""A console chat on the real core: act as several people, press buttons, move time.

One action a line (the script format of DESIGN.md):
``@name text`` (a command if it starts with ``/``), ``@name [label]`` or
``@name [2]`` (press a button on the newest message to ``name`` that has
live buttons; a label is looked for on older messages with live buttons too),
``@name [label] in "text"`` (press it on the newest message with live buttons
whose text contains ``text``), ``@name#group text`` (speak in the group chat ``group``),
``wait 3d`` or ``/wait 3d`` (m, h, d, w: the clock moves and due jobs fire),
``$ organiser command`` and ``# comment``.  Interactively every such line is
accepted as typed, plus ``/as name`` to change who you are and plain text
(or a ``/command``) to write as yourself.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shlex
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from adapters.console.transport import PLATFORM, ConsoleTransport
from bot.app import Core
from bot.core.sanitize import clean_event
from bot.core.types import Actor, Address, ChoiceIn, CommandIn, Event, TextIn

ACTION = re.compile(r"^@(?P<name>[\w.-]+)(?:#(?P<group>[\w.-]+))?\s*(?P<rest>.*)$", re.S)
BUTTON = re.compile(r"^\[(?P<sel>[^\]]+)\](?:\s+in\s+[\"”“](?P<within>[^\"”“]+)[\"”“])?$")
WAIT = re.compile(r"^(?P<n>\d+)\s*(?P<unit>[mhdw])$")
CODE_REF = re.compile(r"\{code:(?P<name>[^}]+)\}")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ScriptError(Exception):
    """A line the console cannot understand; the message names the line."""


def parse_duration(text: str) -> timedelta:
    match = WAIT.match(text.strip())
    if not match:
        raise ScriptError(f"expected a duration like 30m, 2h, 3d or 1w, got {text!r}")
    return timedelta(**{UNITS[match["unit"]]: int(match["n"])})


def actor(name: str) -> Actor:
    return Actor(PLATFORM, name.lower(), name[:1].upper() + name[1:], None)


#: Builds the parser of the organiser commands (``$ pair create ...``).  The
#: command line passes its own in, so the console never imports the CLI.
ParserFactory = Callable[[], argparse.ArgumentParser]


class ConsoleSession:
    def __init__(
        self,
        core: Core,
        write: Callable[[str], None],
        parser: ParserFactory | None = None,
    ):
        self.core = core
        self.write = write
        self.parser = parser
        self.transport = ConsoleTransport(write)
        self.codes: dict[str, str] = {}
        #: presses that found no button ("line 3: no button [Ja] for anna")
        self.misses: list[str] = []
        core.add_transport(self.transport)

    async def line(self, raw: str, lineno: int | None = None) -> None:
        """Run one script line."""
        text = raw.strip()
        if not text or text.startswith("#"):
            return
        where = f"line {lineno}: " if lineno is not None else ""
        if text.startswith("$ "):
            await self.organiser(text[2:])
            return
        if text.startswith(("wait ", "/wait ")):
            try:
                await self.wait(parse_duration(text.split(" ", 1)[1]))
            except ScriptError as exc:
                raise ScriptError(where + str(exc)) from None
            return
        match = ACTION.match(text)
        if not match:
            raise ScriptError(
                f"{where}expected '@name text', '@name [button]', '$ command' or 'wait 3d'"
            )
        if not await self.act(match["name"], match["rest"].strip(), group=match["group"]):
            self.misses.append(f"{where}no button {match['rest'].strip()} for {match['name']}")

    @staticmethod
    def is_script_line(text: str) -> bool:
        """A line in script form (as opposed to plain text from the current person)."""
        return text.startswith(("@", "#", "$ ", "wait ", "/wait "))

    async def organiser(self, command: str) -> None:
        """Run an organiser CLI command on this console's database and clock.

        Invite codes it prints can be used later in the script as
        ``{code:name}`` (the name as given to the command, any case; the newest
        code of that name), or ``{code:name@group}`` for a roster's group label.
        """
        self.write(f"$ {command}")
        if self.parser is None:
            raise ScriptError(f"organiser commands are not available here: {command!r}")
        try:
            args = self.parser().parse_args(shlex.split(command))
        except SystemExit:
            raise ScriptError(f"not an organiser command: {command!r}") from None
        args.settings = self.core.settings
        args.clock = self.core.clock
        args.out = self.write
        await asyncio.to_thread(args.handler, args)
        for key, code in _invites(getattr(args, "result", None) or {}):
            self.codes[key.casefold()] = code
        await self.core.delivery.deliver()  # what the command told people (pair end, replace...)

    def expand(self, text: str) -> str:
        return CODE_REF.sub(lambda m: self.codes.get(m["name"].casefold(), m[0]), text)

    async def act(self, name: str, text: str, *, group: str | None = None) -> bool:
        """Run one person's action; False when a press found no button."""
        text = self.expand(text)
        who = actor(name)
        address = (
            Address(PLATFORM, group, None, "group")
            if group
            else Address(PLATFORM, who.user_id, None, "dm")
        )
        self.write(f"@{name}{'#' + group if group else ''} {text}")
        button = BUTTON.match(text)
        event: Event
        pressed: str | None = None
        if button:
            chat = group or who.user_id
            found = self._pick(chat, button["sel"].strip(), button["within"])
            if found is None:
                self.write(f"   (no button {text} for {name})")
                return False
            pressed, choice_id = found
            event = ChoiceIn(who, address, choice_id, message_ref=pressed)
        elif text.startswith("/") and len(text) > 1:
            cmd, _, args = text[1:].partition(" ")
            event = CommandIn(who, address, cmd, args)
        else:
            event = TextIn(who, address, text)
        edits = pressed
        replies = await self.core.handle(clean_event(event))
        await self.core.deliver_edits()  # answered and superseded questions lose their buttons
        for out in replies:
            ref = self.transport.show(out, edits=edits if out.address == address else None)
            if out.reply.replace and out.address == address:
                edits = None
            await self.core.note_sent(out, ref)
        await self.core.deliver_outbox()
        return True

    async def wait(self, delta: timedelta) -> None:
        target = self.core.clock.now() + delta
        self.write(f"wait {_fmt(delta)}")
        await self.core.scheduler.run_until(target)

    def _pick(self, chat: str, selector: str, within: str | None) -> tuple[str, str] | None:
        """``(message id, choice id)`` of the button to press: by number on
        the newest message with live buttons, by label on the newest one that
        has it; with ``within``, only messages whose text contains it."""
        live = self.transport.live(chat)
        if within is not None:
            live = [s for s in live if within.casefold() in s.reply.text.casefold()]
        if not live:
            return None
        if selector.isdigit():
            newest = live[0]
            index = int(selector) - 1
            if 0 <= index < len(newest.reply.choices):
                return newest.ref, newest.reply.choices[index].id
            return None
        wanted = selector.casefold()
        for shown in live:
            for choice in shown.reply.choices:
                if choice.label.casefold().startswith(wanted):
                    return shown.ref, choice.id
        return None


def _fmt(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _invites(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, code) for every invite a command printed; a group's invites also as
    ``name@group`` (a mentor with two mentees has two codes: ``{code:Anna@p2}``)."""
    found = [
        (i["name"], i["code"])
        for i in list(result.get("invites", [])) + list(result.get("organisers", []))
        if isinstance(i, dict) and "code" in i and "name" in i  # `program show`: no codes
    ]
    # sign-up codes (program create --signup) as {code:signup-mentor}, {code:signup-mentee}
    found += [(f"signup-{s['role']}", s["code"]) for s in result.get("signup", [])]
    for item in result.get("groups", []):
        if isinstance(item, dict):
            label = item.get("group", {}).get("name", "")
            for i in item.get("invites", []):
                found += [(i["name"], i["code"]), (f"{i['name']}@{label}", i["code"])]
    return found
