"""The pure Discord translation: recorded payloads in, neutral events out
(and back), with no network; malformed payloads never raise."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.translate import (
    ask_modal,
    choice_of_custom_id,
    context_from_payload,
    dm_message_event,
    event_from_payload,
    option_name,
    render_reply,
    slash_commands,
    split_content,
)
from bot.core.types import Attachment, Choice, ChoiceIn, CommandIn, Reply, TextIn
from tests.adapters.discord_fixtures import Spec

NAMES = {"start": "start", "help": "help"}
USER = {"id": "42", "username": "anna", "global_name": "Anna"}


def guild_payload(kind: int, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "type": kind,
        "data": data,
        "guild_id": "7",
        "channel_id": "8",
        "channel": {"id": "8", "type": 0},
        "member": {"user": USER, "nick": "Annie"},
        "locale": "sv-SE",
        **extra,
    }


def dm_payload(kind: int, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "1",
        "type": kind,
        "data": data,
        "channel_id": "9",
        "channel": {"id": "9", "type": 1},
        "user": USER,
        "locale": "en-GB",
    }


def test_slash_command_with_option_in_a_guild() -> None:
    data = {"name": "start", "type": 1, "options": [{"name": "code", "type": 3, "value": " X1 "}]}
    event = event_from_payload(guild_payload(2, data), NAMES)
    assert isinstance(event, CommandIn)
    assert (event.name, event.args) == ("start", "X1")
    assert (event.address.kind, event.address.chat_id) == ("group", "8")
    assert (event.actor.user_id, event.actor.display_name, event.actor.locale) == (
        "42",
        "Annie",
        "sv",
    )


def test_unknown_command_is_ignored() -> None:
    assert event_from_payload(dm_payload(2, {"name": "nope", "type": 1}), NAMES) is None


def test_button_press_in_a_dm() -> None:
    event = event_from_payload(
        dm_payload(3, {"custom_id": "mb:agr:3:yes", "component_type": 2}), NAMES
    )
    assert isinstance(event, ChoiceIn)
    assert event.choice_id == "agr:3:yes"
    assert (event.address.kind, event.address.chat_id, event.actor.locale) == ("dm", "9", "en")
    assert event.actor.display_name == "Anna"


def test_ask_button_is_not_a_choice_and_opens_a_modal() -> None:
    press = dm_payload(3, {"custom_id": "mb:ask:goal", "component_type": 2})
    assert event_from_payload(press, NAMES) is None
    modal = ask_modal("mb:ask:goal", "Ett mål som är mycket längre än vad en modal rubrik får vara")
    assert modal is not None
    assert modal.custom_id == "mbm:ask:goal"
    assert len(modal.title) <= 45 and modal.title.endswith("…")
    assert ask_modal("mb:agr:1", "x") is None


def test_modal_submit_in_both_layouts_becomes_text() -> None:
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": "text", "value": " Mål "}]}]
    labels = [{"type": 18, "component": {"type": 4, "custom_id": "text", "value": "Mål"}}]
    for components in (rows, labels):
        data = {"custom_id": "mbm:ask:goal", "components": components}
        event = event_from_payload(guild_payload(5, data), NAMES)
        assert isinstance(event, TextIn) and event.text == "Mål"
    empty = {"custom_id": "mbm:ask:goal", "components": [{"type": 1, "components": []}]}
    assert event_from_payload(guild_payload(5, empty), NAMES) is None


def test_bots_and_users_without_id_are_ignored() -> None:
    assert context_from_payload({"user": {"id": "1", "bot": True}}) is None
    assert context_from_payload({"user": {"username": "x"}}) is None


def test_dm_messages() -> None:
    event = dm_message_event(
        user_id=5, display_name="Bo", channel_id="6", content=" hej ", is_bot=False, in_guild=False
    )
    assert isinstance(event, TextIn) and event.text == "hej" and event.address.chat_id == "6"
    for override in ({"is_bot": True}, {"in_guild": True}, {"content": "  "}):
        kwargs: dict[str, Any] = {
            "user_id": 5,
            "display_name": "Bo",
            "channel_id": "6",
            "content": "hej",
            "is_bot": False,
            "in_guild": False,
            **override,
        }
        assert dm_message_event(**kwargs) is None


def test_render_private_reply_is_ephemeral_only_in_a_guild() -> None:
    reply = Reply(
        "hej",
        tuple(Choice(f"c:{i}", f"L{i}") for i in range(30)),
        private=True,
        attachments=(Attachment("a.txt", b"x"),),
    )
    in_guild = render_reply(reply, in_guild=True)
    in_dm = render_reply(reply, in_guild=False)
    assert in_guild.ephemeral and not in_dm.ephemeral
    assert len(in_guild.buttons) == 25  # Discord's limit: 5 rows of 5
    assert in_guild.buttons[0].custom_id == "mb:c:0"
    assert in_guild.files[0].filename == "a.txt"
    assert (
        render_reply(Reply("x", (Choice("ask:note", "Anteckning"),)), in_guild=False)
        .buttons[0]
        .opens_modal
    )


def test_split_content_respects_the_limit_and_keeps_all_words() -> None:
    text = "\n\n".join("stycke " * 100 for _ in range(5))
    parts = split_content(text)
    assert all(len(p) <= 2000 for p in parts) and len(parts) > 1
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def test_slash_commands_from_registry() -> None:
    specs = [
        Spec("start", {"sv": "Börja", "en": "Start"}, args="code"),
        Spec("Bad Name!", {"sv": "x", "en": "x"}),
        Spec("long", {"sv": "å" * 150, "en": "e"}, where=frozenset({"group"})),
        Spec("nodesc", None, args="sv|en"),
    ]
    commands = {c.name: c for c in slash_commands(specs, "sv")}
    assert sorted(commands) == ["long", "nodesc", "start"]
    assert commands["start"].localized == {"sv-SE": "Börja", "en-US": "Start", "en-GB": "Start"}
    assert len(commands["long"].description) == 100
    assert commands["long"].in_guilds and not commands["long"].in_dms
    assert commands["nodesc"].description == "nodesc" and commands["nodesc"].arg == "sv_en"
    assert option_name("???") == "text"


def test_choice_ids_round_trip_through_custom_ids() -> None:
    for choice in ("agr:3:yes", "x" * 64, "å:ü:ß"):
        assert choice_of_custom_id("mb:" + choice) == choice
    assert choice_of_custom_id("mb:" + "x" * 65) is None
    assert choice_of_custom_id("other") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(
    [
        "id", "type", "data", "guild_id", "channel_id", "channel", "member", "user", "locale",
        "name", "options", "value", "custom_id", "component_type", "components", "component",
    ]
)  # fmt: skip
payloads = st.recursive(
    st.dictionaries(keys, json_values, max_size=5),
    lambda inner: st.dictionaries(keys, inner | st.lists(inner, max_size=2), max_size=5),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(payload=payloads | json_values)
def test_malformed_interaction_payloads_never_raise(payload: Any) -> None:
    event = event_from_payload(payload, NAMES)
    assert event is None or isinstance(event, CommandIn | ChoiceIn | TextIn)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from([2, 3, 5]),
    data=payloads,
    user_id=st.one_of(st.text(max_size=5), st.integers(), st.none()),
)
def test_structured_but_odd_payloads_never_raise(kind: int, data: Any, user_id: Any) -> None:
    payload = guild_payload(kind, data, member={"user": {"id": user_id}})
    event = event_from_payload(payload, NAMES)
    assert event is None or event.actor.user_id.isdigit()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=5000), labels=st.lists(st.text(max_size=120), max_size=30))
def test_rendering_any_reply_stays_within_discord_limits(text: str, labels: list[str]) -> None:
    reply = Reply(text, tuple(Choice(f"c:{i}", label) for i, label in enumerate(labels)))
    spec = render_reply(reply, in_guild=True)
    assert all(len(part) <= 2000 for part in spec.contents)
    assert len(spec.buttons) <= 25
    assert all(1 <= len(b.label) <= 80 and len(b.custom_id) <= 100 for b in spec.buttons)
