"""The short marks kept on every row: a question's fingerprint and a tick's
digest mark stay as discriminating as the long forms they replaced."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from bot.core.questions import fingerprint, same_question
from bot.core.scheduler import moment_mark
from bot.core.types import Choice, Reply


def test_a_stored_full_length_fingerprint_still_matches_the_same_question() -> None:
    reply = Reply("Passar tisdag kl 15?", (Choice("mtg:7:accept", "Det passar"),))
    blob = "\x1f".join([reply.text, "mtg:7:accept\x1eDet passar"])
    stored_before = hashlib.sha256(blob.encode()).hexdigest()  # what older rows hold
    mark = fingerprint(reply)
    assert len(mark) == 16
    assert same_question(stored_before, mark)
    assert same_question(mark, mark)
    other = Reply("Passar tisdag kl 16?", reply.choices)
    assert not same_question(stored_before, fingerprint(other))


def test_moment_marks_differ_by_the_microsecond_and_are_short() -> None:
    now = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
    marks = {moment_mark(now + timedelta(microseconds=n)) for n in range(1000)}
    assert len(marks) == 1000
    assert moment_mark(now) == f"t:{int(now.timestamp()) * 1_000_000:x}"
    assert len(moment_mark(datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))) <= 16
