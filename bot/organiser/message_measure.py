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

from sqlalchemy import select

from bot.store.db import from_db, to_db
from bot.store.models import Member, OutboxMessage, Programme
from bot.store.session import DbSession
from bot.store.spent import SENT, seconds

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
    for person_id, at in seats.all():
        if person_id is None or at is None:
            continue
        when = from_db(at)
        if person_id not in joined or when < joined[person_id]:
            joined[person_id] = when
    if not joined:
        return {"median": 0.0, "max": 0.0, "people": 0}
    units: dict[int, set[object]] = {pid: set() for pid in joined}
    # delivered rows still whole, and those retention moved to the slim table
    # (bot.store.spent): a digest is one message, whichever table its rows are in
    recent = await session.execute(
        select(OutboxMessage.person_id, OutboxMessage.digest, OutboxMessage.id).where(
            OutboxMessage.person_id.in_(list(joined)),
            OutboxMessage.sent_at.is_not(None),
            OutboxMessage.sent_at <= to_db(end),
            # an edit that only takes an answered question's buttons away is no message
            # (its key says so; retention deletes those rows rather than move them)
            OutboxMessage.idem_key.not_like("strip:%"),
        )
    )
    for person_id, mark, row_id in recent.all():
        if person_id is None:  # not selected (the query asks for these people)
            continue
        number = _mark_number(mark)
        unit = number if number is not None else ("row", row_id) if mark is None else mark
        units[person_id].add(unit)
    spent = await session.execute(
        select(SENT.c.person_id, SENT.c.digest, SENT.c.idem_key).where(
            SENT.c.person_id.in_(list(joined)), SENT.c.sent <= seconds(end)
        )
    )
    for person_id, digest, key in spent.all():
        units[int(person_id)].add(digest if digest is not None else ("key", key))
    sent = {person_id: len(found) for person_id, found in units.items()}
    rates = [
        sent.get(person_id, 0) / max((end - since) / timedelta(weeks=1), 1.0)
        for person_id, since in joined.items()
    ]
    return {
        "median": round(statistics.median(rates), 1),
        "max": round(max(rates), 1),
        "people": len(rates),
    }


def _mark_number(mark: str | None) -> int | None:
    """A digest mark (``t:<hex microseconds>``) as the number the slim table keeps."""
    if mark is not None and mark.startswith("t:"):
        try:
            return int(mark[2:], 16)
        except ValueError:
            return None
    return None
