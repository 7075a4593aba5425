"""Translation between Telegram updates and neutral events, with recorded payloads."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from adapters.telegram.translate import (
    command_menu,
    private_press,
    reply_keyboard,
    reply_markup,
    update_to_event,
)
from bot.core.types import Actor, Address, Choice, ChoiceIn, CommandIn, Reply, TextIn

BOT = Bot("123:abc")
ME = "mentor_test_bot"

ADA = {"id": 42, "is_bot": False, "first_name": "Ada", "last_name": "L", "language_code": "en"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Ada"}
GROUP = {"id": -100777, "type": "supergroup", "title": "Circle", "is_forum": True}
BOT_USER = {"id": 123, "is_bot": True, "first_name": "Mentorbot", "username": ME}


def update(payload: dict[str, Any]) -> Update:
    parsed = Update.de_json({"update_id": 1, **payload}, BOT)
    assert parsed is not None
    return parsed


def message(text: str, chat: dict[str, Any] = PRIVATE, **extra: Any) -> Update:
    return update({"message": {**_msg(text, chat), **extra}})


def _msg(text: str, chat: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": 7, "date": 1764000000, "chat": chat, "from": ADA, "text": text}


def command(text: str, length: int, chat: dict[str, Any] = PRIVATE) -> Update:
    entities = [{"type": "bot_command", "offset": 0, "length": length}]
    return message(text, chat, entities=entities)


DM = Address("telegram", "42", None, "dm")
ACTOR = Actor("telegram", "42", "Ada L", "en", "42")


def test_private_text_becomes_text_in() -> None:
    assert update_to_event(message("  hello  "), ME) == TextIn(ACTOR, DM, "hello")


def test_deep_link_start_carries_the_code() -> None:
    event = update_to_event(command("/start inv_AbC123", 6), ME)
    assert event == CommandIn(ACTOR, DM, "start", "inv_AbC123")


def test_command_with_bot_name_is_stripped_and_lowercased() -> None:
    event = update_to_event(command("/Help@Mentor_Test_Bot", 21, GROUP), ME)
    assert isinstance(event, CommandIn)
    assert (event.name, event.args, event.address.kind) == ("help", "", "group")


def test_command_for_another_bot_is_ignored() -> None:
    assert update_to_event(command("/help@other_bot", 15, GROUP), ME) is None


def test_command_args_after_non_bmp_text_are_cut_in_utf16() -> None:
    event = update_to_event(command("/note 🎉 möte på fredag", 5), ME)
    assert event == CommandIn(ACTOR, DM, "note", "🎉 möte på fredag")


def test_slash_without_entity_is_plain_text() -> None:
    assert update_to_event(message("/start"), ME) == TextIn(ACTOR, DM, "/start")


def test_group_chatter_is_ignored_but_replies_to_the_bot_are_read() -> None:
    assert update_to_event(message("lunch?", GROUP), ME) is None
    reply_to_bot = {"message_id": 3, "date": 1764000000, "chat": GROUP, "from": BOT_USER}
    event = update_to_event(message("Fredag 10:00", GROUP, reply_to_message=reply_to_bot), ME)
    assert isinstance(event, TextIn) and event.text == "Fredag 10:00"
    mention = update_to_event(message(f"@{ME} agenda: budget", GROUP), ME)
    assert isinstance(mention, TextIn) and mention.text == "agenda: budget"


def test_forum_topic_becomes_thread_id() -> None:
    event = update_to_event(
        message("x", GROUP, is_topic_message=True, message_thread_id=55, entities=[]), None
    )
    # Plain text in a group without a reply/mention is ignored; a command is not.
    assert event is None
    cmd = update(
        {
            "message": {
                **_msg("/agenda", GROUP),
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
                "is_topic_message": True,
                "message_thread_id": 55,
            }
        }
    )
    parsed = update_to_event(cmd, ME)
    assert isinstance(parsed, CommandIn) and parsed.address.thread_id == "55"


def test_callback_query_becomes_choice_in() -> None:
    query = {
        "id": "99",
        "from": ADA,
        "chat_instance": "1",
        "data": "agr:3:yes",
        "message": {"message_id": 12, "date": 1764000000, "chat": PRIVATE, "from": BOT_USER},
    }
    # the pressed message's id comes along: its buttons go once answered (issue 20)
    assert update_to_event(update({"callback_query": query}), ME) == ChoiceIn(
        ACTOR, DM, "agr:3:yes", message_ref="12"
    )


def test_updates_without_a_user_or_text_are_ignored() -> None:
    channel = {"id": -1001, "type": "channel", "title": "News"}
    post = {"message_id": 1, "date": 1764000000, "chat": channel, "text": "hi"}
    assert update_to_event(update({"channel_post": post}), ME) is None
    no_user = {"message_id": 1, "date": 1764000000, "chat": PRIVATE, "text": "hi"}
    assert update_to_event(update({"message": no_user}), ME) is None
    sticker = {**_msg("", PRIVATE)}
    del sticker["text"]
    assert update_to_event(update({"message": sticker}), ME) is None
    inline_query = {"id": "1", "from": ADA, "chat_instance": "1", "data": "x"}
    assert update_to_event(update({"callback_query": inline_query}), ME) is None


def test_missing_language_gives_no_locale() -> None:
    user = {"id": 5, "is_bot": False, "first_name": "Bo"}
    msg = {"message_id": 1, "date": 1764000000, "chat": {"id": 5, "type": "private"}}
    event = update_to_event(update({"message": {**msg, "from": user, "text": "hej"}}), ME)
    assert isinstance(event, TextIn) and event.actor.locale is None
    assert event.actor.display_name == "Bo"


def row_sizes(reply: Reply) -> list[int]:
    markup = reply_markup(reply)
    assert markup is not None
    return [len(row) for row in markup.inline_keyboard]


def test_keyboard_layout_follows_label_length() -> None:
    short = Reply("q", choices=tuple(Choice(f"s:{i}", label) for i, label in enumerate("ABCDE")))
    medium = Reply(
        "q",
        choices=(
            Choice("m:1", "Varannan vecka"),
            Choice("m:2", "Varje vecka"),
            Choice("m:3", "En gång i månaden"),
        ),
    )
    long = Reply(
        "q", choices=(Choice("l:1", "Jag vill byta mentor, det fungerar inte"), Choice("l:2", "Ok"))
    )
    assert row_sizes(short) == [3, 2]
    assert row_sizes(medium) == [2, 1]
    assert row_sizes(long) == [1, 1]
    four = Reply("q", choices=tuple(Choice(f"f:{i}", label) for i, label in enumerate("ABCD")))
    assert row_sizes(four) == [2, 2]
    button = reply_markup(long).inline_keyboard[0][0]  # type: ignore[union-attr]
    assert button.callback_data == "l:1"
    assert reply_markup(Reply("no buttons")) is None


@given(st.lists(st.text(min_size=1, max_size=45), min_size=1, max_size=9))
def test_the_keyboard_sent_as_json_is_the_ptb_keyboard(labels: list[str]) -> None:
    """The transport sends :func:`reply_keyboard`'s dict as it is; it must be
    exactly what PTB would have sent for :func:`reply_markup`'s objects."""
    reply = Reply("q", choices=tuple(Choice(f"k:{i}", label) for i, label in enumerate(labels)))
    markup = reply_markup(reply)
    assert markup is not None
    assert reply_keyboard(reply) == markup.to_dict()
    assert reply_keyboard(Reply("no buttons")) is None


