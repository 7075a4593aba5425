"""Journey checks shared by every platform (issue 20): at the end of a
journey no message carries buttons except each person's latest open
question, and no question was sent twice in a row to the same person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def assert_only_latest_questions_live(
    live: Mapping[str, Sequence[str]], latest: Mapping[str, str] | None = None
) -> None:
    """``live``: per chat, the texts of the messages that still show buttons
    (oldest first).  At most one each, and (given ``latest``, per chat the
    text of the newest message with buttons it was sent) that one is the
    latest question: an older one never outlives it."""
    crowded = {chat: texts for chat, texts in live.items() if len(texts) > 1}
    assert not crowded, f"messages that still carry buttons: {crowded}"
    if latest is not None:
        for chat, texts in live.items():
            if texts:
                assert texts[-1] == latest.get(chat), (
                    f"{chat}: live {texts[-1][:80]!r}, newest {latest.get(chat, '')[:80]!r}"
                )


def newest_by_chat(questions: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(chat, text)`` of every message with buttons in the order sent → the newest per chat."""
    return dict(questions)


def assert_no_question_twice_in_a_row(questions: Iterable[tuple[str, str]]) -> None:
    """``questions``: ``(chat, text and button labels)`` of every message with
    buttons, in the order sent; an edit that replaced a message counts as a
    new one (a toggle that ticks a button changes the labels, so it is not
    the same question again)."""
    last: dict[str, str] = {}
    for chat, text in questions:
        assert last.get(chat) != text, f"sent twice in a row to {chat}: {text[:80]!r}"
        last[chat] = text
