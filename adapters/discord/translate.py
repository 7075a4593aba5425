"""Pure translation between Discord's raw interaction/message data and the
core's neutral types.

Nothing here touches the network or a discord.py client, so every rule can be
checked against a recorded payload.  Translation must never raise on odd
input: Discord adds fields and kinds over time and clients can be creative, so
anything we cannot or should not handle becomes ``None``.

Conventions shared with the core:

* Buttons carry the core's choice id in their ``custom_id`` as
  ``mb:<choice id>`` (:data:`BUTTON_PREFIX`), so a press can be understood by
  any process, before or after a restart, with no stored view state.
* A choice whose id starts with ``ask:`` (``ask:goal``) asks for free text: the
  button opens a modal with one text field (custom_id ``mbm:<choice id>``) and
  the submitted text reaches the core as a plain :class:`~bot.core.types.TextIn`
  (the core's dialog state knows what it was waiting for).
* A DM is addressed by its DM channel id.  When only the user id is known
  (an organiser imported a roster) the chat id is ``u<user id>``
  (:data:`USER_CHAT_PREFIX`) and the transport opens the DM channel on send.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.sanitize import clean_actor, clean_event, no_surrogates
from bot.core.types import (
    Actor,
    Address,
    AddressKind,
    Attachment,
    ChoiceIn,
    CommandIn,
    Event,
    Reply,
    TextIn,
)

PLATFORM = "discord"

BUTTON_PREFIX = "mb:"
MODAL_PREFIX = "mbm:"
ASK_PREFIX = "ask:"
USER_CHAT_PREFIX = "u"
#: custom_id of the single text field in an ``ask:`` modal.
MODAL_FIELD_ID = "text"

# Discord limits (https://discord.com/developers/docs): violating them makes the
# whole request fail, so we clip rather than hope.
MAX_CONTENT = 2000
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_BUTTONS_PER_ROW = 5
MAX_ROWS = 5
MAX_BUTTONS = MAX_BUTTONS_PER_ROW * MAX_ROWS
MAX_MODAL_TITLE = 45
MAX_TEXT_INPUT_LABEL = 45
MAX_TEXT_INPUT = 4000
MAX_COMMAND_DESCRIPTION = 100
MAX_TEXT_IN = 4000
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")

#: Interaction types (Discord API ``InteractionType``).
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5
#: Component types.
BUTTON = 2
ACTION_ROW = 1
TEXT_INPUT = 4
LABEL = 18
#: Channel types that are private conversations with the bot.
DM_CHANNEL_TYPES = frozenset({1, 3})
#: Discord's ``flags`` bit for an ephemeral message.
EPHEMERAL_FLAG = 64

#: Discord locales for which slash commands get localized descriptions.
COMMAND_LOCALES: Mapping[str, str] = {"sv-SE": "sv", "en-US": "en", "en-GB": "en"}

_log = logging.getLogger(__name__)


class CommandSpecLike(Protocol):
    """The part of the core's ``CommandSpec`` Discord needs (structural, so
    this module does not depend on the core's registry module)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> dict[str, str] | None: ...
    @property
    def args(self) -> str | None: ...
    @property
    def where(self) -> frozenset[str]: ...
    @property
    def organiser_only(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class InteractionContext:
    """Who acted, where, and in which language: the part of an interaction
    that does not depend on its type."""

    actor: Actor
    address: Address


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    custom_id: str
    label: str
    opens_modal: bool = False


@dataclass(frozen=True, slots=True)
class ModalSpec:
    custom_id: str
    title: str
    field_label: str


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """One neutral :class:`Reply` as Discord needs it: the text split into
    messages of at most 2000 characters; buttons and files go on the last."""

    contents: tuple[str, ...]
    buttons: tuple[ButtonSpec, ...] = ()
    files: tuple[Attachment, ...] = ()
    ephemeral: bool = False
    replace: bool = False


@dataclass(frozen=True, slots=True)
class SlashCommandSpec:
    """A slash command ready for discord.py: names are Discord-valid, the
    descriptions are clipped, ``localized`` maps Discord locale → text."""

    name: str
    core_name: str
    description: str
    localized: Mapping[str, str]
    arg: str | None
    in_dms: bool
    in_guilds: bool
    organiser_only: bool
    extra: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- inbound


def language_of(locale: object) -> str | None:
    """Discord's ``sv-SE``/``en-US`` → ``sv``/``en``: the core speaks
    languages, not regional locales (Telegram gives the same short codes)."""
    if not isinstance(locale, str) or not locale:
        return None
    lang = locale.split("-", 1)[0].strip().lower()
    return lang if lang.isalpha() and len(lang) <= 8 else None


def _snowflake(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return value
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _user_name(user: Mapping[str, Any]) -> str:
    for key in ("global_name", "username"):
        value = user.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def context_from_payload(payload: Mapping[str, Any]) -> InteractionContext | None:
    """The actor and address of a raw ``INTERACTION_CREATE`` payload.

    In a guild the user sits inside ``member``; in a DM it is ``user``.  A DM
    is recognised by the missing ``guild_id`` (and the channel type when
    present), and addressed by its channel id.
    """
    if not isinstance(payload, Mapping):
        return None
    member = _mapping(payload.get("member"))
    user = _mapping(member.get("user")) or _mapping(payload.get("user"))
    user_id = _snowflake(user.get("id"))
    if user_id is None or user.get("bot") is True:
        return None
    channel = _mapping(payload.get("channel"))
    channel_id = _snowflake(payload.get("channel_id")) or _snowflake(channel.get("id"))
    guild_id = _snowflake(payload.get("guild_id"))
    channel_type = channel.get("type")
    in_dm = guild_id is None and (channel_type is None or channel_type in DM_CHANNEL_TYPES)
    kind: AddressKind = "dm" if in_dm else "group"
    if channel_id is None:
        if not in_dm:
            return None
        chat_id = USER_CHAT_PREFIX + user_id
    else:
        chat_id = channel_id
    nick = member.get("nick")
    name = nick if isinstance(nick, str) and nick else _user_name(user)
    actor = Actor(PLATFORM, user_id, name, language_of(payload.get("locale")), f"u{user_id}")
    return InteractionContext(clean_actor(actor), Address(PLATFORM, chat_id, None, kind))


def _option_text(options: object) -> str:
    """The value of the first string option (our commands have at most one
    free-text argument); sub-command nesting is flattened defensively."""
    if not isinstance(options, Sequence) or isinstance(options, str | bytes):
        return ""
    for option in options:
        option = _mapping(option)
        value = option.get("value")
        if isinstance(value, str):
            return value.strip()[:MAX_TEXT_IN]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        nested = _option_text(option.get("options"))
        if nested:
            return nested
    return ""


def command_event(
    data: Mapping[str, Any], ctx: InteractionContext, core_names: Mapping[str, str]
) -> CommandIn | None:
    """A slash command's raw ``data`` → :class:`CommandIn` (``core_names``
    maps the Discord command name back to the core's)."""
    name = data.get("name")
    if not isinstance(name, str) or data.get("type", 1) != 1:
        return None
    core_name = core_names.get(name)
    if core_name is None:
        return None
    return CommandIn(ctx.actor, ctx.address, core_name, _option_text(data.get("options")))


def choice_of_custom_id(custom_id: object) -> str | None:
    """``mb:agr:3:yes`` → ``agr:3:yes``; anything else is not ours."""
    if not isinstance(custom_id, str) or not custom_id.startswith(BUTTON_PREFIX):
        return None
    choice = no_surrogates(custom_id[len(BUTTON_PREFIX) :])
    if not choice or len(choice.encode()) > 64:
        return None
    return choice


def choice_event(data: Mapping[str, Any], ctx: InteractionContext) -> ChoiceIn | None:
    """A button press → :class:`ChoiceIn`.  ``ask:`` buttons open a modal and
    never reach the core as a choice, so they give ``None`` here."""
    if data.get("component_type", BUTTON) != BUTTON:
        return None
    choice = choice_of_custom_id(data.get("custom_id"))
    if choice is None or choice.startswith(ASK_PREFIX):
        return None
    return ChoiceIn(ctx.actor, ctx.address, choice)


def _walk_inputs(components: object, depth: int = 0) -> Iterable[Mapping[str, Any]]:
    """Text inputs of a modal submit, whether wrapped in action rows (type 1,
    older layout) or labels (type 18, newer layout)."""
    if depth > 3 or not isinstance(components, Sequence) or isinstance(components, str | bytes):
        return
    for component in components:
        component = _mapping(component)
        kind = component.get("type")
        if kind == ACTION_ROW:
            yield from _walk_inputs(component.get("components"), depth + 1)
        elif kind == LABEL:
            yield from _walk_inputs([component.get("component")], depth + 1)
        elif kind == TEXT_INPUT:
            yield component


def modal_event(data: Mapping[str, Any], ctx: InteractionContext) -> TextIn | None:
    """An ``ask:`` modal's submit → :class:`TextIn` with the entered text."""
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.startswith(MODAL_PREFIX + ASK_PREFIX):
        return None
    for component in _walk_inputs(data.get("components")):
        if component.get("custom_id") != MODAL_FIELD_ID:
            continue
        value = component.get("value")
        if isinstance(value, str) and value.strip():
            return TextIn(ctx.actor, ctx.address, value.strip()[:MAX_TEXT_IN])
    return None


def interaction_event(
    kind: object,
    data: object,
    ctx: InteractionContext,
    core_names: Mapping[str, str],
) -> Event | None:
    """Any interaction's type and raw ``data`` → a neutral event, or ``None``."""
    if not isinstance(data, Mapping):
        return None
    # unpaired surrogates (valid JSON escapes) would fail every write
    if kind == APPLICATION_COMMAND:
        return clean_event(command_event(data, ctx, core_names))
    if kind == MESSAGE_COMPONENT:
        return clean_event(choice_event(data, ctx))
    if kind == MODAL_SUBMIT:
        return clean_event(modal_event(data, ctx))
    return None


def event_from_payload(payload: object, core_names: Mapping[str, str]) -> Event | None:
    """A whole raw ``INTERACTION_CREATE`` payload → a neutral event."""
    if not isinstance(payload, Mapping):
        return None
    ctx = context_from_payload(payload)
    if ctx is None:
        return None
    return interaction_event(payload.get("type"), payload.get("data"), ctx, core_names)


def dm_message_event(
    *,
    user_id: object,
    display_name: str,
    channel_id: object,
    content: object,
    is_bot: bool,
    in_guild: bool,
) -> TextIn | None:
    """A plain DM to the bot → :class:`TextIn`.  Guild messages are not read
    (that needs the privileged message-content intent); circles talk to the
    bot through slash commands, buttons and modals."""
    uid = _snowflake(user_id)
    cid = _snowflake(channel_id)
    if is_bot or in_guild or uid is None or cid is None or not isinstance(content, str):
        return None
    text = content.strip()
    if not text:
        return None
    actor = Actor(PLATFORM, uid, display_name, None, f"u{uid}")
    return clean_event(TextIn(actor, Address(PLATFORM, cid, None, "dm"), text[:MAX_TEXT_IN]))


def ask_modal(custom_id: object, label: str | None) -> ModalSpec | None:
    """The modal an ``ask:`` button opens; its title and field label are the
    button's own label (from the core's content), clipped to Discord's 45."""
    choice = choice_of_custom_id(custom_id)
    if choice is None or not choice.startswith(ASK_PREFIX):
        return None
    text = (label or "").strip() or choice
    return ModalSpec(
        custom_id=MODAL_PREFIX + choice,
        title=_clip(text, MAX_MODAL_TITLE),
        field_label=_clip(text, MAX_TEXT_INPUT_LABEL),
    )


# --------------------------------------------------------------------------- outbound


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_content(text: str, limit: int = MAX_CONTENT) -> tuple[str, ...]:
    """Cut text into Discord-sized messages, preferring paragraph, then line,
    then word boundaries so nothing is cut mid-word when avoidable."""
    text = text.strip()
    if not text:
        return ("",)
    parts: list[str] = []
    while len(text) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = text.rfind(sep, 0, limit + 1)
            if cut > limit // 2:
                break
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return tuple(p for p in parts if p) or ("",)


def render_reply(reply: Reply, *, in_guild: bool) -> MessageSpec:
    """A neutral :class:`Reply` → what Discord needs.  ``private`` only
    matters in a guild (a DM is private anyway); there it means ephemeral."""
    buttons: list[ButtonSpec] = []
    for choice in reply.choices:
        custom_id = BUTTON_PREFIX + choice.id
        if len(custom_id) > MAX_CUSTOM_ID:
            _log.warning("choice id too long for a Discord custom_id; button dropped")
            continue
        label = _clip(choice.label.strip() or choice.id, MAX_BUTTON_LABEL)
        buttons.append(ButtonSpec(custom_id, label, choice.id.startswith(ASK_PREFIX)))
    if len(buttons) > MAX_BUTTONS:
        _log.warning("%d choices exceed Discord's %d buttons", len(buttons), MAX_BUTTONS)
        buttons = buttons[:MAX_BUTTONS]
    return MessageSpec(
        contents=split_content(reply.text),
        buttons=tuple(buttons),
        files=tuple(reply.attachments),
        ephemeral=reply.private and in_guild,
        replace=reply.replace,
    )


def button_rows(buttons: Sequence[ButtonSpec]) -> list[list[ButtonSpec]]:
    """Five buttons to a row: Discord's limit, and short rows read well."""
    return [
        list(buttons[i : i + MAX_BUTTONS_PER_ROW])
        for i in range(0, min(len(buttons), MAX_BUTTONS), MAX_BUTTONS_PER_ROW)
    ]


def slash_command_name(name: str) -> str | None:
    """Discord command names are 1–32 lowercase letters, digits, ``-``/``_``."""
    candidate = name.strip().lower()
    return candidate if COMMAND_NAME.match(candidate) else None


def option_name(name: str) -> str:
    """An argument name the core wrote for people (``sv|en``) → a valid
    Discord option name (``sv_en``); Discord shows it, the core never sees it."""
    cleaned = re.sub(r"[^-_\w]+", "_", name.strip().lower()).strip("_")[:32]
    return cleaned or "text"


def slash_commands(
    specs: Iterable[CommandSpecLike], default_language: str = "sv"
) -> list[SlashCommandSpec]:
    """The core's registry → slash commands.  The base description is in the
    programme's default language; ``sv-SE``/``en-US``/``en-GB`` get their own.
    Names stay unlocalized: they are what the core recognises."""
    out: list[SlashCommandSpec] = []
    seen: set[str] = set()
    for spec in specs:
        name = slash_command_name(spec.name)
        if name is None or name in seen:
            _log.warning("command %r is not a valid Discord command name; skipped", spec.name)
            continue
        seen.add(name)
        texts = {k: v.strip() for k, v in (spec.description or {}).items() if v and v.strip()}
        base = texts.get(default_language) or next(iter(texts.values()), name)
        localized = {
            locale: _clip(texts[lang], MAX_COMMAND_DESCRIPTION)
            for locale, lang in COMMAND_LOCALES.items()
            if lang in texts
        }
        arg = option_name(spec.args) if spec.args else None
        out.append(
            SlashCommandSpec(
                name=name,
                core_name=spec.name,
                description=_clip(base, MAX_COMMAND_DESCRIPTION),
                localized=localized,
                arg=arg,
                in_dms="dm" in spec.where,
                in_guilds="group" in spec.where,
                organiser_only=spec.organiser_only,
            )
        )
    return out
