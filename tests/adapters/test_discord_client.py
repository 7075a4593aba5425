"""The real discord.py client, through the adapter, against the fake Discord,
with a stand-in core whose answers the tests choose."""

from __future__ import annotations

import asyncio

import pytest

from adapters.discord.translate import BUTTON_PREFIX
from bot.core.types import Choice as C
from bot.core.types import ChoiceIn, CommandIn, Event, Outgoing, Reply, TextIn
from tests.adapters.discord_fixtures import (
    MENTEE,
    MENTOR,
    Spec,
    StandInCore,
    fake,
    reply_to,
    running_bot,
)
from tests.fakes.discord_api import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE,
    FakeDiscord,
)

__all__ = ["fake"]  # the fixture, imported explicitly

SPECS = [
    Spec("start", {"sv": "Börja här", "en": "Start here"}, args="code"),
    Spec("help", {"sv": "Hjälp", "en": "Help"}),
    Spec("circle", {"sv": "Cirkeln", "en": "The circle"}, where=frozenset({"group"})),
    Spec("mydata", {"sv": "Mina data", "en": "My data"}, where=frozenset({"dm"})),
    Spec("language", {"sv": "Byt språk", "en": "Change language"}, args="sv|en"),
]


def echo(event: Event) -> list[Outgoing]:
    """Answers every event with a description of it, plus two buttons."""
    if isinstance(event, CommandIn):
        text = f"cmd {event.name} [{event.args}]"
    elif isinstance(event, ChoiceIn):
        text = f"choice {event.choice_id}"
    else:
        text = f"text {event.text}"
    private = isinstance(event, ChoiceIn) and event.choice_id.startswith("secret")
    replace = isinstance(event, ChoiceIn) and event.choice_id.startswith("edit")
    choices = (C("agr:1:yes", "Ja"), C("ask:goal", "Ditt mål"), C("secret:1", "Privat"))
    return reply_to(event, Reply(text, choices, private=private, replace=replace))


async def test_commands_are_synced_with_swedish_and_english_descriptions(fake: FakeDiscord) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake):
        pass
    by_name = {c["name"]: c for c in fake.commands}
    assert sorted(by_name) == ["circle", "help", "language", "mydata", "start"]
    start = by_name["start"]
    assert start["description"] == "Börja här"
    assert start["description_localizations"] == {
        "sv-SE": "Börja här",
        "en-US": "Start here",
        "en-GB": "Start here",
    }
    assert [(o["name"], o["type"], o["required"]) for o in start["options"]] == [("code", 3, False)]
    assert by_name["language"]["options"][0]["name"] == "sv_en"
    assert by_name["circle"]["contexts"] == [0]
    assert by_name["mydata"]["contexts"] == [1]
    assert sorted(by_name["help"]["contexts"]) == [0, 1]
    assert by_name["help"]["integration_types"] == [0]


async def test_slash_command_in_dm_reaches_core_and_is_answered(fake: FakeDiscord) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake):
        iid = await fake.slash(MENTEE, "start", "AbC123", locale="en-US")
        response = await fake.response_to(iid)
    assert response.type == CALLBACK_MESSAGE
    assert response.content == "cmd start [AbC123]"
    assert not response.ephemeral
    assert response.custom_ids == [BUTTON_PREFIX + "agr:1:yes", "mb:ask:goal", "mb:secret:1"]
    (event,) = core.events
    assert isinstance(event, CommandIn)
    assert event.address.kind == "dm"
    assert event.address.chat_id == fake.dm_channels[MENTEE]
    assert (event.actor.user_id, event.actor.display_name, event.actor.locale) == (
        MENTEE,
        "Ali",
        "en",
    )


async def test_button_press_in_channel_private_answer_is_ephemeral(fake: FakeDiscord) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake):
        iid = await fake.slash(MENTOR, "circle", in_guild=True)
        shown = await fake.response_to(iid)
        assert not shown.ephemeral and shown.message is not None
        pressed = await fake.press(MENTEE, shown.message, "mb:secret:1")
        answer = await fake.response_to(pressed)
        public = await fake.press(MENTEE, shown.message, "mb:agr:1:yes")
        public_answer = await fake.response_to(public)
    assert answer.type == CALLBACK_MESSAGE
    assert answer.ephemeral
    assert answer.content == "choice secret:1"
    assert public_answer.type == CALLBACK_MESSAGE and not public_answer.ephemeral
    choice = core.events[1]
    assert isinstance(choice, ChoiceIn)
    assert choice.choice_id == "secret:1"
    assert choice.address.kind == "group" and choice.address.chat_id == fake.channel_id
    assert choice.actor.user_id == MENTEE


async def test_replace_edits_the_pressed_message(fake: FakeDiscord) -> None:
    core = StandInCore(
        lambda e: (
            reply_to(e, Reply("edited", replace=True))
            if isinstance(e, ChoiceIn)
            else reply_to(e, Reply("menu", (C("edit:1", "Ändra"),)))
        ),
        SPECS,
    )
    async with running_bot(core, fake):
        shown = await fake.response_to(await fake.slash(MENTOR, "help"))
        assert shown.message is not None
        answer = await fake.response_to(await fake.press(MENTOR, shown.message, "mb:edit:1"))
    assert answer.type == CALLBACK_UPDATE
    assert answer.content == "edited"
    assert answer.data["components"] == []


