"""Delivered messages keep their words for OUTBOX_KEEP, then only what the bot
still reads: the key (queueing stays idempotent), who and when, the digest,
in the slim table.  Done jobs are replaced by their keys JOB_KEEP after they
ran, and planning one again plans nothing.  Runs on PostgreSQL too with
``MENTORBOT_TEST_DATABASE_URL``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.types import Address, Reply
from bot.organiser.programmes import add_organiser
from bot.store import outbox
from bot.store.jobs import schedule
from bot.store.models import Job, OutboxMessage, Person, Programme
from bot.store.retention import OUTBOX_KEEP
from bot.store.retention_keys import JOB_KEEP
from bot.store.spent import JOB_KEYS, SENT, seconds
from tests.conftest import START
from tests.harness import Harness
from tests.scenario.coaching_steps import join, make_pair

SECRET = "Matchningen känns inte rätt."


async def test_delivered_words_are_dropped_after_outbox_keep_and_the_key_still_counts(
    h: Harness,
) -> None:
    await h.person("anna").says("/start")
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        address = Address(h.transport.platform, "dm-anna", None, "dm")
        await outbox.enqueue(s, address, Reply("Hej Anna!"), START, person_id=pid, key="k:hello")
    await h.tick()
    assert [o.reply.text for o in h.transport.sent][-1] == "Hej Anna!"

    await h.wait(OUTBOX_KEEP - timedelta(hours=2))
    async with h.core.db.sessions() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.idem_key == "k:hello"))
        assert row is not None and row.payload["text"] == "Hej Anna!"  # not yet: still whole

    await h.wait(timedelta(hours=4))
    async with h.core.db.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage))).all()
        assert all(r.payload == {} for r in rows if r.sent_at is not None)
        assert "k:hello" not in {r.idem_key for r in rows}  # moved out of the outbox
        kept = (await s.execute(select(SENT).where(SENT.c.idem_key == "k:hello"))).one()
        assert kept.person_id == pid
        assert seconds(START) <= kept.sent <= seconds(START + timedelta(hours=1))
    async with h.core.db.transaction() as s:
        again = await outbox.enqueue(s, address, Reply("Hej igen"), h.clock.now(), key="k:hello")
    assert again is None  # the key still makes queueing idempotent
    await h.tick()
    assert [o.reply.text for o in h.transport.sent].count("Hej Anna!") == 1
    assert "Hej igen" not in [o.reply.text for o in h.transport.sent]


async def test_a_job_planned_again_after_the_sweep_sends_nothing_twice(h: Harness) -> None:
    """A job that ran, and its message, are swept into the slim tables; planning
    the job again by its key, or queueing its message again by the message's
    key (a replayed job), adds nothing and sends nothing."""
    await h.person("anna").says("/start")
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Person.id))
        job_id = await schedule(
            s,
            "notice",
            START + timedelta(hours=1),
            key="k:notice",
            person_id=pid,
            payload={"key": "basics.type_answer"},
        )
    assert job_id is not None
    await h.wait(timedelta(hours=2))
    text = h.transport.sent[-1].reply.text
    before = len(h.transport.sent)

    # a later job keeps the first from being the newest (its id is never handed out again)
    async with h.core.db.transaction() as s:
        await schedule(
            s,
            "notice",
            START + timedelta(days=30),
            key="k:later",
            person_id=pid,
            payload={"key": "basics.type_answer"},
        )
    await h.wait(max(JOB_KEEP, OUTBOX_KEEP) + timedelta(hours=2))
    async with h.core.db.sessions() as s:
        assert await s.get(Job, job_id) is None  # the done job is gone...
        assert "k:notice" in set((await s.scalars(select(JOB_KEYS.c.key))).all())  # ...its key kept
        sent_keys = set((await s.scalars(select(SENT.c.idem_key))).all())
        assert f"job:{job_id}" in sent_keys
        assert f"job:{job_id}" not in set((await s.scalars(select(OutboxMessage.idem_key))).all())

    async with h.core.db.transaction() as s:
        again = await schedule(
            s,
            "notice",
            h.clock.now(),
            key="k:notice",
            person_id=pid,
            payload={"key": "basics.type_answer"},
        )
        resent = await outbox.enqueue(
            s,
            Address(h.transport.platform, "dm-anna", None, "dm"),
            Reply(text),
            h.clock.now(),
            person_id=pid,
            key=f"job:{job_id}",
        )
    assert again is None and resent is None
    await h.tick()
    assert len(h.transport.sent) == before  # nothing twice


async def test_a_contact_message_swept_after_delivery_is_not_forwarded_again(
    h: Harness,
) -> None:
    """/contact forwarding asks whether a copy reached an organiser by its key:
    after the delivered copy moved to the slim table, an organiser who joins
    later still does not get it again."""
    pair = await make_pair(h)
    await pair.mentee.says(f"/contact {SECRET}")
    async with h.core.db.transaction() as s:
        programme = await s.get(Programme, pair.programme_id)
        assert programme is not None
        first = await add_organiser(s, programme, "Olga", h.clock.now(), 30)
        second = await add_organiser(s, programme, "Pia", h.clock.now(), 30)
    olga, pia = h.person("olga"), h.person("pia")
    await join(olga, first.code, "en")
    assert sum(SECRET in r.text for r in olga.inbox) == 1
    await h.wait(OUTBOX_KEEP + timedelta(hours=2))
    async with h.core.db.sessions() as s:
        moved = (await s.scalars(select(SENT.c.idem_key))).all()
        assert any(key.startswith("contact:") for key in moved)
        assert not (
            await s.scalars(
                select(OutboxMessage.idem_key).where(OutboxMessage.idem_key.startswith("contact:"))
            )
        ).all()
    await join(pia, second.code, "sv")
    assert not any(SECRET in r.text for r in pia.inbox)
    assert sum(SECRET in r.text for r in olga.inbox) == 1
