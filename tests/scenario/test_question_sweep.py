"""The retention sweep's two windows for closed questions (issue 21).

A closed question whose message went out (its platform id is known) is read
by nothing again, so it goes a day after it closed; one whose message never
went out may still be carried by an unsent message, so it stays a week, as
before.  Open questions and the newest question always stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.store.db import Database, to_db
from bot.store.live_questions import LiveQuestion
from bot.store.retention import QUESTION_KEEP, SENT_QUESTION_KEEP, purge_closed_questions
from tests.conftest import START, database_url


def _question(n: int, *, ref: str | None, closed: datetime | None) -> LiveQuestion:
    return LiveQuestion(
        platform="test",
        chat_id="1",
        kind="dm",
        person_id=None,
        topics=f"t:{n}",
        choice_ids=f"t:{n}:yes",
        fingerprint=f"{n:016x}",
        message_ref=ref,
        open=closed is None,
        followed=False,
        lapses=False,
        created_at=to_db(START - timedelta(days=30)),
        closed_at=to_db(closed) if closed is not None else None,
    )


async def test_sent_closed_questions_go_after_a_day_unsent_ones_after_a_week(
    tmp_path: Path,
) -> None:
    db = Database(database_url(tmp_path))
    await db.upgrade()
    now = START
    day, week = SENT_QUESTION_KEEP + timedelta(hours=1), QUESTION_KEEP + timedelta(hours=1)
    cases = {
        "sent, closed over a day ago": (_question(1, ref="m1", closed=now - day), False),
        "sent, closed an hour ago": (_question(2, ref="m2", closed=now - timedelta(hours=1)), True),
        "unsent, closed over a day ago": (_question(3, ref=None, closed=now - day), True),
        "unsent, closed over a week ago": (_question(4, ref=None, closed=now - week), False),
        "sent, still open": (_question(5, ref="m5", closed=None), True),
        # the newest is kept even when closed long ago: its id is not handed out again
        "newest, sent, closed a week ago": (_question(6, ref="m6", closed=now - week), True),
    }
    try:
        async with db.transaction() as s:
            for q, _ in cases.values():
                s.add(q)
                await s.flush()
        ids = {name: q.id for name, (q, _) in cases.items()}
        async with db.transaction() as s:
            assert await purge_closed_questions(s, now) == 2
        async with db.sessions() as s:
            left = set((await s.scalars(select(LiveQuestion.id))).all())
        assert {name for name in cases if ids[name] in left} == {
            name for name, (_, kept) in cases.items() if kept
        }
    finally:
        await db.dispose()
