"""Journey checks shared by every platform (issue 20): at the end of a
journey no message carries buttons except each person's latest open
question, and no question was sent twice in a row to the same person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def assert_only_latest_questions_live(live: Mapping[str, Sequence[str]]) -> None:
    """``live``: per chat, the texts of the messages that still show buttons
    (oldest first).  At most one each: the latest question."""
    crowded = {chat: texts for chat, texts in live.items() if len(texts) > 1}
    assert not crowded, f"messages that still carry buttons: {crowded}"


def assert_no_question_twice_in_a_row(questions: Iterable[tuple[str, str]]) -> None:
    """``questions``: ``(chat, text and button labels)`` of every message with
    buttons, in the order sent; an edit that replaced a message counts as a
    new one (a toggle that ticks a button changes the labels, so it is not
    the same question again)."""
    last: dict[str, str] = {}
    for chat, text in questions:
        assert last.get(chat) != text, f"sent twice in a row to {chat}: {text[:80]!r}"
        last[chat] = text