class Spec:
    def __init__(self, name: str, sv: str, en: str, where: str = "dm", org: bool = False):
        self.name, self.where, self.organiser_only = name, frozenset({where}), org
        self.description = {"sv": sv, "en": en}


def test_command_menu_respects_telegram_limits() -> None:
    specs = [
        Spec("start", "Börja", "Start"),
        Spec("help", "Hjälp med allt", "Help with everything"),
        Spec("report", "Rapport", "Report", org=True),
        Spec("circle", "Cirkeln", "The circle", where="group"),
        Spec("Bad-Name", "Ogiltig", "Invalid"),
        Spec("x", "ab", "ab"),
        Spec("long", "å" * 300, "a" * 300),
    ]
    sv = command_menu(specs, "sv")
    assert [c.command for c in sv] == ["start", "help", "long"]
    assert sv[0].description == "Börja"
    assert len(sv[2].description) == 256
    assert [c.command for c in command_menu(specs, "en", "group")] == ["circle"]
    assert command_menu(specs, "en")[1].description == "Help with everything"


# --- property: translation never raises -----------------------------------

text = st.text(max_size=40)
ints = st.integers(min_value=-(2**40), max_value=2**40)
entity = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["bot_command", "mention", "bold", "url", "weird"]),
        "offset": st.integers(-3, 50),
        "length": st.integers(-3, 60),
    }
)
user = st.fixed_dictionaries(
    {"id": ints, "is_bot": st.booleans(), "first_name": text},
    optional={"language_code": text, "last_name": text, "username": text},
)
chat = st.fixed_dictionaries(
    {"id": ints, "type": st.sampled_from(["private", "group", "supergroup", "channel", "???"])},
    optional={"title": text, "is_forum": st.booleans()},
)
msg = st.fixed_dictionaries(
    {"message_id": ints, "date": st.integers(0, 2**31), "chat": chat},
    optional={
        "from": user,
        "text": text,
        "entities": st.lists(entity, max_size=3),
        "is_topic_message": st.booleans(),
        "message_thread_id": ints,
        "reply_to_message": st.fixed_dictionaries(
            {"message_id": ints, "date": st.just(0), "chat": chat}, optional={"from": user}
        ),
    },
)
query = st.fixed_dictionaries(
    {"id": text, "from": user, "chat_instance": text},
    optional={"data": text, "message": msg},
)
payload = st.one_of(
    st.fixed_dictionaries({"message": msg}),
    st.fixed_dictionaries({"callback_query": query}),
    st.fixed_dictionaries({"edited_message": msg}),
    st.dictionaries(st.text(max_size=8), st.none() | text | ints, max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload, st.none() | st.just(ME))
def test_arbitrary_payloads_never_raise(data: dict[str, Any], me: str | None) -> None:
    try:
        parsed = Update.de_json({"update_id": 1, **data}, BOT)
    except Exception:  # PTB itself refuses it: nothing reaches the translation
        return
    assert parsed is not None
    event = update_to_event(parsed, me)
    assert event is None or isinstance(event, TextIn | CommandIn | ChoiceIn)
    if event is not None:
        assert event.actor.platform == "telegram" and event.actor.user_id.lstrip("-").isdigit()
        assert event.address.kind in ("dm", "group")
    if isinstance(event, CommandIn):
        assert event.name == event.name.lower()


labels = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(labels, min_size=1, max_size=12))
def test_every_choice_gets_one_button_in_order(names: list[str]) -> None:
    reply = Reply("q", choices=tuple(Choice(f"id:{i}", n) for i, n in enumerate(names)))
    markup = reply_markup(reply)
    assert markup is not None
    flat = [b for row in markup.inline_keyboard for b in row]
    assert [(b.text, b.callback_data) for b in flat] == [(c.label, c.id) for c in reply.choices]
    assert all(1 <= len(row) <= 3 for row in markup.inline_keyboard)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000), st.integers(20, 500))
