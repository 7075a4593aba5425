"""Pure translation between Telegram objects and the core's neutral types.

Nothing here touches the network, so every rule can be checked with a
recorded payload.  Translation must never raise on odd input (Telegram sends
many update kinds we do not care about, and clients can be creative): an
update we cannot or should not handle becomes ``None``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)

from bot.core.sanitize import clean_event
from bot.core.types import Actor, Address, AddressKind, ChoiceIn, CommandIn, Event, Reply, TextIn

PLATFORM = "telegram"

#: Bot API limits for ``setMyCommands``.
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
MIN_DESCRIPTION = 3
MAX_DESCRIPTION = 256
MAX_COMMANDS = 100

#: Keyboard layout: the longest label decides how many buttons share a row, so
#: rows stay even (Telegram stretches buttons to equal width) and nothing gets
#: cut off on a phone screen.
THREE_PER_ROW_MAX_LABEL = 10
TWO_PER_ROW_MAX_LABEL = 20

_log = logging.getLogger(__name__)

_CHAT_KINDS: dict[str, AddressKind] = {
    Chat.PRIVATE: "dm",
    Chat.GROUP: "group",
    Chat.SUPERGROUP: "group",
}


class CommandSpecLike(Protocol):
    """The part of the core's ``CommandSpec`` the menu needs (kept structural
    so this module does not depend on the core's registry module)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> dict[str, str] | None: ...
    @property
    def where(self) -> frozenset[str]: ...
    @property
    def organiser_only(self) -> bool: ...


def update_to_event(update: Update, bot_username: str | None = None) -> Event | None:
    """Turn a native update into a neutral event, or ``None`` to ignore it.

    ``bot_username`` (without ``@``) lets group messages be checked for being
    addressed to this bot: a ``/cmd@otherbot`` is ignored, and in groups plain
    text only counts when it replies to or mentions the bot, because the rest
    is people talking to each other.
    """
    try:
        # unpaired surrogates (valid JSON escapes) would fail every write
        if update.callback_query is not None:
            return clean_event(_choice(update.callback_query))
        if update.message is not None:
            return clean_event(_message(update.message, bot_username))
    except (AttributeError, TypeError, ValueError, IndexError, UnicodeError):
        # A payload the library could parse but that breaks our assumptions:
        # ignoring it is safer than crashing the update loop.
        _log.warning("ignored an unexpected Telegram update shape", exc_info=True)
    return None


def private_sender(chat: Any, user: Any, message: Any) -> tuple[Actor, Address] | None:
    """The sender and chat of a private message read from its JSON, as
    :func:`update_to_event` makes them from PTB's parse; ``None`` for a group,
    a topic, a bot or a field of an unexpected type (the caller then leaves
    the update to PTB).  Raises ``KeyError``/``TypeError`` on a missing field."""
    first, last = user["first_name"], user.get("last_name")
    locale = user.get("language_code")
    if not (
        type(chat["id"]) is int
        and chat.get("type") == Chat.PRIVATE
        and not message.get("is_topic_message")
        and type(user["id"]) is int
        and user.get("is_bot") is False
        and type(first) is str
        and (last is None or type(last) is str)
        and (locale is None or type(locale) is str)
    ):
        return None
    user_id = str(user["id"])
    # as PTB's ``User.full_name``: no first name, no full name
    full_name = (f"{first} {last}" if last else first) if first else None
    actor = Actor(
        platform=PLATFORM,
        user_id=user_id,
        display_name=full_name or user_id,
        locale=locale or None,
        dm_chat_id=user_id,
    )
    address = Address(platform=PLATFORM, chat_id=str(chat["id"]), thread_id=None, kind="dm")
    return actor, address


def private_press(data: Any) -> tuple[int, str, ChoiceIn, str] | None:
    """A button press in a private chat, read straight from an update's JSON:
    ``(update_id, callback query id, event, pressed message id)``, the same
    event :func:`update_to_event` gives for it.

    Most webhook updates are such presses, and parsing one with PTB builds a
    ``Message`` of a hundred-odd attributes (with its text, keyboard and
    sender) of which only the chat and the message id are read.  Anything
    else -- another update kind, a group, a topic, a field of an unexpected
    type -- gives ``None``, and the caller parses the update with PTB."""
    try:
        if not isinstance(data, dict) or data.keys() != {"update_id", "callback_query"}:
            return None
        update_id, query = data["update_id"], data["callback_query"]
        message, choice = query["message"], query.get("data")
        if not (
            type(update_id) is int
            and type(query["id"]) is str
            and type(choice) is str
            and choice
            and type(message["message_id"]) is int
        ):
            return None
        sender = private_sender(message["chat"], query["from"], message)
        if sender is None:
            return None
        actor, address = sender
        ref = str(message["message_id"])
        event = clean_event(
            ChoiceIn(actor=actor, address=address, choice_id=choice, message_ref=ref)
        )
    except (KeyError, TypeError, AttributeError, UnicodeError):
        return None
    return update_id, query["id"], event, ref


def _actor(user: User | None) -> Actor | None:
    if user is None or user.is_bot:
        return None
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.full_name or str(user.id),
        locale=user.language_code or None,
        dm_chat_id=str(user.id),
    )


def _address(chat: Chat | None, message: Message | None) -> Address | None:
    if chat is None:
        return None
    kind = _CHAT_KINDS.get(chat.type)
    if kind is None:  # channels and unknown chat types
        return None
    thread_id = None
    if message is not None and getattr(message, "is_topic_message", False):
        if message.message_thread_id is not None:
            thread_id = str(message.message_thread_id)
    return Address(platform=PLATFORM, chat_id=str(chat.id), thread_id=thread_id, kind=kind)


