"""End to end: the real core (SQLite file, fake clock) behind the real
discord.py client, against the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from tests.adapters.discord_fixtures import MENTEE, MENTOR, db_path, fake, running_bot
from tests.fakes.discord_api import CALLBACK_MESSAGE, FakeDiscord

__all__ = ["fake"]

START = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
async def core(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=db_path(tmp_path),
        discord_token="x",
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
    )
    opened = await Core.open(settings, clock=FakeClock(START))
    yield opened
    await opened.close()


async def test_registry_commands_are_synced_in_both_languages(
    core: Core, fake: FakeDiscord
) -> None:
    async with running_bot(core, fake, core.settings):
        pass
    synced = {c["name"]: c for c in fake.commands}
    for spec in core.commands.all():
        command = synced[spec.name]
        assert spec.description is not None
        assert command["description"] == spec.description["sv"][:100]
        assert command["description_localizations"]["sv-SE"] == spec.description["sv"][:100]
        assert command["description_localizations"]["en-US"] == spec.description["en"][:100]
    assert synced["start"]["options"][0]["name"] == "code"


async def test_start_in_a_dm_greets_in_swedish_with_menu_buttons(
    core: Core, fake: FakeDiscord
) -> None:
    async with running_bot(core, fake, core.settings):
        answer = await fake.response_to(await fake.slash(MENTEE, "start", locale="sv-SE"))
    assert answer.type == CALLBACK_MESSAGE
    welcome = core.content.t("sv", "basics.start.welcome", name="Ali")
    assert answer.content == welcome
    assert answer.custom_ids == ["mb:menu:help", "mb:menu:about"]
    assert [b["label"] for b in answer.buttons] == [
        core.content.t("sv", "basics.buttons.help"),
        core.content.t("sv", "basics.buttons.about"),
    ]


async def test_help_button_answers_with_the_command_list(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings):
        welcome = await fake.response_to(await fake.slash(MENTEE, "start"))
        assert welcome.message is not None
        answer = await fake.response_to(await fake.press(MENTEE, welcome.message, "mb:menu:help"))
    lines = answer.content.splitlines()
    assert lines[0] == core.content.t("sv", "basics.help.intro")
    assert any(line.startswith("/start — ") for line in lines)


async def test_help_in_a_channel_and_in_english(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings):
        swedish = await fake.response_to(await fake.slash(MENTOR, "help", in_guild=True))
        english = await fake.response_to(
            await fake.slash(MENTEE, "help", in_guild=True, locale="en-US")
        )
    assert swedish.content.startswith(core.content.t("sv", "basics.help.intro"))
    assert english.content.startswith(core.content.t("en", "basics.help.intro"))


async def test_language_argument_reaches_the_core(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings):
        answer = await fake.response_to(await fake.slash(MENTEE, "language", "en"))
    assert answer.content == core.content.t("en", "basics.language.set")


async def test_core_button_works_after_restart(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings):
        welcome = await fake.response_to(await fake.slash(MENTEE, "start"))
    assert welcome.message is not None
    async with running_bot(core, fake, core.settings):
        answer = await fake.response_to(await fake.press(MENTEE, welcome.message, "mb:menu:about"))
    assert answer.content == core.content.t("sv", "basics.about")


async def test_plain_dm_gets_the_fallback(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings):
        channel = await fake.send_dm(MENTOR, "hej?")
        posted = await fake.message_in(channel)
    assert posted.content == core.content.t("sv", "basics.fallback")


async def test_an_interaction_is_stored_handled_once_and_answered_at_once(
    core: Core, fake: FakeDiscord
) -> None:
    from sqlalchemy import select

    from bot.store.models import InboxUpdate, OutboxMessage

    async with running_bot(core, fake, core.settings):
        iid = await fake.slash(MENTEE, "help", locale="en-US")
        answer = await fake.response_to(iid)
    assert answer.type == CALLBACK_MESSAGE  # answered in the interaction, not deferred
    async with core.db.sessions() as s:
        rows = (await s.scalars(select(InboxUpdate))).all()
        replies = (await s.scalars(select(OutboxMessage))).all()
    assert [(r.platform, r.update_id, r.outcome) for r in rows] == [("discord", iid, "handled")]
    assert rows[0].event == {}  # the words are not kept once handled
    # The answer was written to the outbox with the event and marked sent
    # when the interaction carried it: a crash before that would resend it.
    assert len(replies) == 1 and replies[0].sent_at is not None
    assert "/about" in answer.content
