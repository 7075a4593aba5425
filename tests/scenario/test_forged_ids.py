"""Authorisation from state, not from ids.

A member of the pair presses buttons the bot never offered: "we met" before the
meeting started, ratings for feedback rounds that were never sent, and every
registered choice prefix with ids that are huge, negative, zero, from another
script's digits or garbage.  Each is refused with the ordinary answer and the
database is byte-for-byte what it was.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.console.session import actor
from bot.core.types import Address, ChoiceIn, Outgoing
from bot.store.models import (
    Agreement,
    Base,
    CoachingLog,
    FeedbackAnswer,
    Group,
    Meeting,
    MeetingCheck,
    Member,
)
from tests.conftest import START, database_url
from tests.console_harness import Console
from tests.pair_steps import booked_pair

REFUSED = (
    "gäller inte längre",
    "hör till någon annan",
    "hör till ett annat par",
    "redan svarat",
    "inte börjat",
)
ERROR = "något gick fel"


def press(name: str, choice: str) -> ChoiceIn:
    who = actor(name)
    return ChoiceIn(who, Address("console", who.user_id, None, "dm"), choice)


async def fingerprint(console: Console) -> list[Any]:
    """Every row of every table, in order: what "nothing changed" means."""
    rows: list[Any] = []
    async with console.core.db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns)
            result = await s.execute(select(table).order_by(*order))
            rows.append((table.name, [tuple(r) for r in result.all()]))
    return rows


async def ids(console: Console) -> dict[str, int]:
    async with console.core.db.sessions() as s:
        group = await s.scalar(select(Group).where(Group.name == "Anna & Bea"))
        meeting = await s.scalar(select(Meeting).where(Meeting.status == "planned"))
        agreement = await s.scalar(select(Agreement))
        bea = await s.scalar(select(Member).where(Member.name == "Bea"))
        log = await s.scalar(select(CoachingLog.id))
        assert group and meeting and agreement and bea
        return {
            "group": group.id,
            "meeting": meeting.id,
            "agreement": agreement.id,
            "member": bea.id,
            "log": log or 1,
        }


async def counts(console: Console) -> tuple[int, int, str]:
    async with console.core.db.sessions() as s:
        checks = await s.scalar(select(func.count()).select_from(MeetingCheck)) or 0
        answers = await s.scalar(select(func.count()).select_from(FeedbackAnswer)) or 0
        meeting = await s.scalar(select(Meeting).order_by(Meeting.id))
        assert meeting is not None
        return checks, answers, meeting.status


def text_of(replies: list[Outgoing]) -> str:
    """The answer's first message (a refusal is exactly one)."""
    assert replies
    return replies[0].reply.text


async def test_we_met_is_refused_before_the_meeting_starts(tmp_path: Path) -> None:
    console = await Console.open(database_url(tmp_path), START)
    try:
        await booked_pair(console)  # booked for Tuesday 1 December 15:00
        n = await ids(console)
        before = await fingerprint(console)
        for answer in ("yes", "no", "cancelled"):
            reply = text_of(
                await console.core.handle(press("bea", f"mtg:{n['meeting']}:met:{answer}"))
            )
            assert "inte börjat" in reply, reply
        assert await fingerprint(console) == before
        # at the start it counts
        await console.run("wait 6d\nwait 6h")
        reply = text_of(await console.core.handle(press("bea", f"mtg:{n['meeting']}:met:yes")))
        assert "inte börjat" not in reply and ERROR not in reply
        checks, _, status = await counts(console)
        assert checks == 1 and status == "held"
    finally:
        await console.close()


