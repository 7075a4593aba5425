"""Due feedback rounds run as a batch (reads made ahead, no savepoint per job)
and leave exactly what running them one by one leaves (issue 21).

The same database is built twice: once the tick runs the rounds together, once
with the batch path switched off (each job in its savepoint, every read its
own query).  The batch mixes the cases the read-ahead must not get wrong: a
mentor seated in two of the batch's pairs, a pair with two rounds due, a
paused pair, a quiet pair (it is told how to switch messages back on), a
person who already got a message of this moment (it is folded into a
digest), an open question that the new one follows, and a round that fails.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Core
from bot.config import load_settings
from bot.core.ports import FakeClock
from bot.core.scheduler import moment_mark
from bot.core.types import Address, Outgoing, Reply
from bot.store import outbox
from bot.store.db import to_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import (
    Group,
    Identity,
    Job,
    Member,
    OutboxMessage,
    Person,
    Programme,
    Prompt,
)
from tests.conftest import START, database_url

PLATFORM = "test"


class Recorder:
    platform = PLATFORM

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, out: Outgoing) -> str | None:
        self.sent.append((out.address.chat_id, out.reply.text))
        return None


async def _build(core: Core, *, broken: bool = True) -> None:
    now = to_db(START)
    long_ago = to_db(START - timedelta(days=40))
    async with core.db.transaction() as session:
        session.add(
            Programme(
                id=1,
                slug="batch",
                name="Batch",
                goal="Goal",
                start_date=date(2026, 10, 1),
                end_date=date(2027, 6, 1),
                frequency_days=30,
                min_minutes=20,
                max_minutes=60,
                format="one_to_one",
                mode="online",
                language="sv",
                settings={},
                created_at=long_ago,
            )
        )
        await session.flush()
        for pid in range(1, 15):
            session.add(
                Person(
                    id=pid,
                    display_name=f"P{pid}",
                    language="en" if pid % 3 == 0 else "sv",
                    timezone="Europe/Stockholm",
                    created_at=long_ago,
                    consent_at=long_ago,
                    onboarded_at=long_ago,
                    last_active_at=long_ago,
                )
            )
        await session.flush()
        for pid in range(1, 15):
            session.add(
                Identity(
                    id=pid,
                    person_id=pid,
                    platform=PLATFORM,
                    user_id=str(pid),
                    dm_chat_id=str(pid),
                )
            )
        # pairs 1..7: (mentor, mentee); person 1 mentors pairs 1 and 2
        seats = {1: (1, 2), 2: (1, 3), 3: (4, 5), 4: (6, 7), 5: (8, 9), 6: (10, 11), 7: (12, 13)}
        for gid in seats:
            paused = gid == 3
            session.add(
                Group(
                    id=gid,
                    programme_id=1,
                    kind="pair",
                    name=f"Pair {gid}",
                    status="paused" if paused else "active",
                    paused_until=to_db(START + timedelta(days=10)) if paused else None,
                    created_at=long_ago,
                    version=0,
                )
            )
        await session.flush()
        member_id = 0
        for gid, (mentor, mentee) in seats.items():
            for pid, role in ((mentor, "mentor"), (mentee, "mentee")):
                member_id += 1
                session.add(
                    Member(
                        id=member_id,
                        programme_id=1,
                        group_id=gid,
                        person_id=pid,
                        name=f"P{pid}",
                        role=role,
                        joined_at=long_ago,
                    )
                )
        due = [
            (gid, {"kind": "checkin", "round": "1"}, f"fb:checkin:{gid}:1") for gid in range(1, 8)
        ]
        due.append((4, {"kind": "midpoint", "round": "1"}, "fb:midpoint:4"))  # pair 4 twice
        if broken:
            due.append((7, {"kind": "no-such-round", "round": "1"}, "fb:broken:7"))  # fails
        for gid, payload, key in due:
            session.add(
                Job(
                    kind="fb_round",
                    due_at=now,
                    key=key,
                    group_id=gid,
                    payload=payload,
                    attempts=0,
                )
            )
        # pair 5 is quiet: two moments asked, nobody answered since
        for days in (20, 10):
            session.add(
                Prompt(group_id=5, kind="checkin", sent_at=to_db(START - timedelta(days=days)))
            )
        # pair 4 was asked once: its check-in makes two, so its midpoint finds it quiet
        session.add(Prompt(group_id=4, kind="checkin", sent_at=to_db(START - timedelta(days=5))))
        await session.flush()
        # person 11 already got a message of this moment: the round folds into it
        await outbox.enqueue(
            session,
            Address(PLATFORM, "11", None, "dm"),
            Reply("Earlier at this moment"),
            START,
            person_id=11,
            key="earlier:11",
            digest=moment_mark(START),
        )
        # person 10 has an open question on another topic: the round's follows it
        session.add(
            LiveQuestion(
                platform=PLATFORM,
                chat_id="10",
                kind="dm",
                person_id=10,
                topics="mt:99",
                choice_ids="mt:99:yes",
                fingerprint="0" * 16,
                message_ref="500",
                open=True,
                followed=False,
                lapses=False,
                created_at=long_ago,
                closed_at=None,
            )
        )


def _rows(objs: Any) -> list[dict[str, Any]]:
    """Rows without their surrogate ids: the order of inserts may differ (rows
    a batch writes at its end), and PostgreSQL's sequences do not roll back with
    a failed batch.  A message's question is the question's id: left out too."""
    out = []
    for obj in objs:
        row = {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key != "id"}
        if isinstance(row.get("payload"), dict) and "question" in row["payload"]:
            row["payload"] = {**row["payload"], "question": None}
        out.append(row)
    return out


async def _run(
    tmp: Path, *, together: bool, broken: bool
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    tmp.mkdir()  # noqa: ASYNC240  (a test's own directory, before anything runs)
    core = await Core.open(load_settings(database_url=database_url(tmp)), FakeClock(START))
    try:
        await _build(core, broken=broken)
        recorder = Recorder()
        core.add_transport(recorder)
        if not together:
            core.scheduler.flows.job_preloads.clear()
        ran = await core.scheduler.tick()
        assert ran == (9 if broken else 8)
        async with core.db.sessions() as session:
            state = {
                "jobs": _rows(await session.scalars(select(Job).order_by(Job.key))),
                "outbox": _rows(
                    await session.scalars(select(OutboxMessage).order_by(OutboxMessage.idem_key))
                ),
                "questions": _rows(
                    await session.scalars(
                        select(LiveQuestion).order_by(
                            LiveQuestion.person_id, LiveQuestion.created_at, LiveQuestion.topics
                        )
                    )
                ),
                "prompts": _rows(
                    await session.scalars(select(Prompt).order_by(Prompt.group_id, Prompt.sent_at))
                ),
            }
        return state, recorder.sent
    finally:
        await core.close()


@pytest.mark.parametrize("broken", [False, True])
async def test_a_batch_of_rounds_leaves_what_one_by_one_leaves(
    tmp_path: Path, broken: bool
) -> None:
    together, sent_together = await _run(tmp_path / "together", together=True, broken=broken)
    apart, sent_apart = await _run(tmp_path / "apart", together=False, broken=broken)
    assert together == apart
    assert sorted(sent_together) == sorted(sent_apart)
    jobs = {job["key"]: job for job in together["jobs"]}
    # every round ran once and planned its next check-in; a broken one failed
    # alone (the batch ran again job by job) and waits for its retry
    if broken:
        assert jobs["fb:broken:7"]["done_at"] is None and jobs["fb:broken:7"]["attempts"] == 1
    assert all(jobs[f"fb:checkin:{g}:1"]["done_at"] is not None for g in range(1, 8))
    assert {f"fb:checkin:{g}:2" for g in (1, 2, 4, 5, 6, 7)} <= set(jobs)
    chats = [chat for chat, _ in sent_together]
    # the shared mentor got both pairs' check-ins, as one digest of the moment;
    # the paused pair got nothing
    mentor = [o for o in together["outbox"] if o["person_id"] == 1]
    assert len(mentor) == 2 and {o["digest"] for o in mentor} == {moment_mark(START)}
    assert chats.count("1") == 1 and "4" not in chats and "5" not in chats
    # the quiet pair was told how to resume instead of being asked
    quiet = [o for o in together["outbox"] if o["idem_key"].startswith("quiet:5:")]
    assert len(quiet) == 2
    assert [o for o in together["outbox"] if o["idem_key"].startswith("quiet:4:")]
    # person 11's question was folded into the earlier message of this moment
    folded = [q for q in together["questions"] if q["person_id"] == 11]
    assert folded and folded[-1]["followed"] is True
    # person 10's open meeting question is now followed by the check-in
    old = next(q for q in together["questions"] if q["topics"] == "mt:99")
    assert old["open"] is True and old["followed"] is True


async def test_the_batch_path_is_taken(tmp_path: Path) -> None:
    """Without a failing round, the rounds above really run together (no savepoint)."""
    from sqlalchemy import event as sa_event

    core = await Core.open(load_settings(database_url=database_url(tmp_path)), FakeClock(START))
    try:
        await _build(core, broken=False)
        core.add_transport(Recorder())
        seen: list[str] = []

        def statement(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
            seen.append(sql.lstrip().split(None, 1)[0].upper())

        sa_event.listen(core.db.sync_engine, "before_cursor_execute", statement)
        assert await core.scheduler.tick() == 8
        sa_event.remove(core.db.sync_engine, "before_cursor_execute", statement)
        # one by one, each of the 8 rounds would take a savepoint
        assert "SAVEPOINT" not in seen
        assert "SELECT" in seen and "INSERT" in seen
    finally:
        await core.close()
