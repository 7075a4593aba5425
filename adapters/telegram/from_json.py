"""Private text messages and commands read straight from an update's JSON.

The webhook gets each update as JSON.  Parsing a text message with PTB
(``Update.de_json``) builds an ``Update``, a ``Message`` of a hundred-odd
attributes, its ``User``, ``Chat`` and entities -- about as much CPU as the
rest of the adapter spends on the update -- when the translation reads only
the sender, the chat, the text and the first command entity.  Like
:func:`~adapters.telegram.translate.private_press` for button presses,
:func:`private_message` reads those few fields and gives the very event
:func:`~adapters.telegram.translate.update_to_event` gives for the parsed
update (``tests/adapters/test_telegram_from_json.py`` checks the two against
each other on generated payloads).  Anything else -- groups, topics, other
update kinds, a field of an unexpected type, a message the translation would
ignore -- gives ``None``, and the caller parses the update with PTB.
"""

from __future__ import annotations

from typing import Any

from adapters.telegram.translate import command_at_start, private_sender
from bot.core.sanitize import clean_event
from bot.core.types import CommandIn, Event, TextIn

_BOT_COMMAND = "bot_command"


def private_message(data: Any, bot_username: str | None) -> tuple[int, Event] | None:
    """``(update_id, event)`` for a text message or command in a private
    chat, or ``None`` to leave the update to PTB (see the module's docstring)."""
    try:
        if not isinstance(data, dict) or data.keys() != {"update_id", "message"}:
            return None
        update_id, message = data["update_id"], data["message"]
        text = message.get("text")
        if not (
            type(update_id) is int
            and type(message["message_id"]) is int
            and type(message["date"]) is int
            and type(text) is str
            and text.strip()
        ):
            return None
        sender = private_sender(message["chat"], message["from"], message)
        if sender is None:
            return None
        actor, address = sender
        length = _command_length(message.get("entities"))
        if length is False:
            return None
        event: Event
        command = command_at_start(text, length, bot_username)
        if command is None:
            event = TextIn(actor=actor, address=address, text=text.strip())
        else:
            name, args = command
            if not name:  # meant for another bot: ignored (PTB's path says so too)
                return None
            event = CommandIn(actor=actor, address=address, name=name, args=args)
        # unpaired surrogates (valid JSON escapes) would fail every write
        return update_id, clean_event(event)
    except (KeyError, TypeError, AttributeError, UnicodeError):
        return None


def _command_length(entities: Any) -> int | bool | None:
    """The length of the first ``bot_command`` entity at offset 0 (``None``:
    there is none); ``False`` for entities not shaped as the Bot API's."""
    if entities is None:
        return None
    if type(entities) is not list:
        return False
    found: int | None = None
    for entity in entities:
        if type(entity) is not dict:
            return False
        kind, offset, length = entity["type"], entity["offset"], entity["length"]
        if type(kind) is not str or type(offset) is not int or type(length) is not int:
            return False
        if found is None and kind == _BOT_COMMAND and offset == 0:
            found = length
    return found
