"""PostgreSQL's bookkeeping connections (bot.store.postgres): sent marks do
not wait for the disk, the events' transactions keep the server's setting,
a single mark commits on its own, and several stay one transaction."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import DBAPIError

from bot.store.db import Database
from bot.store.models import Person
from tests.conftest import database_url

SETTING = text("SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'")
RENAME = update(Person).where(Person.id == bindparam("pid")).values(display_name=bindparam("name"))
#: fails: a person's language may not be NULL
BREAK = update(Person).where(Person.id == bindparam("pid")).values(language=None)


async def _open(tmp_path: Path) -> Database:
    url = database_url(tmp_path)
    if url.startswith("sqlite"):
        pytest.skip("PostgreSQL's connections")
    db = Database(url)
    await db.upgrade()
    return db


async def _add_person(db: Database, name: str) -> int:
    async with db.transaction() as s:
        person = Person(
            display_name=name,
            language="sv",
            timezone="Europe/Stockholm",
            created_at=datetime(2026, 1, 1),
        )
        s.add(person)
        await s.flush()
        return int(person.id)


async def _name(db: Database, pid: int) -> str:
    async with db.sessions() as s:
        return str(await s.scalar(select(Person.display_name).where(Person.id == pid)))


async def test_marks_do_not_wait_for_the_disk_and_events_keep_the_servers_setting(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path)
    try:
        async with db.transaction(durable=False) as s:
            assert tuple((await s.execute(SETTING)).one()) == ("off", "client")
        async with db.transaction() as s:
            _setting, source = (await s.execute(SETTING)).one()
        # the events' connections set nothing of their own: the server decides
        assert source != "client"
    finally:
        await db.dispose()


async def test_a_single_mark_commits_and_several_stay_one_transaction(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        pid = await _add_person(db, "Anna")
        # one statement: autocommit, visible to everyone at once
        await db.bookkeep(RENAME, [{"pid": pid, "name": "Bea"}])
        assert await _name(db, pid) == "Bea"
        # the same pooled connection, several statements: all or nothing
        # (autocommit must not outlive the single mark)
        with pytest.raises(DBAPIError):
            await db.bookkeep([RENAME, BREAK], [{"pid": pid, "name": "Cai"}, {"pid": pid}])
        assert await _name(db, pid) == "Bea"
        with pytest.raises(DBAPIError):
            await db.bookkeep_steps([(RENAME, {"pid": pid, "name": "Dan"}), (BREAK, {"pid": pid})])
        assert await _name(db, pid) == "Bea"
        await db.bookkeep(
            [RENAME, RENAME], [{"pid": pid, "name": "Eli"}, {"pid": pid, "name": "Fi"}]
        )
        assert await _name(db, pid) == "Fi"
    finally:
        await db.dispose()
