"""How much the bot speaks: messages per participant per week (issue 23).

Organisers should see whether the bot has become noise.  For every mentor and
mentee of a programme this counts the messages the bot sent them on its own
initiative – reminders, questions, notices, news of the partner; everything
that went through the outbox and was delivered – and divides by the weeks
since they joined (at least one).  A digest of several rows is one message;
direct answers to what a person wrote are not counted (they are not the bot
speaking up), nor are the edits that take an answered question's buttons
away.  The report shows the median and the maximum over participants.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import String, cast, func, select

from bot.store.db import from_db, to_db
from bot.store.models import Member, OutboxMessage, Programme
from bot.store.session import DbSession

PARTICIPANTS = ("mentor", "mentee")


async def messages_per_week(
    session: DbSession, programme: Programme, now: datetime
) -> dict[str, float | int]:
    """``{"median": .., "max": .., "people": n}``, rounded to one decimal."""
    end = min(now, datetime.combine(programme.end_date, time.max, tzinfo=UTC))
    joined: dict[int, datetime] = {}
    seats = await session.execute(
        select(Member.person_id, Member.joined_at).where(
            Member.programme_id == programme.id,
            Member.role.in_(PARTICIPANTS),
            Member.person_id.is_not(None),
            Member.joined_at.is_not(None),
        )
    )
    for row in seats.all():
        person_id, at = tuple(row)
        if person_id is None or at is None:
            continue
        when = from_db(at)
        if person_id not in joined or when < joined[person_id]:
            joined[person_id] = when
    if not joined:
        return {"median": 0.0, "max": 0.0, "people": 0}
    one_message = func.coalesce(OutboxMessage.digest, cast(OutboxMessage.id, String))
    counted = await session.execute(
        select(OutboxMessage.person_id, func.count(func.distinct(one_message)))
        .where(
            OutboxMessage.person_id.in_(list(joined)),
            OutboxMessage.sent_at.is_not(None),
            OutboxMessage.sent_at <= to_db(end),
            # an edit that only takes an answered question's buttons away is no message
            # (its key says so, and the key outlives retention's dropping of the words)
            OutboxMessage.idem_key.not_like("strip:%"),
        )
        .group_by(OutboxMessage.person_id)
    )
    pairs = [tuple(row) for row in counted.all()]
    sent = {int(p): int(n) for p, n in pairs if p is not None}
    rates = [
        sent.get(person_id, 0) / max((end - since) / timedelta(weeks=1), 1.0)
        for person_id, since in joined.items()
    ]
    return {
        "median": round(statistics.median(rates), 1),
        "max": round(max(rates), 1),
        "people": len(rates),
    }