def _choice(query: CallbackQuery) -> ChoiceIn | None:
    actor = _actor(query.from_user)
    if actor is None or not isinstance(query.data, str) or not query.data:
        return None
    message = query.message
    if message is None:  # inline-mode buttons: not ours
        return None
    full = message if isinstance(message, Message) else None
    address = _address(message.chat, full)
    if address is None:
        return None
    return ChoiceIn(
        actor=actor, address=address, choice_id=query.data, message_ref=str(message.message_id)
    )


def _message(message: Message, bot_username: str | None) -> Event | None:
    actor = _actor(message.from_user)
    address = _address(message.chat, message)
    text = message.text
    if actor is None or address is None or not isinstance(text, str) or not text.strip():
        return None
    command = _command(message, text, bot_username)
    if command is not None:
        name, args = command
        if not name:
            return None
        return CommandIn(actor=actor, address=address, name=name, args=args)
    if address.kind == "group":
        stripped = _text_for_bot_in_group(message, text, bot_username)
        if stripped is None:
            return None
        text = stripped
    return TextIn(actor=actor, address=address, text=text.strip())


def _command(message: Message, text: str, bot_username: str | None) -> tuple[str, str] | None:
    """``(name, args)`` for a message starting with a bot_command entity.

    Returns ``("", "")`` for a command meant for another bot, so the caller
    drops it instead of treating it as text.
    """
    length = next(
        (
            e.length
            for e in message.entities
            if e.type == MessageEntity.BOT_COMMAND and e.offset == 0
        ),
        None,
    )
    return command_at_start(text, length, bot_username)


def command_at_start(
    text: str, length: int | None, bot_username: str | None
) -> tuple[str, str] | None:
    """:func:`_command` given the ``length`` of the message's first
    ``bot_command`` entity at offset 0 (``None``: there is none)."""
    if length is None or length < 2:
        return None
    # Offsets are in UTF-16 code units; a command is ASCII, but the rest of the
    # line need not be, so cut in UTF-16 and decode back.
    # (an unpaired surrogate is one code unit too: pass it, clean_event drops it)
    encoded = text.encode("utf-16-le", errors="surrogatepass")
    head = encoded[: length * 2].decode("utf-16-le", errors="surrogatepass")
    rest = encoded[length * 2 :].decode("utf-16-le", errors="surrogatepass")
    if not head.startswith("/"):
        return None
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return ("", "")
    return (name.lower(), rest.strip())


def _text_for_bot_in_group(message: Message, text: str, bot_username: str | None) -> str | None:
    """Group text the bot should read: a reply to the bot, or a mention of it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        if bot_username is None or (replied.from_user.username or "").lower() == (
            bot_username.lower()
        ):
            return text
    if bot_username:
        mention = f"@{bot_username}".lower()
        if mention in text.lower():
            start = text.lower().index(mention)
            return (text[:start] + text[start + len(mention) :]).strip() or None
    return None


B = TypeVar("B")


def reply_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """The inline keyboard for a reply's choices, laid out by label length."""
    if not reply.choices:
        return None
    buttons = [
        InlineKeyboardButton(text=choice.label, callback_data=choice.id) for choice in reply.choices
    ]
    return InlineKeyboardMarkup(_rows(buttons, [c.label for c in reply.choices]))


def reply_keyboard(reply: Reply) -> dict[str, Any] | None:
    """The same keyboard as :func:`reply_markup`, as the Bot API's JSON
    (``{"inline_keyboard": [[{"text": ..., "callback_data": ...}]]}``): what
    the transport sends, without building PTB objects only to turn them back
    into this dict for every message with buttons."""
    if not reply.choices:
        return None
    buttons = [{"text": choice.label, "callback_data": choice.id} for choice in reply.choices]
    return {"inline_keyboard": _rows(buttons, [c.label for c in reply.choices])}


def _rows(buttons: Sequence[B], labels: Sequence[str]) -> list[list[B]]:
    longest = max(len(label) for label in labels)
    if longest <= THREE_PER_ROW_MAX_LABEL:
        per_row = 3
    elif longest <= TWO_PER_ROW_MAX_LABEL:
        per_row = 2
    else:
        per_row = 1
    # Two buttons in a row of three would leave a lone button below; with
    # exactly four short buttons a 2x2 grid reads better than 3+1.
    if per_row == 3 and len(buttons) == 4:
        per_row = 2
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def command_menu(
    specs: Iterable[CommandSpecLike], lang: str, where: str = "dm"
) -> list[BotCommand]:
    """The command menu for one language and one chat kind (``dm`` or ``group``).

    Organiser-only commands stay out of the menu everyone sees; commands whose
    name or description Telegram would reject are skipped (logged) rather than
    failing the whole ``setMyCommands`` call.
    """
    menu: list[BotCommand] = []
    for spec in specs:
        if spec.organiser_only or where not in spec.where:
            continue
        if not COMMAND_NAME.fullmatch(spec.name):
            _log.debug("command %r left out of the Telegram menu: invalid name", spec.name)
            continue
        texts = spec.description or {}
        description = (texts.get(lang) or texts.get("en") or "").strip()
        description = " ".join(description.split())
        if len(description) < MIN_DESCRIPTION:
            _log.warning("command %r left out of the Telegram menu: no description", spec.name)
            continue
        if len(description) > MAX_DESCRIPTION:
            description = description[: MAX_DESCRIPTION - 1].rstrip() + "…"
        menu.append(BotCommand(spec.name, description))
        if len(menu) == MAX_COMMANDS:
            break
    return menu
