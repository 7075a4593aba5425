"""Private texts and commands read from the webhook's JSON give PTB's event.

The webhook reads them without PTB (``adapters.telegram.from_json``); for
every payload generated here, what it reads must be exactly the event the
PTB-parsed update translates to -- or ``None``, leaving the update to PTB.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from adapters.telegram.from_json import private_message
from adapters.telegram.translate import update_to_event
from bot.core.types import CommandIn, TextIn

BOT = Bot("123:abc")
ME = "mentor_test_bot"

#: text with what makes UTF-16 offsets differ from Python's (emoji), a lone
#: surrogate (a valid JSON escape), Swedish letters and blanks
_chars = st.sampled_from(["a", "Å", "ö", " ", "\n", "😀", "\ud83d", "@", "/", "_", "7"])
_free = st.lists(_chars, max_size=12).map("".join)
_heads = st.sampled_from(
    [
        *("", "/start", "/Start", "/help@mentor_test_bot", "/help@Mentor_Test_Bot"),
        *("/help@OtherBot", "/", "/@mentor_test_bot", "/x", "/möte", "/😀"),
    ]
)
_names = st.lists(_chars, max_size=6).map("".join)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


@st.composite
def _entities(draw: st.DrawFn, head: str) -> list[dict[str, Any]] | None:
    if draw(st.booleans()) and head:
        # what Telegram sends for a command: the entity covers it exactly
        return [{"type": "bot_command", "offset": 0, "length": _utf16(head)}]
    return draw(
        st.none()
        | st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["bot_command", "bold", "mention", "url"]),
                    "offset": st.integers(0, 3),
                    "length": st.integers(0, 30),
                }
            ),
            max_size=3,
        )
    )


@st.composite
def _payloads(draw: st.DrawFn) -> dict[str, Any]:
    user_id = draw(st.integers(min_value=1, max_value=2**40))
    first = draw(_names)
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first}
    last = draw(st.none() | _names)
    if last is not None:
        user["last_name"] = last
    locale = draw(st.none() | st.sampled_from(["", "sv", "en", "de"]))
    if locale is not None:
        user["language_code"] = locale
    head = draw(_heads)
    text = head + draw(st.sampled_from(["", " ", "  "])) + draw(_free)
    message: dict[str, Any] = {
        "message_id": draw(st.integers(min_value=1, max_value=2**31)),
        "date": 1764000000,
        "chat": {"id": user_id, "type": "private", "first_name": first},
        "from": user,
        "text": text,
    }
    entities = draw(_entities(head))
    if entities is not None:
        message["entities"] = entities
    return {"update_id": draw(st.integers(min_value=0, max_value=2**31)), "message": message}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads(), st.sampled_from([ME, None]))
def test_a_private_message_read_from_json_is_the_event_ptb_gives(
    payload: dict[str, Any], me: str | None
) -> None:
    parsed = Update.de_json(payload, BOT)
    assert parsed is not None
    expected = update_to_event(parsed, me)
    fast = private_message(payload, me)
    if expected is None:
        assert fast is None
        return
    assert fast == (payload["update_id"], expected)


def test_commands_and_texts_are_read() -> None:
    ada = {"id": 42, "is_bot": False, "first_name": "Ada", "language_code": "sv"}
    chat = {"id": 42, "type": "private", "first_name": "Ada"}
    base = {"message_id": 3, "date": 1764000000, "chat": chat, "from": ada}
    command = {
        **base,
        "text": "/start@mentor_test_bot  ABC 😀",
        "entities": [{"type": "bot_command", "offset": 0, "length": 22}],
    }
    read = private_message({"update_id": 5, "message": command}, ME)
    assert read is not None and read[0] == 5
    assert isinstance(read[1], CommandIn)
    assert (read[1].name, read[1].args, read[1].address.kind) == ("start", "ABC 😀", "dm")
    text = private_message({"update_id": 6, "message": {**base, "text": "  hej  "}}, ME)
    assert text is not None and isinstance(text[1], TextIn) and text[1].text == "hej"
    assert text[1].actor.display_name == "Ada" and text[1].actor.locale == "sv"


def test_other_messages_are_left_to_ptb() -> None:
    user = {"id": 5, "is_bot": False, "first_name": "Bo"}
    chat = {"id": 5, "type": "private"}
    message: dict[str, Any] = {
        "message_id": 3,
        "date": 1764000000,
        "chat": chat,
        "from": user,
        "text": "hej",
    }
    assert private_message({"update_id": 1, "message": message}, ME) is not None
    group = {"id": -100, "type": "supergroup", "title": "Cirkel"}
    other_bot = [{"type": "bot_command", "offset": 0, "length": 12}]
    odd: list[Any] = [
        {"update_id": 1, "message": {**message, "chat": group}},
        {"update_id": 1, "message": {**message, "is_topic_message": True}},
        {"update_id": 1, "message": {**message, "from": {**user, "is_bot": True}}},
        {"update_id": 1, "message": {**message, "from": {**user, "id": "5"}}},
        {"update_id": 1, "message": {k: v for k, v in message.items() if k != "from"}},
        {"update_id": 1, "message": {k: v for k, v in message.items() if k != "text"}},
        {"update_id": 1, "message": {**message, "text": "   "}},
        {"update_id": 1, "message": {**message, "entities": {"type": "bot_command"}}},
        {"update_id": 1, "message": {**message, "entities": [{"type": "bold", "offset": 0}]}},
        {"update_id": 1, "message": {**message, "text": "/start@another", "entities": other_bot}},
        {"update_id": "1", "message": message},
        {"update_id": 1, "message": message, "callback_query": {}},
        {"update_id": 1, "edited_message": message},
        [],
    ]
    for payload in odd:
        assert private_message(payload, ME) is None, payload
