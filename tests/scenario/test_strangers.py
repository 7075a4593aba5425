"""Strangers -- people who wrote to the bot but never redeemed an invite nor
consented -- are deleted 30 days after they were last active, by a job on the
database's schedule and the Clock; participants are kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.store.models import DialogState, Identity, Job, Person
from bot.store.spent import JOB_KEYS_NAMED
from tests.conftest import database_url
from tests.console_harness import Console
from tests.pair_steps import joined_pair
from tests.scenario.test_erasure import leftovers


async def people(console: Console) -> set[str]:
    async with console.core.db.sessions() as s:
        return set(await s.scalars(select(Person.display_name)))


async def test_a_stranger_is_purged_after_30_days_and_participants_stay(
    console: Console, tmp_path: Path
) -> None:
    await console.run("@mallory /start FELKOD123\n@mallory hej, vem är du?")
    await joined_pair(console)  # Olga, Anna and Bea redeem their invites
    assert {"Mallory", "Anna", "Bea", "Olga"} <= await people(console)
    await console.run("wait 29d")
    assert "Mallory" in await people(console), "not before 30 days"
    await console.run("wait 2d")
    assert await people(console) == {"Anna", "Bea", "Olga"}
    async with console.core.db.sessions() as s:
        for model in (Identity, DialogState):
            owners = (
                select(func.count())
                .select_from(model)
                .where(model.person_id.not_in(select(Person.id)))
            )
            assert await s.scalar(owners) == 0
        assert await s.scalar(select(Identity).where(Identity.user_id == "mallory")) is None
    if database_url(tmp_path).startswith("sqlite"):
        assert leftovers(tmp_path / "t.db", ["Mallory", "FELKOD123"]) == []


async def test_a_stranger_still_talking_is_checked_again_later(console: Console) -> None:
    await console.run("@sam /start")
    await console.run("wait 20d\n@sam /note\n@sam [Skriv]")  # active again on day 20
    async with console.core.db.sessions() as s:
        assert await s.scalar(select(func.max(DialogState.updated_at))) is not None
    await console.run("wait 11d")  # 31 days after the first visit
    assert "Sam" in await people(console)
    await console.run("wait 20d")
    assert "Sam" not in await people(console)
    async with console.core.db.sessions() as s:
        pending = await s.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "stranger_purge")
        )
        # a check done over a week ago is kept as its key alone (bot.store.retention_keys)
        spent = await s.scalar(
            select(func.count())
            .select_from(JOB_KEYS_NAMED)
            .where(JOB_KEYS_NAMED.c.kind == "stranger_purge")
        )
        assert (pending or 0) + (
            spent or 0
        ) == 2  # the first check (which planned the second) and the second
