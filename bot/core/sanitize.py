"""Text from the platforms, made safe to store: no unpaired UTF-16 surrogates.

JSON allows ``"\\ud800"`` on its own; Python decodes it into a ``str`` that
cannot be encoded as UTF-8, so the first database write, log line or outgoing
message with it fails -- and a display name is written on every event, so one
such name made every event of that person fail.  Adapters pass each event
through :func:`clean_event` as they translate it; the core never sees one.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TypeVar, overload

from bot.core.types import Actor, ChoiceIn, CommandIn, Event, TextIn

#: a surrogate code point that is not part of a valid pair (a valid pair is
#: already one character in a Python str, so every surrogate left is unpaired)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

E = TypeVar("E", bound=TextIn | CommandIn | ChoiceIn)


def no_surrogates(text: str) -> str:
    """``text`` without unpaired surrogates (a pair written as two escapes is
    joined first, so emoji sent that way survive)."""
    if not _LONE_SURROGATE.search(text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return _LONE_SURROGATE.sub("", joined)


def clean_actor(actor: Actor) -> Actor:
    name = no_surrogates(actor.display_name).strip()
    return dataclasses.replace(
        actor,
        user_id=no_surrogates(actor.user_id),
        display_name=name or no_surrogates(actor.user_id),
        locale=no_surrogates(actor.locale) if actor.locale else actor.locale,
    )


@overload
def clean_event(event: E) -> E: ...
@overload
def clean_event(event: None) -> None: ...
def clean_event(event: E | None) -> E | None:
    """The same event with every text field free of unpaired surrogates."""
    if event is None:
        return None
    changes: dict[str, object] = {"actor": clean_actor(event.actor)}
    for name in ("text", "name", "args", "choice_id"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            changes[name] = no_surrogates(value)
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]


__all__ = ["Event", "clean_actor", "clean_event", "no_surrogates"]
