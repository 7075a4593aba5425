"""Nobody acts for a pair they are not in: forged choice ids are refused across
every flow, and refusing them changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.types import Actor, Address, ChoiceIn
from bot.store.models import (
    AgreementAnswer,
    FeedbackAnswer,
    Group,
    Meeting,
    MeetingCheck,
    Member,
    RhythmProposal,
)
from tests.conftest import START, database_url
from tests.console_harness import Console
from tests.pair_steps import booked_pair

REFUSED = ("hör till någon annan", "gäller inte längre", "redan avslutad", "inte med")


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    c = await Console.open(database_url(tmp_path), START)
    await booked_pair(c)
    await c.run(
        "$ pair create --program stemup --mentor Cilla --mentee Dora\n"
        "@dora /start {code:Dora}\n@dora [Svenska]\n@dora [Ja]\n@dora [Förstått]\n@dora [Ja]"
    )
    yield c
    await c.close()


async def snapshot(console: Console) -> tuple[int, ...]:
    async with console.core.db.sessions() as s:
        counts = []
        for model in (AgreementAnswer, RhythmProposal, MeetingCheck, FeedbackAnswer):
            counts.append(await s.scalar(select(func.count()).select_from(model)) or 0)
        statuses = [m.status for m in (await s.scalars(select(Meeting))).all()]
        groups = [(g.status, g.chat_id) for g in (await s.scalars(select(Group))).all()]
        return (*counts, hash(tuple(statuses)), hash(tuple(groups)))


async def test_forged_choices_from_strangers_and_other_pairs_are_refused(
    console: Console,
) -> None:
    async with console.core.db.sessions() as s:
        group = await s.scalar(select(Group).where(Group.name == "Anna & Bea"))
        meeting = await s.scalar(select(Meeting).where(Meeting.status == "planned"))
        anna = await s.scalar(select(Member).where(Member.name == "Anna"))
        assert group is not None and meeting is not None and anna is not None
    forged = [
        f"onb:{anna.id}:privacy:yes",
        "agr:1:confidentiality:agree",
        "agr:1:revise",
        f"rhy:{group.id}:accept:00000000",
        f"rhy:{group.id}:redo",
        f"mtg:{meeting.id}:accept",
        f"mtg:{meeting.id}:met:yes",
        f"mtg:{meeting.id}:cancel:all",
        f"mtg:{meeting.id}:cancel:one",
        f"poll:{meeting.id}",
        "coach:more:1:1",
        f"fb:{group.id}:p:{meeting.id}:0:5",
        f"fb:{group.id}:c:1:0:3",
        f"cmp:agenda:{group.id}",
    ]
    before = await snapshot(console)
    anna_inbox = len(console.to("anna", console.lines))
    for who in ("mallory", "dora"):  # a stranger, and a member of another pair
        actor = Actor("console", who, who.capitalize())
        for choice in forged:
            replies = await console.core.handle(ChoiceIn(actor, Address("console", who), choice))
            assert len(replies) == 1, choice
            assert any(word in replies[0].reply.text for word in REFUSED), (choice, replies)
        await console.core.deliver_outbox()
    assert await snapshot(console) == before
    assert len(console.to("anna", console.lines)) == anna_inbox  # nothing reached the pair