def test_split_text_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    from adapters.telegram.transport import split_text

    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


_names = st.text(min_size=0, max_size=12)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    user_id=st.integers(min_value=1, max_value=2**40),
    first=_names,
    last=st.none() | _names,
    locale=st.none() | st.sampled_from(["", "sv", "en", "de"]),
    data=st.text(min_size=0, max_size=20),
    message_id=st.integers(min_value=1, max_value=2**31),
    date=st.sampled_from([0, 1764000000]),
)
def test_a_private_press_read_from_json_is_the_event_ptb_gives(
    user_id: int,
    first: str,
    last: str | None,
    locale: str | None,
    data: str,
    message_id: int,
    date: int,
) -> None:
    """The webhook reads private presses from the JSON (no PTB Message);
    the event must be exactly the one the PTB-parsed update gives."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first}
    if last is not None:
        user["last_name"] = last
    if locale is not None:
        user["language_code"] = locale
    chat = {"id": user_id, "type": "private", "first_name": first}
    message = {"message_id": message_id, "date": date, "chat": chat}
    if date:
        message |= {"from": BOT_USER, "text": "Fråga?", "reply_markup": {"inline_keyboard": []}}
    payload = {
        "update_id": 9,
        "callback_query": {
            "id": "77",
            "from": user,
            "message": message,
            "chat_instance": "1",
            "data": data,
        },
    }
    expected = update_to_event(update({"callback_query": payload["callback_query"]}), ME)
    fast = private_press(payload)
    if expected is None:
        assert fast is None
        return
    assert fast is not None
    assert fast == (9, "77", expected, str(message_id))


def test_other_updates_are_left_to_ptb() -> None:
    user = {"id": 5, "is_bot": False, "first_name": "Bo"}
    chat = {"id": 5, "type": "private"}
    press: dict[str, Any] = {
        "id": "1",
        "from": user,
        "chat_instance": "1",
        "data": "x:1",
        "message": {"message_id": 3, "date": 1764000000, "chat": chat},
    }
    assert private_press({"update_id": 1, "callback_query": press}) is not None
    message = press["message"]
    group = {"id": -100, "type": "supergroup", "title": "Cirkel"}
    topic = {"is_topic_message": True, "message_thread_id": 4}
    odd: list[Any] = [
        {"update_id": 1, "message": {"message_id": 3, "date": 1, "chat": chat, "text": "hej"}},
        {"update_id": 1, "callback_query": {**press, "message": {**message, "chat": group}}},
        {"update_id": 1, "callback_query": {**press, "message": {**message, **topic}}},
        {"update_id": 1, "callback_query": {**press, "from": {**user, "is_bot": True}}},
        {"update_id": 1, "callback_query": {**press, "from": {**user, "id": "5"}}},
        {"update_id": 1, "callback_query": {k: v for k, v in press.items() if k != "message"}},
        {"update_id": 1, "callback_query": {**press, "data": ""}},
        {"update_id": "1", "callback_query": press},
        {"update_id": 1, "callback_query": press, "message": {}},
        [],
    ]
    for payload in odd:
        assert private_press(payload) is None, payload
