"""SQLite's reads of mapped rows around the ORM (bot/store/orm_reads.py) give
what ``Session.execute`` gives: the same rows, the session's own objects,
held rows left as they are, and writes that synchronise loaded rows still
going through the ORM."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from bot.store.db import Database
from bot.store.models import Identity, Person
from bot.store.orm_reads import read_select
from bot.store.session import SyncBackedSession


def _person(name: str) -> Person:
    return Person(
        display_name=name,
        language="sv",
        timezone="Europe/Stockholm",
        created_at=datetime(2026, 1, 1),
    )


async def _seeded(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/reads.db")
    await db.upgrade()
    async with db.transaction() as s:
        anna, bea = _person("Anna"), _person("Bea")
        s.add_all([anna, bea])
        await s.flush()
        s.add(Identity(person_id=anna.id, platform="telegram", user_id="1", dm_chat_id="c1"))
    return db


def _columns(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {prop.key: getattr(obj, prop.key) for prop in type(obj).__mapper__.column_attrs}


def _flat(rows: list[Any]) -> list[list[Any]]:
    return [[_columns(v) if isinstance(v, (Person, Identity)) else v for v in row] for row in rows]


async def test_entities_columns_and_subqueries_read_as_the_orm_reads_them(tmp_path: Path) -> None:
    db = await _seeded(tmp_path)
    other = aliased(Identity)
    count = select(func.count(other.id)).where(other.person_id == Person.id).scalar_subquery()
    stmt = (
        select(Person, Identity.id, Identity, count)
        .outerjoin(Identity, Identity.person_id == Person.id)
        .order_by(Person.id)
    )
    async with db.transaction() as s:
        assert isinstance(s, SyncBackedSession)
        fast = list((await s.execute(stmt)).all())
        assert read_select(s.sync_session, stmt, None) is not None  # (read around the ORM)
        held = await s.get(Person, fast[0][0].id)
        assert held is fast[0][0]  # the session's own row
    async with db.transaction() as s:
        assert isinstance(s, SyncBackedSession)
        orm = list(s.sync_session.execute(stmt).all())
    assert _flat(fast) == _flat(orm)
    assert fast[1][2] is None and fast[1][3] == 0  # Bea has no identity (outer join)
    assert fast[0][3] == 1 and fast[0][1] == fast[0][2].id
    await db.dispose()


async def test_a_held_row_keeps_its_changes_unless_populate_existing(tmp_path: Path) -> None:
    db = await _seeded(tmp_path)
    async with db.transaction() as s:
        assert isinstance(s, SyncBackedSession)
        anna = (await s.scalars(select(Person).where(Person.display_name == "Anna"))).one()
        # the database changes behind the loaded row
        conn = await s.connection()
        conn.execute(update(Person.__table__).values(language="en"))
        again = (await s.scalars(select(Person).order_by(Person.id))).first()
        assert again is anna and anna.language == "sv"  # as the ORM: not overwritten
        refreshed = (
            await s.scalars(
                select(Person).order_by(Person.id).execution_options(populate_existing=True)
            )
        ).first()
        assert refreshed is anna and anna.language == "en"
        assert not s.sync_session.is_modified(anna)
        # an expired attribute is filled in by the next read of the row
        s.sync_session.expire(anna, ["display_name"])
        assert (await s.scalar(select(Person).where(Person.id == anna.id))) is anna
        assert "display_name" in anna.__dict__ and anna.display_name == "Anna"
        assert not s.sync_session.is_modified(anna)
    await db.dispose()


async def test_updates_synchronise_loaded_rows(tmp_path: Path) -> None:
    db = await _seeded(tmp_path)
    async with db.transaction() as s:
        # nothing loaded of the class: run on the connection
        result = await s.execute(
            update(Person).where(Person.display_name == "Bea").values(timezone="UTC")
        )
        assert result.rowcount == 1
        bea = (await s.scalars(select(Person).where(Person.display_name == "Bea"))).one()
        assert bea.timezone == "UTC"
        # a loaded row of the class: the ORM updates it as before
        await s.execute(update(Person).where(Person.id == bea.id).values(timezone="Europe/Oslo"))
        assert bea.timezone == "Europe/Oslo"
    async with db.sessions() as s:
        assert await s.scalar(select(Person.timezone).where(Person.display_name == "Bea")) == (
            "Europe/Oslo"
        )
    await db.dispose()


async def test_get_of_a_pending_row_returns_that_row(tmp_path: Path) -> None:
    """``Session.get`` of a key only a pending (added, not flushed) row has:
    the read's autoflush makes it persistent, and that very object is the
    answer -- not a second copy read back, which the identity map refuses."""
    from bot.store.models import DialogState

    db = await _seeded(tmp_path)
    try:
        async with db.transaction() as s:
            assert isinstance(s, SyncBackedSession)
            anna = (await s.scalars(select(Person).where(Person.display_name == "Anna"))).one()
            pending = DialogState(
                person_id=anna.id,
                conversation="agreement",
                step=None,
                data={},
                version=1,
                updated_at=datetime(2026, 1, 2),
            )
            s.add(pending)
            assert await s.get(DialogState, (anna.id, "agreement")) is pending
        async with db.transaction() as s:
            again = await s.get(DialogState, (anna.id, "agreement"))
            assert again is not None and again.version == 1
    finally:
        await db.dispose()
