"""The basics every person meets first, in Swedish by default and in English."""

from __future__ import annotations

from tests.harness import Harness


async def test_start_help_about_in_swedish_by_default(h: Harness) -> None:
    anna = h.person("anna")
    await anna.says("/start")
    assert anna.last.text.startswith("Hej Anna!")
    assert "/start" in anna.last.text
    await anna.says("/help")
    assert "/about" in anna.last.text and "Byt språk" in anna.last.text
    await anna.says("/about")
    assert "inte handledare" in anna.last.text


async def test_language_switch_to_english_and_back(h: Harness) -> None:
    anna = h.person("anna")
    await anna.says("/language")
    assert anna.buttons() == ["Svenska", "English"]
    await anna.presses("English")
    assert anna.last.replace
    assert "English" in anna.last.text
    await anna.says("/help")
    assert "Change language" in anna.last.text
    await anna.says("/about")
    assert "not a supervisor" in anna.last.text
    await anna.says("/language sv")
    await anna.says("/help")
    assert "Byt språk" in anna.last.text


async def test_english_telegram_locale_gets_english(h: Harness) -> None:
    bob = h.person("bob", locale="en-GB")
    await bob.says("/start")
    assert bob.last.text.startswith("Hi Bob!")


async def test_unknown_command_and_unexpected_text_get_helpful_answers(h: Harness) -> None:
    anna = h.person("anna")
    await anna.says("/frobnicate")
    assert "/frobnicate" in anna.last.text and "/help" in anna.last.text
    await anna.says("vad gör du?")
    assert "/help" in anna.last.text
    assert anna.buttons()


async def test_stale_button_is_answered_not_ignored(h: Harness) -> None:
    anna = h.person("anna")
    replies = await anna.presses("nosuchflow:1:2")
    assert len(replies) == 1 and "gäller inte längre" in replies[0].text
    replies = await anna.presses("lang:klingon")
    assert "gäller inte längre" in replies[0].text


async def test_group_chatter_is_left_alone_but_commands_answer(h: Harness) -> None:
    anna = h.person("anna")
    assert await anna.says("hej allihop", group="g1") == []
    replies = await anna.says("/help", group="g1")
    assert replies and "/help" in replies[0].text


async def test_too_long_text_is_refused_kindly(h: Harness) -> None:
    anna = h.person("anna")
    replies = await anna.says("x" * 5000)
    assert "2000" in replies[0].text


async def test_an_ask_button_pressed_outside_discord_asks_to_type(h: Harness) -> None:
    """ "ask:" choices open a form on Discord; elsewhere the answer is simply typed."""
    anna = h.person("anna")
    replies = await anna.presses("ask:goal")
    assert "som ett vanligt meddelande" in replies[0].text


async def test_help_lists_what_works_where_you_are(h: Harness) -> None:
    anna = h.person("anna")
    private = (await anna.says("/help"))[0].text
    assert "/mydata" in private and "/poll" not in private and "/bind" not in private
    group = (await anna.says("/help", group="g1"))[0].text
    assert "/poll" in group and "/bind" in group and "/mydata" not in group
