"""Migration 0007_i21s: three time columns become microseconds since 1970.

Rows written at the revision before keep their exact times through the
upgrade (read back as the same datetimes through the models), new rows are
stored as integers, and the downgrade gives the old text/timestamp values
back unchanged.  On SQLite, and on PostgreSQL with MENTORBOT_TEST_DATABASE_URL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, column, inspect, select, table, text

from bot.store.db import Database, alembic_config
from bot.store.epoch import from_micros, to_micros
from bot.store.models import (
    CoachingLog,
    FeedbackAnswer,
    Group,
    Meeting,
    MeetingCheck,
    Member,
    Person,
    Programme,
)
from bot.store.spent import JOB_KEYS_NAMED, JOB_KINDS
from tests.conftest import database_url

BEFORE = "0006_i21m"
T1 = datetime(2027, 5, 26, 9, 0, 0, 123456)
T2 = datetime(2026, 12, 31, 23, 59, 59)
T3 = datetime(2027, 3, 28, 1, 30, 0, 999999)


async def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    from alembic import command

    def run(conn: Any) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    if db.engine is not None:
        async with db.engine.begin() as conn:
            await conn.run_sync(run)
    else:
        with db.sync_engine.begin() as conn:
            run(conn)


def _old(name: str, time_column: str, *others: str) -> Any:
    """The table as it was before the migration (its time column a DateTime)."""
    return table(name, column(time_column, DateTime()), *(column(c) for c in others))


async def _raw(db: Database, sql: str) -> list[Any]:
    async with db.sessions() as s:
        return list((await s.execute(text(sql))).scalars().all())


async def _indexes(db: Database, table_name: str) -> set[str]:
    def names(conn: Any) -> set[str]:
        return {str(i["name"]) for i in inspect(conn).get_indexes(table_name)}

    if db.engine is not None:
        async with db.engine.connect() as conn:
            return await conn.run_sync(names)
    with db.sync_engine.connect() as conn:
        return names(conn)


async def test_times_survive_the_upgrade_and_the_downgrade_exactly(tmp_path: Path) -> None:
    db = Database(database_url(tmp_path))
    try:
        await _migrate(db, BEFORE)
        async with db.transaction() as s:
            person = Person(
                display_name="Anna", language="sv", timezone="Europe/Stockholm", created_at=T2
            )
            programme = Programme(
                slug="p", name="P", start_date=T2.date(), end_date=T3.date(), created_at=T2
            )
            s.add_all([person, programme])
            await s.flush()
            group = Group(programme_id=programme.id, kind="pair", created_at=T2)
            s.add(group)
            await s.flush()
            seat = Member(
                programme_id=programme.id,
                group_id=group.id,
                person_id=person.id,
                name="Anna",
                role="mentee",
            )
            meeting = Meeting(
                group_id=group.id,
                uid="u1",
                series_uid="s1",
                starts_at=T2,
                minutes=60,
                mode="online",
                tz="Europe/Stockholm",
                created_at=T2,
                updated_at=T2,
            )
            s.add_all([seat, meeting])
            await s.flush()
            await s.execute(
                _old(
                    "feedback_answers",
                    "created_at",
                    "group_id",
                    "member_id",
                    "role",
                    "kind",
                    "round",
                    "question_id",
                    "skipped",
                    "shared",
                ).insert(),
                [
                    {
                        "created_at": when,
                        "group_id": group.id,
                        "member_id": seat.id,
                        "role": "mentee",
                        "kind": "pulse",
                        "round": "1",
                        "question_id": q,
                        "skipped": False,
                        "shared": False,
                    }
                    for q, when in (("a", T1), ("b", T2))
                ],
            )
            await s.execute(
                _old("coaching_log", "shown_at", "person_id", "item_id", "kind").insert(),
                {"shown_at": T3, "person_id": person.id, "item_id": "q1", "kind": "question"},
            )
            await s.execute(
                _old("meeting_checks", "answered_at", "meeting_id", "member_id", "answer").insert(),
                {
                    "answered_at": T1,
                    "meeting_id": meeting.id,
                    "member_id": seat.id,
                    "answer": "yes",
                },
            )
            await s.execute(
                table("job_keys", column("key"), column("job_id"), column("kind")).insert(),
                [
                    {"key": "mtg:1:check", "job_id": 7, "kind": "mtg_check"},
                    {"key": "mtg:1:remind:1", "job_id": 5, "kind": "mtg_remind"},
                    {"key": "mtg:2:check", "job_id": 9, "kind": "mtg_check"},
                ],
            )
        spent = "SELECT key || ' ' || job_id || ' ' || kind FROM job_keys ORDER BY key"
        spent_before = await _raw(db, spent)
        assert len(spent_before) == 3
        before = {
            "fa": await _raw(db, "SELECT created_at FROM feedback_answers ORDER BY id"),
            "cl": await _raw(db, "SELECT shown_at FROM coaching_log"),
            "mc": await _raw(db, "SELECT answered_at FROM meeting_checks"),
        }

        assert "ix_meetings_series_uid" in await _indexes(db, "meetings")
        await db.upgrade()
        assert "ix_meetings_series_uid" not in await _indexes(db, "meetings")  # read by nothing
        assert "ix_meetings_group_id" in await _indexes(db, "meetings")
        # stored as integers: microseconds since 1970, exactly
        assert await _raw(db, "SELECT created_at FROM feedback_answers ORDER BY id") == [
            to_micros(T1),
            to_micros(T2),
        ]
        assert await _raw(db, "SELECT shown_at FROM coaching_log") == [to_micros(T3)]
        assert await _raw(db, "SELECT answered_at FROM meeting_checks") == [to_micros(T1)]
        async with db.transaction() as s:
            # read through the models: the same datetimes as before
            answers = (await s.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.id))).all()
            assert [a.created_at for a in answers] == [T1, T2]
            assert (await s.scalars(select(CoachingLog.shown_at))).all() == [T3]
            assert (await s.scalars(select(MeetingCheck.answered_at))).all() == [T1]
            # compared and ordered as times
            later = select(FeedbackAnswer.question_id).where(FeedbackAnswer.created_at > T2)
            assert (await s.scalars(later)).all() == ["a"]
            first = select(FeedbackAnswer.question_id).order_by(FeedbackAnswer.created_at)
            assert (await s.scalars(first)).first() == "b"
            s.add(
                CoachingLog(person_id=answers[0].member_id, item_id="q2", kind="tip", shown_at=T1)
            )
        assert sorted(await _raw(db, "SELECT shown_at FROM coaching_log")) == [
            to_micros(T3),
            to_micros(T1),
        ]
        assert from_micros(to_micros(T1)) == T1
        # a spent job keeps its kind as a number; the names are in job_kinds
        async with db.sessions() as s:
            named = select(JOB_KEYS_NAMED).order_by(JOB_KEYS_NAMED.c.key)
            assert [tuple(r) for r in (await s.execute(named)).all()] == [
                ("mtg:1:check", 7, "mtg_check"),
                ("mtg:1:remind:1", 5, "mtg_remind"),
                ("mtg:2:check", 9, "mtg_check"),
            ]
            assert sorted((await s.scalars(select(JOB_KINDS.c.name))).all()) == [
                "mtg_check",
                "mtg_remind",
            ]

        await _migrate(db, BEFORE, down=True)
        assert await _raw(db, "SELECT created_at FROM feedback_answers ORDER BY id") == before["fa"]
        assert (await _raw(db, "SELECT shown_at FROM coaching_log ORDER BY id"))[0] == before["cl"][
            0
        ]
        assert await _raw(db, "SELECT answered_at FROM meeting_checks") == before["mc"]
        assert await _raw(db, spent) == spent_before
        assert "ix_meetings_series_uid" in await _indexes(db, "meetings")
        await db.upgrade()  # and up again
        async with db.sessions() as s:
            assert (await s.scalars(select(MeetingCheck.answered_at))).all() == [T1]
    finally:
        await db.dispose()
