"""Alerts in time for every rhythm (issue 23).

For each agreed rhythm – weekly, fortnightly, monthly, six-weekly – two pairs
live through the same months on the fake clock: one meets exactly on its
rhythm and answers its check-ins, the other meets twice and then stops.  The
pair that stops must be nudged first and its organiser alerted after, both
within 2.5 × the agreed interval of its last meeting; monthly and slower
rhythms keep their margin against false alarms (no nudge before 2 × the
interval).  The healthy pair is never nudged, flagged or reported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import pytest

from bot.config import DEFAULT_CONTENT_DIR
from bot.content import load_content
from bot.store.db import from_db
from bot.wording import frequency_phrase
from tests.attention_steps import (
    after,
    answer_open_checkins,
    days,
    flags_of,
    local,
    organiser_alerts,
)
from tests.feedback_steps import add_pair, at, meeting_cycle, programme, walk_agreement
from tests.harness import Harness

NAMES = {"sv": ("Cecilia & Dana", "Anna & Bea"), "en": ("Cecilia & Dana", "Anna & Bea")}
WORDS = {
    "sv": ("sedan ert senaste möte", "inget möte på"),
    "en": ("since your last meeting", "no meeting for"),
}


@pytest.mark.parametrize(
    ("every", "lang"),
    [(7, "sv"), (7, "en"), (14, "sv"), (14, "en"), (30, "sv"), (42, "en")],
    ids=["weekly-sv", "weekly-en", "fortnightly-sv", "fortnightly-en", "monthly", "six-weekly"],
)
async def test_a_pair_that_stops_is_nudged_then_alerted_within_two_and_a_half_intervals(
    h: Harness, every: int, lang: str
) -> None:
    world = await programme(h, end=date(2027, 11, 30), lang=lang)
    healthy = await add_pair(world, "anna", "bea", lang)
    stops = await add_pair(world, "cecilia", "dana", lang)
    await walk_agreement(healthy, frequency_days=every)
    await walk_agreement(stops, frequency_days=every)

    first = local("2026-12-08")
    # the other pair meets three hours later on the same days, then stops
    last_stop = local("2026-12-08", 18) + days(every)
    # the healthy pair meets on its rhythm well past the stopping pair's deadline
    healthy_days = [first + days(every * k) for k in range(6)]
    events: list[tuple[datetime, Callable[[], Awaitable[object]]]] = []

    def meeting(pair, when: datetime) -> None:  # type: ignore[no-untyped-def]
        stamp = when.strftime("%Y-%m-%d %H:%M")

        async def run() -> None:
            await answer_open_checkins(pair)
            await meeting_cycle(pair, stamp, ratings=(5, 4))

        events.append((when - days(1), run))

    for when in healthy_days:
        meeting(healthy, when)
    for when in (last_stop - days(every), last_stop):
        meeting(stops, when)
    for when, action in sorted(events, key=lambda ev: ev[0]):
        await at(h, when)
        await action()
    await at(h, healthy_days[-1] + days(2))
    assert h.clock.now() > last_stop + days(2.5 * every)

    # the pair that stopped: nudged first, then the organiser alerted, in time
    [flag] = await flags_of(stops, "no_meeting")
    assert flag.nudged_at is not None and flag.alerted_at is not None
    nudged, alerted = from_db(flag.nudged_at), from_db(flag.alerted_at)
    assert from_db(flag.raised_at) == nudged  # the pair hears of it when it is raised
    assert last_stop < nudged < alerted <= last_stop + days(2.5 * every), (nudged, alerted)
    assert nudged >= last_stop + days(2 * every)  # no false alarm before two intervals
    since_word, reason_word = WORDS[lang]
    rhythm_words = frequency_phrase(load_content(DEFAULT_CONTENT_DIR), lang, every)
    for who in stops.people:
        nudges = [s for s in after(world, who, last_stop) if since_word in s.reply.text]
        assert [s.at for s in nudges] == [nudged], [s.reply.text for s in nudges]
        assert rhythm_words in nudges[0].reply.text  # the agreed rhythm, in words
    alerts = organiser_alerts(world, NAMES[lang][0])
    assert alerts, [s.reply.text for s in world.to(world.organiser)]
    assert alerts[0].at == alerted and reason_word in alerts[0].reply.text
    assert rhythm_words in alerts[0].reply.text

    # the healthy pair: not one flag, nudge or alert
    assert await healthy.flags() == []
    assert organiser_alerts(world, NAMES[lang][1]) == []
    for who in healthy.people:
        assert not [s for s in world.to(who) if since_word in s.reply.text]
