"""How much the bot speaks: messages per person per week in the report (issue 23).

The report counts, for every participant, the messages the bot sent them on
its own (reminders, questions, notices – a digest counts once; direct answers
to what they wrote do not) per week since they joined, and shows the median
and the maximum in the table, the HTML page and the JSON.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from bot.organiser.report_html import render_html
from bot.organiser.reports import build_report, render_table
from bot.store.db import from_db
from bot.store.models import Member, Programme
from tests.attention_steps import local
from tests.feedback_steps import add_pair, at, meeting_cycle, programme, walk_agreement
from tests.harness import Harness


async def test_the_report_shows_bot_messages_per_person_per_week(h: Harness) -> None:
    world = await programme(h)
    a = await add_pair(world, "anna", "bea")
    b = await add_pair(world, "cecilia", "dana")
    await walk_agreement(a, frequency_days=7)
    await walk_agreement(b, frequency_days=30)
    for day in ("2026-12-08", "2026-12-15", "2026-12-22"):
        await at(h, local(day, 9))
        await meeting_cycle(a, f"{day} 15:00")
    await at(h, local("2027-01-20", 12))

    from sqlalchemy import select

    async with h.core.db.sessions() as s:
        p = await s.get(Programme, world.programme_id)
        assert p is not None
        joined = {
            m.name.lower(): from_db(m.joined_at)
            for m in await s.scalars(select(Member).where(Member.role.in_(("mentor", "mentee"))))
            if m.joined_at is not None
        }
        report = await build_report(s, h.core.content, p, h.clock.now(), "en")
    rates = []
    for who in (*a.people, *b.people):
        weeks = max((h.clock.now() - joined[who.name]) / timedelta(weeks=1), 1.0)
        rates.append(len(world.to(who)) / weeks)
    assert report.messages_per_week == {
        "median": round(statistics.median(rates), 1),
        "max": round(max(rates), 1),
        "people": 4,
    }
    assert report.messages_per_week["max"] > report.messages_per_week["median"] > 0
    median, most = report.messages_per_week["median"], report.messages_per_week["max"]
    table = render_table(report, h.core.content)
    assert f"{median:.1f}" in table and f"{most:.1f}" in table
    assert f"{median:.1f}" in render_html(report, h.core.content)
    assert report.to_json()["messages_per_week"]["median"] == median
