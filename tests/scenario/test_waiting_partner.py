"""A partner waiting for someone who has not joined is kept informed (issue 23).

After "I'll let you know as soon as you're both here" the waiting member
hears, once, that the organisers have been told (when the never-joined digest
calls the ``absentees_reported`` hook), and hears again when the seat is
filled.  In a circle, each newcomer is announced to those already waiting.
"""

from __future__ import annotations

import pytest

from bot.core.context import Work
from bot.organiser.programmes import create_group
from bot.store.models import Group, Member, Programme
from tests.feedback_steps import join, programme
from tests.harness import Harness

TOLD = {"sv": "organisatörerna", "en": "organisers"}
WAITING = {"sv": "inte anslutit", "en": "hasn't joined"}


async def _report_absent(h: Harness, group_id: int) -> None:
    """What the organisers' never-joined digest does once it has told them."""
    async with h.core.db.transaction() as s:
        work = Work(s, h.core.content, h.core.settings, h.clock.now(), flows=h.core.flows)
        group = await s.get(Group, group_id)
        assert group is not None
        from sqlalchemy import select

        absent = list(
            (
                await s.scalars(
                    select(Member).where(Member.group_id == group_id, Member.person_id.is_(None))
                )
            ).all()
        )
        for hook in h.core.flows.absentees_reported:
            await hook(work, group, absent)
    await h.tick()  # the outbox sweep delivers what the hook queued


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_waiting_partner_hears_when_organisers_are_told_and_when_the_seat_fills(
    h: Harness, lang: str
) -> None:
    world = await programme(h, lang=lang)
    async with h.core.db.transaction() as s:
        p = await s.get(Programme, world.programme_id)
        assert p is not None
        group, invites = await create_group(s, p, "pair", "Anna", ["Bea"], h.clock.now(), 30)
        codes, gid = {i.name: i.code for i in invites}, group.id
    anna, bea = h.person("anna"), h.person("bea")
    await join(anna, codes["Anna"], lang)
    assert WAITING[lang] in anna.last.text
    before = len(anna.inbox)

    await _report_absent(h, gid)
    await _report_absent(h, gid)  # a second digest does not repeat the news
    told = anna.inbox[before:]
    assert len(told) == 1 and TOLD[lang] in told[0].text and "Bea" in told[0].text

    await join(bea, codes["Bea"], lang)
    complete = h.core.content.t(lang, "onboarding.complete.pair", others="Bea", programme="STEM Up")
    assert anna.inbox[before + 1].text == complete  # the seat is filled: the next news


async def test_a_circle_hears_of_each_newcomer(h: Harness) -> None:
    world = await programme(h)
    async with h.core.db.transaction() as s:
        p = await s.get(Programme, world.programme_id)
        assert p is not None
        p.format = "mixed"
        _group, invites = await create_group(
            s, p, "circle", "Anna", ["Bea", "Cleo", "Dora"], h.clock.now(), 30
        )
        codes = {i.name: i.code for i in invites}
    anna, bea, cleo = h.person("anna"), h.person("bea"), h.person("cleo")
    await join(anna, codes["Anna"])
    await join(bea, codes["Bea"])
    assert "Bea" in anna.last.text and "Cleo" in anna.last.text and "Dora" in anna.last.text
    await join(cleo, codes["Cleo"])
    for who in (anna, bea):
        assert "Cleo" in who.last.text and "Dora" in who.last.text
