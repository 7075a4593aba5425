"""Unpaired UTF-16 surrogates are removed where text enters: a display name (or a
message) carrying one no longer makes every event of that person fail.

JSON allows ``"\\ud800"`` alone; Python decodes it into a ``str`` that SQLite,
logs and the platforms cannot encode.  Telegram runs for real (PTB against the
fake Bot API, which sends the escapes as they would arrive); Discord and the
console are checked at their translate functions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from adapters.discord.translate import dm_message_event, event_from_payload
from bot.config import Settings
from bot.core.sanitize import clean_event, no_surrogates
from bot.core.types import Actor, Address, TextIn
from bot.store.models import Note, Person
from tests.adapters.test_telegram_journey import data_ending, make_pair
from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning

Run = Callable[[object, Settings], Awaitable["TgRunning"]]
ADA = 502
BROKEN = "\ud83dAda\udfff"  # a high and a low surrogate, neither paired


def test_only_unpaired_surrogates_go() -> None:
    assert no_surrogates(BROKEN) == "Ada"
    assert no_surrogates("Ada 😀 \ud83d\ude00") == "Ada 😀 😀"  # pairs are joined, kept
    assert no_surrogates("Åsa") == "Åsa"
    event = clean_event(TextIn(Actor("x", "1", "\ud800"), Address("x", "1"), "hej\udc00"))
    assert event is not None and event.text == "hej" and event.actor.display_name == "1"
    for value in (event.text, event.actor.display_name):
        value.encode("utf-8")


async def said_to(fake: FakeTelegram, chat: int) -> Any:
    """The next message to ``chat``, past the edits that only take an answered
    question's buttons away (issue 20)."""
    message = await fake.next_message(chat)
    while message.method == "editmessagereplymarkup":
        message = await fake.next_message(chat)
    return message


async def test_a_person_with_a_lone_surrogate_in_the_name_uses_the_bot_normally(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    _, mentee_code = await make_pair(tg_core)
    await tg_run(tg_core, tg_settings())
    tg_fake.inject_command(ADA, "start", mentee_code, first_name=BROKEN, language_code=None)
    question = await said_to(tg_fake, ADA)
    for suffix in (":lang:sv", ":tz:ok", ":role:ok", ":privacy:yes"):
        tg_fake.inject_callback(
            ADA, data_ending(question, suffix), message_id=question.message_id, first_name=BROKEN
        )
        question = await said_to(tg_fake, ADA)
    assert "gick fel" not in (question.text or "")
    tg_fake.inject_command(ADA, "note", "Jag är nervös \ud800 inför mötet", first_name=BROKEN)
    noted = await said_to(tg_fake, ADA)
    assert "gick fel" not in (noted.text or ""), noted.text
    tg_fake.inject_command(ADA, "mydata", first_name=BROKEN)
    said = await said_to(tg_fake, ADA)
    assert "JSON" in (said.text or "")
    export = await said_to(tg_fake, ADA)
    assert export.document is not None and b"Ada" in export.document[1]
    async with tg_core.db.sessions() as s:
        person = await s.scalar(select(Person).where(Person.display_name == "Ada"))
        note = await s.scalar(select(Note))
        assert person is not None and person.onboarded_at is not None
        assert note is not None and note.text == "Jag är nervös  inför mötet"


def test_discord_and_console_translation_remove_them_too() -> None:
    user = {"id": "42", "username": "anna", "global_name": BROKEN}
    payload = {
        "id": "1",
        "type": 3,
        "data": {"custom_id": "mb:menu:help\ud800", "component_type": 2},
        "channel_id": "9",
        "channel": {"id": "9", "type": 1},
        "user": user,
    }
    event = event_from_payload(payload, {})
    assert event is not None and event.actor.display_name == "Ada"
    assert getattr(event, "choice_id", "").endswith("help")
    text = dm_message_event(
        user_id="42", display_name=BROKEN, channel_id="9", content="hej\udc00",
        is_bot=False, in_guild=False,
    )  # fmt: skip
    assert text is not None and text.text == "hej" and text.actor.display_name == "Ada"