async def test_ask_choice_opens_modal_and_submit_reaches_core_as_text(fake: FakeDiscord) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake):
        shown = await fake.response_to(await fake.slash(MENTEE, "help"))
        assert shown.message is not None
        opened = await fake.response_to(await fake.press(MENTEE, shown.message, "mb:ask:goal"))
        assert opened.type == CALLBACK_MODAL
        modal = opened.data
        assert modal["custom_id"] == "mbm:ask:goal"
        assert modal["title"] == "Ditt mål"
        submitted = await fake.submit_modal(MENTEE, modal, {"text": "  Lära mig Rust  "})
        answer = await fake.response_to(submitted)
    assert answer.content == "text Lära mig Rust"
    assert [type(e) for e in core.events] == [CommandIn, TextIn]  # the ask: press is not an event
    text = core.events[1]
    assert isinstance(text, TextIn) and text.address.kind == "dm"


async def test_button_still_works_after_a_restart(fake: FakeDiscord) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake) as first:
        shown = await fake.response_to(await fake.slash(MENTOR, "help"))
    assert first.is_closed()
    assert shown.message is not None
    async with running_bot(core, fake) as second:
        assert second is not first
        answer = await fake.response_to(await fake.press(MENTOR, shown.message, "mb:agr:1:yes"))
    assert answer.content == "choice agr:1:yes"
    assert fake.identifies == 2


async def test_plain_dm_becomes_text_and_is_answered_in_the_dm(fake: FakeDiscord) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake):
        start = len(fake.recorded)
        channel = await fake.send_dm(MENTEE, "hej där")
        posted = await fake.message_in(channel, start=start)
    assert posted.content == "text hej där"
    assert posted.custom_ids[0] == "mb:agr:1:yes"
    (event,) = core.events
    assert isinstance(event, TextIn) and event.address.chat_id == channel


async def test_slow_core_is_deferred_then_answered_by_followup(fake: FakeDiscord) -> None:
    async def slow(event: Event) -> list[Outgoing]:
        await asyncio.sleep(0.3)
        return echo(event)

    core = StandInCore(slow, SPECS)
    async with running_bot(core, fake, ack_budget=0.05):
        iid = await fake.slash(MENTOR, "circle", in_guild=True)
        deferred = await fake.response_to(iid)
        (answer,) = await fake.answers_to(iid)
        assert answer.message is not None
        pressed = await fake.press(MENTEE, answer.message, "mb:secret:1")
        ack = await fake.response_to(pressed)
        (private,) = await fake.answers_to(pressed)
    assert deferred.type == CALLBACK_DEFERRED_MESSAGE
    assert deferred.ephemeral  # safe default: the answer may be private
    assert answer.kind == "followup" and answer.content.startswith("cmd circle")
    assert ack.type == CALLBACK_DEFERRED_UPDATE
    assert private.kind == "followup" and private.ephemeral


async def test_reply_for_another_chat_goes_through_transport(fake: FakeDiscord) -> None:
    def to_dm(event: Event) -> list[Outgoing]:
        dm = event.address.__class__("discord", "u" + event.actor.user_id, None, "dm")
        return [Outgoing(event.address, Reply("ok", private=True)), Outgoing(dm, Reply("hemligt"))]

    core = StandInCore(to_dm, SPECS)
    async with running_bot(core, fake):
        iid = await fake.slash(MENTEE, "circle", in_guild=True)
        answer = await fake.response_to(iid)
        dm = await fake.wait_for(lambda r: r.kind == "message")
    assert answer.ephemeral and answer.content == "ok"
    assert dm.channel_id == fake.dm_channels[MENTEE] and dm.content == "hemligt"
    assert core.outbox_runs >= 1


@pytest.mark.parametrize("bad", ["mb:", "other:thing"])
async def test_foreign_custom_ids_do_not_crash(fake: FakeDiscord, bad: str) -> None:
    core = StandInCore(echo, SPECS)
    async with running_bot(core, fake):
        shown = await fake.response_to(await fake.slash(MENTOR, "help"))
        assert shown.message is not None
        message = dict(shown.message)
        message["components"] = [
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": bad}]}
        ]
        iid = await fake.press(MENTOR, message, bad)
        # acknowledged (issue 20: no "This interaction failed"): the core is
        # asked with a choice no flow claims, and answers it as stale
        await fake.response_to(iid)
    assert len(core.events) == 2
    assert isinstance(core.events[1], ChoiceIn) and core.events[1].choice_id == "unknown"


async def test_adapter_failures_are_recorded_not_swallowed(fake: FakeDiscord) -> None:
    """The fixture fails a test on recorded errors; this checks they are
    recorded at all: a core crash and a command the tree does not know."""

    def crash(event: Event) -> list[Outgoing]:
        raise RuntimeError("boom")

    core = StandInCore(crash, SPECS)
    async with running_bot(core, fake) as client:
        await fake.slash(MENTOR, "help")
        fake.commands.append({"id": "1", "name": "gone", "options": []})
        await fake.slash(MENTOR, "gone")
        for _ in range(100):
            if len(client.errors) >= 2:
                break
            await asyncio.sleep(0.02)
        recorded = list(client.errors)
        client.errors.clear()
    kinds = sorted(type(e).__name__ for e in recorded)
    assert kinds == ["CommandNotFound", "RuntimeError"]


async def test_no_reply_still_acknowledges_and_leaves_nothing_behind(fake: FakeDiscord) -> None:
    core = StandInCore(lambda e: [], SPECS)
    async with running_bot(core, fake):
        shown = await fake.response_to(await fake.slash(MENTOR, "circle", in_guild=True))
        gone = await fake.wait_for(lambda r: r.kind == "delete_original")
        message = fake.bot_message(
            fake.channel_id,
            {
                "components": [
                    {
                        "type": 1,
                        "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "mb:a"}],
                    }
                ]
            },
        )
        pressed = await fake.response_to(await fake.press(MENTOR, message, "mb:a"))
    assert shown.type == CALLBACK_DEFERRED_MESSAGE and gone.interaction_id == shown.interaction_id
    assert pressed.type == CALLBACK_DEFERRED_UPDATE
    assert len(core.events) == 2
