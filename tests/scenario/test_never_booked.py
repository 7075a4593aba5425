"""A pair that agreed but never booked a meeting is flagged (issue 23).

N days after the rhythm was agreed (``unbooked_days`` per programme, default
14) a pair with no meeting booked gets a gentle nudge; if still nothing is
booked ``alert_after_days`` later (default 7), the organisers hear of it.  A
pair that books in time never hears of it, and a late booking closes the flag.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store.db import from_db
from tests.attention_steps import flags_of, organiser_alerts
from tests.feedback_steps import add_pair, at, book, programme, walk_agreement
from tests.harness import Harness

NUDGE = {"sv": "inte bokat", "en": "haven't booked"}
REASON = {"sv": "inget möte bokat", "en": "no meeting booked"}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_agreed_but_never_booked_is_nudged_then_reported(h: Harness, lang: str) -> None:
    world = await programme(h, lang=lang)
    idle = await add_pair(world, "anna", "bea", lang)
    busy = await add_pair(world, "cecilia", "dana", lang)
    await walk_agreement(idle, frequency_days=30)
    await walk_agreement(busy, frequency_days=30)
    agreed = h.clock.now()
    await at(h, agreed + timedelta(days=10))
    await book(busy, "2026-12-17 15:00")
    await at(h, agreed + timedelta(days=40))

    [flag] = await flags_of(idle, "unbooked")
    assert flag.nudged_at is not None and flag.alerted_at is not None
    assert from_db(flag.nudged_at) - agreed < timedelta(days=14, minutes=5)
    assert from_db(flag.nudged_at) - agreed >= timedelta(days=14)
    assert from_db(flag.alerted_at) - from_db(flag.nudged_at) == timedelta(days=7)
    for who in idle.people:
        nudges = [s for s in world.to(who) if NUDGE[lang] in s.reply.text]
        assert [s.at for s in nudges] == [from_db(flag.nudged_at)]
    [alert] = organiser_alerts(world, "Anna & Bea")
    assert alert.at == from_db(flag.alerted_at)
    assert REASON[lang] in alert.reply.text and "14" in alert.reply.text
    # no second alarm about the same silence
    assert await flags_of(idle, "no_meeting") == []
    # the pair that booked in time never hears of it
    assert await busy.flags() == []
    assert organiser_alerts(world, "Cecilia & Dana") == []


async def test_the_wait_is_set_per_programme_and_a_late_booking_closes_the_flag(
    h: Harness,
) -> None:
    world = await programme(h, settings={"unbooked_days": 5})
    pair = await add_pair(world, "anna", "bea")
    await walk_agreement(pair, frequency_days=14)
    agreed = h.clock.now()
    await at(h, agreed + timedelta(days=6))
    [flag] = await flags_of(pair, "unbooked")
    assert from_db(flag.nudged_at or flag.raised_at) - agreed < timedelta(days=5, minutes=5)
    await book(pair, "2026-12-08 15:00")
    [flag] = await flags_of(pair, "unbooked")
    assert flag.resolved_at is not None and flag.alerted_at is None
    await at(h, agreed + timedelta(days=20))
    assert organiser_alerts(world, "Anna & Bea") == []