async def test_ratings_for_rounds_never_sent_are_refused(tmp_path: Path) -> None:
    console = await Console.open(database_url(tmp_path), START)
    try:
        await booked_pair(console)
        n = await ids(console)
        g, m = n["group"], n["meeting"]
        forged = [
            f"fb:{g}:p:{m}:0:5",  # the pulse of a meeting not held yet
            f"fb:{g}:p:{m + 100}:0:1",  # of a meeting that does not exist
            f"fb:{g}:c:1:0:1",  # a check-in not sent yet
            f"fb:{g}:c:42:0:5",  # one that will never be
            f"fb:{g}:m:1:0:5",
            f"fb:{g}:f:1:0:5",
            f"fb:{g}:c:1:0:skip",
        ]
        before = await fingerprint(console)
        for choice in forged:
            reply = text_of(await console.core.handle(press("bea", choice)))
            assert "gäller inte längre" in reply, (choice, reply)
        assert await fingerprint(console) == before
        # once the meeting was held, its pulse round is open and a rating counts
        await console.run("wait 6d\nwait 6h")
        await console.core.handle(press("bea", f"mtg:{m}:met:yes"))
        reply = text_of(await console.core.handle(press("bea", f"fb:{g}:p:{m}:0:4")))
        assert not any(word in reply for word in REFUSED), reply
        assert (await counts(console))[1] == 1
        # and the same question again is answered as answered
        reply = text_of(await console.core.handle(press("bea", f"fb:{g}:p:{m}:0:5")))
        assert "redan svarat" in reply, reply
    finally:
        await console.close()


def templates(n: dict[str, int]) -> dict[str, list[str]]:
    """A plausible id for every registered prefix (the bad part goes anywhere)."""
    return {
        "agr": [str(n["agreement"]), "goals", "done"],
        "rhy": [str(n["group"]), "accept", "00000000"],
        "mtg": [str(n["meeting"]), "met", "yes"],
        "fb": [str(n["group"]), "p", str(n["meeting"]), "0", "5"],
        "coach": ["more", str(n["log"]), str(n["meeting"])],
        "cmp": ["agenda", str(n["group"])],
        "poll": [str(n["meeting"])],
        "onb": [str(n["member"]), "privacy", "yes"],
        "priv": ["forget", "yes"],
        "lang": ["sv"],
        "menu": ["help"],
        "ask": ["goal"],
        "which": ["next", str(n["group"])],
        "leave": [str(n["group"]), "yes"],
        "rchg": [str(n["group"]), "start"],
        "quiet": [str(n["group"]), "on"],
        "mt": ["a", str(n["member"]), str(n["member"])],
        "itk": [str(n["member"]), "mode", "online"],
        "goal": [str(n["group"]), "mid", "0", "halfway"],
        "match": [str(n["group"]), "1", "good"],
    }


BAD = st.one_of(
    st.integers(min_value=2**63).map(str),
    st.integers(min_value=10**25, max_value=10**40).map(str),
    st.integers(max_value=-1).map(str),
    st.just("0"),
    st.sampled_from(["²", "١٢", "９", "1e3", " 1", "0x10", "1_0", "", "NaN", "1.5", "+1"]),
    st.text(max_size=10),
)


def test_every_prefix_refuses_made_up_numbers_and_changes_nothing(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    console = loop.run_until_complete(Console.open(database_url(tmp_path), START))
    try:
        loop.run_until_complete(booked_pair(console))
        n = loop.run_until_complete(ids(console))
        shapes = templates(n)
        registered = set(console.core.flows.choices)
        assert registered <= set(shapes), (
            f"new prefixes need a template: {registered - set(shapes)}"
        )
        before = loop.run_until_complete(fingerprint(console))

        @settings(
            max_examples=300,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(prefix=st.sampled_from(sorted(registered)), where=st.integers(0, 4), bad=BAD)
        def check(prefix: str, where: int, bad: str) -> None:
            parts = list(shapes[prefix])
            at = where % len(parts)
            if parts[at] == bad:
                return
            parts[at] = bad
            choice = ":".join([prefix, *parts])
            replies = loop.run_until_complete(console.core.handle(press("bea", choice)))
            assert replies, choice
            text = replies[0].reply.text
            assert ERROR not in text.lower(), (choice, text)
            if at == 0 and parts and shapes[prefix][0].isdigit():
                assert any(word in text for word in REFUSED), (choice, text)
            # a tracked state never moves for a made-up id
            assert loop.run_until_complete(fingerprint(console)) == before, choice

        check()
    finally:
        loop.run_until_complete(console.close())
        loop.close()
