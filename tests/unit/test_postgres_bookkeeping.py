"""PostgreSQL's bookkeeping connections (bot.store.postgres): sent marks do
not wait for the disk, the events' transactions keep the server's setting,
a single mark commits on its own, and several stay one transaction; and
prebuilt statements run on the transaction's asyncpg connection itself
(bot.store.pg_direct) as SQLAlchemy would run them: the same values, the
same transaction and row locks, the same errors."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Boolean, bindparam, event, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.store import live_questions as lq
from bot.store import pg_direct
from bot.store.db import Database
from bot.store.epoch import UtcMicros
from bot.store.models import DialogState, Identity, Person
from bot.store.sender_rows import read_sender
from bot.store.session import _by_primary_key, inserted_id, run_core
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


def _new_person(name: str) -> Person:
    return Person(
        display_name=name,
        language="sv",
        timezone="Europe/Stockholm",
        created_at=datetime(2026, 1, 1),
    )


async def _add_person(db: Database, name: str) -> int:
    async with db.transaction() as s:
        person = _new_person(name)
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


# --- prebuilt statements on the transaction's asyncpg connection (bot.store.pg_direct)

TOUCH = (
    update(DialogState)
    .where(DialogState.person_id == bindparam("pid"))
    .values(data=bindparam("data"), updated_at=bindparam("at"))
    .returning(DialogState.data, DialogState.updated_at)
)
#: a bound value read back as its type converts it (BIGINT microseconds, JSON, BOOLEAN)
ECHO = select(
    bindparam("t", type_=UtcMicros()).label("t"),
    bindparam("j", type_=JSON()).label("j"),
    bindparam("b", type_=Boolean()).label("b"),
)


async def _add_sender(db: Database, name: str, user: str) -> int:
    async with db.transaction() as s:
        person = _new_person(name)
        s.add(person)
        await s.flush()
        s.add(Identity(person_id=person.id, platform="console", user_id=user))
        s.add(
            DialogState(
                person_id=person.id,
                conversation="onboarding",
                step="ask",
                data={"n": 1, "ord": "åäö"},
                version=1,
                updated_at=datetime(2026, 1, 1, 9),
            )
        )
        return int(person.id)


def _ran_direct(statement: object) -> bool:
    return any(key[0] is statement and form is not None for key, form in pg_direct._FORMS.items())


async def test_run_core_runs_on_asyncpg_in_the_transaction_with_sqlalchemys_values(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path)
    seen: list[str] = []

    def listen(conn: object, cursor: object, sql: str, *rest: object) -> None:
        seen.append(sql)

    event.listen(db.sync_engine, "before_cursor_execute", listen)
    try:
        pid = await _add_sender(db, "Anna", "u1")
        async with db.transaction() as s:
            # a pending change is flushed first, as ``execute`` would
            s.add(
                Person(
                    display_name="Pending",
                    language="en",
                    timezone="UTC",
                    created_at=datetime(2026, 1, 2),
                )
            )
            result = await run_core(s, RENAME, {"pid": pid, "name": "Bea"})
            assert result.rowcount == 1
            assert _ran_direct(RENAME)
            stamp = datetime(2026, 3, 4, 5, 6, 7, 891011)
            touched = await run_core(s, TOUCH, {"pid": pid, "data": {"a": [1, "ö"]}, "at": stamp})
            assert touched.all() == [({"a": [1, "ö"]}, stamp)]
            echo = await pg_direct.execute(
                s,
                ECHO,
                {"t": stamp, "j": {"x": None}, "b": True},  # type: ignore[arg-type]
            )
            assert echo is not None and echo.first() == (stamp, {"x": None}, True)
            # the same transaction: the ORM reads what the statement wrote
            assert await s.scalar(select(Person.display_name).where(Person.id == pid)) == "Bea"
            assert await s.scalar(select(func.count()).select_from(Person)) == 2
        assert await _name(db, pid) == "Bea"
        # statement listeners (the bench's counters) still see each statement
        assert any(sql.startswith("UPDATE people SET display_name") for sql in seen)
        assert any(sql.startswith("UPDATE dialog_states SET data") for sql in seen)
        # rolled back with the transaction it ran in
        with pytest.raises(RuntimeError):
            async with db.transaction() as s:
                await run_core(s, RENAME, {"pid": pid, "name": "Cai"})
                raise RuntimeError("undo")
        assert await _name(db, pid) == "Bea"
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", listen)
        await db.dispose()


async def test_run_core_inserts_and_errors_as_sqlalchemy_does(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        pid = await _add_sender(db, "Anna", "u1")
        values = {
            "platform": "console",
            "chat_id": "c1",
            "kind": "dm",
            "person_id": pid,
            "topics": "t",
            "choice_ids": "x",
            "fingerprint": "f",
            "message_ref": None,
            "open": True,
            "followed": False,
            "lapses": False,
            "created_at": datetime(2026, 1, 1),
            "closed_at": None,
        }
        async with db.transaction() as s:
            new_id = inserted_id(await run_core(s, lq.insert_one(), values))
            assert _ran_direct(lq.insert_one())
            row = await s.get(lq.LiveQuestion, new_id)
            assert row is not None and row.person_id == pid and row.open is True
        # a NOT NULL violation: the same sqlalchemy.exc error, the transaction undone
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                await run_core(s, RENAME, {"pid": pid, "name": "Cai"})
                await run_core(s, BREAK, {"pid": pid})
        assert await _name(db, pid) == "Anna"
    finally:
        await db.dispose()


async def test_the_senders_read_on_asyncpg_locks_and_converts(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        pid = await _add_sender(db, "Anna", "u1")
        async with db.transaction() as s:
            sender = await read_sender(s, "console", "u1", lock=True)
            assert sender is not None and sender.person.id == pid
            dialog = sender.dialogs["onboarding"]
            assert dialog.data == {"n": 1, "ord": "åäö"}
            assert dialog.updated_at == datetime(2026, 1, 1, 9)
            assert await read_sender(s, "console", "nobody", lock=True) is None
        second_read = asyncio.Event()

        async def second() -> dict[str, object]:
            async with db.transaction() as s2:
                found = await read_sender(s2, "console", "u1", lock=True)
                second_read.set()
                assert found is not None
                return found.dialogs["onboarding"].data

        async with db.transaction() as s:
            first = await read_sender(s, "console", "u1", lock=True)
            assert first is not None
            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            # the person's row is locked: the second event waits ...
            assert not second_read.is_set()
            first.dialogs["onboarding"].data = {"n": 2}
        # ... and then reads what the first committed
        assert await asyncio.wait_for(waiting, 10) == {"n": 2}
    finally:
        await db.dispose()


async def test_get_reads_a_row_the_session_does_not_hold_on_asyncpg(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        pid = await _add_sender(db, "Anna", "u1")
        async with db.transaction() as s:
            person = await s.get(Person, pid)
            assert person is not None and person.display_name == "Anna"
            assert person.created_at == datetime(2026, 1, 1)
            assert _ran_direct(_by_primary_key(Person)[0])  # type: ignore[index]
            # held for the transaction: the same object, no second read
            assert await s.get(Person, pid) is person
            dialog = await s.get(DialogState, (pid, "onboarding"))
            assert dialog is not None and dialog.data == {"n": 1, "ord": "åäö"}
            assert await s.get(Person, pid + 1000) is None
            # a pending row is flushed by the read and found, not read twice
            pending = DialogState(
                person_id=pid,
                conversation="agreement",
                step=None,
                data={},
                version=1,
                updated_at=datetime(2026, 1, 2),
            )
            s.add(pending)
            assert await s.get(DialogState, (pid, "agreement")) is pending
            # a loaded row as any other: its change is flushed and committed
            person.display_name = "Bea"
            dialog.data = {"n": 3}
        assert await _name(db, pid) == "Bea"
        async with db.sessions() as s:
            again = await s.get(DialogState, (pid, "onboarding"))
            assert again is not None and again.data == {"n": 3}
            # a lock (an option) still goes through the ORM, and takes it
            assert await s.get(Person, pid, with_for_update=True) is not None
    finally:
        await db.dispose()


async def test_a_statement_in_a_savepoint_is_undone_with_it(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    try:
        pid = await _add_sender(db, "Anna", "u1")
        async with db.transaction() as s:
            await run_core(s, RENAME, {"pid": pid, "name": "Bea"})  # (the connection, cached)
            with pytest.raises(RuntimeError):
                async with s.begin_nested():
                    await run_core(s, RENAME, {"pid": pid, "name": "Cai"})
                    raise RuntimeError("one job fails")
            assert await s.scalar(select(Person.display_name).where(Person.id == pid)) == "Bea"
        assert await _name(db, pid) == "Bea"
    finally:
        await db.dispose()
