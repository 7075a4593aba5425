"""Reflection prompts rotate without repeats until the bank is used up (issue 23).

A mentor who has already written after many meetings (her journal log is
seeded with every prompt but two, each on its own day) meets three more
times: the two prompts she has never had come first, then the one she had
longest ago – never the one she had last.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.store.db import to_db
from bot.store.models import CoachingLog, Identity
from tests.attention_steps import hold_latest, local
from tests.feedback_steps import add_pair, at, book, programme, walk_agreement
from tests.harness import Harness

SERIES = {"sv": "varje tisdag kl 15", "en": "every Tuesday at 3pm"}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_reflection_prompts_rotate_then_repeat_the_least_recent(
    h: Harness, lang: str
) -> None:
    bank = h.core.content.prompts.mentor_reflection
    assert len(bank) >= 20  # room for a weekly pair's half year before any repeat
    world = await programme(h, lang=lang)
    pair = await add_pair(world, "anna", "bea", lang)
    await walk_agreement(pair, frequency_days=7)
    # she has had all but the last two, the second-to-last of them most recently
    had = [*bank[2:-2], bank[0], bank[1]]
    async with h.core.db.transaction() as s:
        person_id = await s.scalar(select(Identity.person_id).where(Identity.user_id == "anna"))
        start = h.clock.now() - timedelta(days=len(had) + 1)
        for n, item in enumerate(had):
            s.add(
                CoachingLog(
                    person_id=person_id,
                    group_id=pair.group_id,
                    item_id=item.id,
                    kind="reflection",
                    verdict=None,
                    shown_at=to_db(start + timedelta(days=n)),
                )
            )
    await book(pair, SERIES[lang])
    for day in ("2026-12-01", "2026-12-08", "2026-12-15"):
        await at(h, local(day, 16, 5))
        await hold_latest(pair)
        await at(h, local(day, 18))
    # the prompts as sent: in the chat only the newest keeps its buttons (a
    # newer prompt of the series supersedes the one before)
    prompts = [
        o.reply.text
        for o in h.transport.sent
        if o.address.chat_id == pair.mentor.dm.chat_id
        and any(c.id.startswith("coach:write:") for c in o.reply.choices)
    ]
    live = [r for r in pair.mentor.inbox if any(c.id.startswith("coach:write:") for c in r.choices)]
    assert [r.text for r in live] == prompts[-1:]
    texts = [item.text(lang) for item in (bank[-2], bank[-1], bank[2])]
    assert len(prompts) == 3
    for prompt, expected in zip(prompts, texts, strict=True):
        assert expected in prompt, (expected, prompt)
