"""Neutral events and replies: the only vocabulary adapters and the core share.

Adapters translate native updates into these and back; the core never sees a
platform object.  Everything is frozen so an event can be retried safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AddressKind = Literal["dm", "group"]

#: Telegram limits callback_data to 64 bytes; every choice id must fit.
MAX_CHOICE_ID_BYTES = 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sent an event, as the platform knows them.

    ``dm_chat_id`` is where a private message to this person can go, when the
    platform knows it without a private chat having happened (Telegram: the
    user id; Discord: ``u<user id>``, opened by the transport on first use).
    """

    platform: str
    user_id: str
    display_name: str
    locale: str | None = None
    dm_chat_id: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message goes: a private chat (dm) or a group chat/channel."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    kind: AddressKind = "dm"


@dataclass(frozen=True, slots=True)
class TextIn:
    actor: Actor
    address: Address
    text: str


@dataclass(frozen=True, slots=True)
class CommandIn:
    """A slash command; ``args`` is the raw rest of the line."""

    actor: Actor
    address: Address
    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class ChoiceIn:
    """A pressed button; ``choice_id`` is the core's own id (``agr:3:yes``)."""

    actor: Actor
    address: Address
    choice_id: str
    #: the platform's id of the message whose button was pressed, when known
    message_ref: str | None = None


Event = TextIn | CommandIn | ChoiceIn


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str

    def __post_init__(self) -> None:
        if len(self.id.encode()) > MAX_CHOICE_ID_BYTES:
            raise ValueError(f"choice id longer than {MAX_CHOICE_ID_BYTES} bytes: {self.id!r}")


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message.  ``replace`` asks the adapter to edit the message whose
    button was pressed instead of sending a new one; ``private`` asks for an
    answer only the actor sees when the event came from a group.

    ``question`` is set by the engine on a message with buttons (its
    ``live_questions`` row), so the adapter can report the platform's id of
    the sent message.  ``clears`` makes the reply an edit that only removes
    the buttons of the already sent message with that platform id.
    ``lapses`` marks an optional offer ("a tour of the guide?"): it loses its
    buttons as soon as any later question reaches the same person, so the
    newest question is the one live in the chat.  ``series`` names a kind of
    question that is asked again and again (a mentor's weekly coaching
    question about one pair): a newer question of the same series to the same
    person or group supersedes the older one, as a newer question on the same
    topic does, so only the newest of a series stays open."""

    text: str
    choices: tuple[Choice, ...] = ()
    replace: bool = False
    private: bool = False
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    question: int | None = None
    clears: str | None = None
    lapses: bool = False
    series: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply on its way to ``address``.  ``idem_key`` is set for messages
    from the outbox (the row's idempotency key, the same on every attempt),
    so a transport whose platform can deduplicate sends may pass it on
    (direct replies have one too, since they go through the outbox).
    ``edit_ref`` is the platform's id of the message a ``replace`` reply
    edits (the message whose button was pressed)."""

    address: Address
    reply: Reply
    idem_key: str | None = None
    edit_ref: str | None = None
