"""Reading pairs and circles: who is in a group, and which groups a person is in."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, bindparam, select

from bot.store.batch_memo import MISSING, take
from bot.store.models import Group, Member, Person, Programme
from bot.store.session import (
    ORM_LISTENS,
    SEATS_MEMO,
    DbSession,
    SyncBackedSession,
    adopt,
    forget_seats,
    seats_may_change,
)

T = TypeVar("T")

# The two reads below run in most events, so their statements are built once
# (bound parameters): SQLAlchemy then reuses their cache keys and compiled SQL.


@cache
def _members_of() -> Select[Member, Person]:
    return (
        select(Member, Person)
        .outerjoin(Person, Person.id == Member.person_id)
        .where(Member.group_id == bindparam("group_id"), Member.left_at.is_(None))
        .order_by(Member.role.desc(), Member.id)  # mentor first
    )


@cache
def _memberships() -> Select[Member]:
    return select(Member).where(
        Member.person_id == bindparam("person_id"),
        Member.group_id.is_not(None),
        Member.left_at.is_(None),
    )


@cache
def _columns(cls: type[Any]) -> tuple[Table, list[str]]:
    """A mapped class's table and the attribute each of its columns loads."""
    table = cls.__table__
    return table, [cls.__mapper__.get_property_by_column(col).key for col in table.c]


@cache
def _seat_rows() -> Select[Any]:
    """:func:`_members_of` as a Core statement: the same SQL, plain rows."""
    member, _ = _columns(Member)
    person, _ = _columns(Person)
    return (
        select(*member.c, *person.c)
        .select_from(member.outerjoin(person, person.c.id == member.c.person_id))
        .where(member.c.group_id == bindparam("group_id"), member.c.left_at.is_(None))
        .order_by(member.c.role.desc(), member.c.id)
    )


@cache
def _group_programme_rows() -> Select[Any]:
    group, _ = _columns(Group)
    programme, _ = _columns(Programme)
    return (
        select(*group.c, *programme.c)
        .select_from(group.join(programme, programme.c.id == group.c.programme_id))
        .where(group.c.id == bindparam("group_id"))
    )


def _core_reads(session: DbSession) -> bool:
    """Whether reads may go through Core and :func:`adopt` (see
    ``bot.store.sender_rows``): on SQLite's sync-backed session, unless
    something listens to the ORM's loads."""
    return isinstance(session, SyncBackedSession) and ORM_LISTENS not in session.info


def _held_or_adopted(session: SyncBackedSession, cls: type[T], values: Sequence[Any]) -> T:
    """The session's own copy of a row when it holds one (as an ORM load
    returns it, unchanged), else the row adopted as loaded."""
    _, keys = _columns(cls)  # type: ignore[arg-type]  # a class is hashable
    mapper = cls.__mapper__  # type: ignore[attr-defined]
    pk = tuple(
        values[keys.index(mapper.get_property_by_column(col).key)] for col in mapper.primary_key
    )
    held = session.sync_session.identity_map.get(mapper.identity_key_from_primary_key(pk))
    if held is not None:
        return cast("T", held)
    return adopt(session, cls, keys, values)


def _read_rows(session: SyncBackedSession, stmt: Select[Any], params: dict[str, Any]) -> list[Any]:
    """A Core read in the session's transaction, after the autoflush an ORM
    read would have made."""
    sync = session.sync_session
    if sync.autoflush:  # (as the ORM's read would)
        sync.flush()
    return list(sync.connection().execute(stmt, params).all())


#: ``session.info`` key of the people :func:`members_of` loaded along the way
HELD_PEOPLE = "held_people"


@cache
def _seat_of() -> Select[Member]:
    return select(Member).where(
        Member.group_id == bindparam("group_id"),
        Member.person_id == bindparam("person_id"),
        Member.left_at.is_(None),
    )


async def seat_of(session: DbSession, group_id: int, person_id: int) -> Member | None:
    """A person's current seat in a group, if they have one."""
    return await session.scalar(_seat_of(), {"group_id": group_id, "person_id": person_id})


@cache
def _group_with_seat() -> Select[Group, Member]:
    return (
        select(Group, Member)
        .outerjoin(
            Member,
            (Member.group_id == Group.id)
            & (Member.person_id == bindparam("person_id"))
            & Member.left_at.is_(None),
        )
        .where(Group.id == bindparam("group_id"))
    )


async def group_and_seat(
    session: DbSession, group_id: int, person_id: int
) -> tuple[Group | None, Member | None]:
    """A group and the person's current seat in it, in one query (a button
    press on a group's question checks both)."""
    params = {"group_id": group_id, "person_id": person_id}
    row = (await session.execute(_group_with_seat(), params)).first()
    return (row[0], row[1]) if row is not None else (None, None)


async def _seats(session: DbSession, group_id: int) -> list[tuple[Member, Person | None]]:
    """The group's current seats with their people, mentor first: read once
    per transaction while nothing changes them (several flows of one event
    ask for the same pair's seats; see ``bot.store.session.SEATS_MEMO`` for
    what drops the memo).  A change still waiting to be flushed is flushed
    by the read, as before."""
    info = session.info
    memo: dict[int, list[tuple[Member, Person | None]]] | None = info.get(SEATS_MEMO)
    if memo is not None and group_id in memo:
        sync = session.sync_session
        if not seats_may_change(sync):
            if sync.autoflush and (sync.new or sync.dirty):
                await session.flush()  # what the read would have flushed, as before
            return memo[group_id]
    if _core_reads(session):
        assert isinstance(session, SyncBackedSession)
        split = len(_columns(Member)[1])
        rows = []
        for row in _read_rows(session, _seat_rows(), {"group_id": group_id}):
            seat = _held_or_adopted(session, Member, row[:split])
            person = row[split:]
            rows.append(
                (seat, _held_or_adopted(session, Person, person) if person[0] is not None else None)
            )
    else:
        result = await session.execute(_members_of(), {"group_id": group_id})
        rows = cast("list[tuple[Member, Person | None]]", result.all())
    held = info.setdefault(HELD_PEOPLE, [])
    held.extend(person for _, person in rows if person is not None)
    info.setdefault(SEATS_MEMO, {})[group_id] = rows
    return rows


async def members_of(session: DbSession, group_id: int) -> list[Member]:
    """The group's current seats, mentor first.

    Their people come in the same query and are held for the rest of the
    transaction, so the ``session.get(Person, ...)`` that usually follows is
    answered from the session instead of one more SELECT per member (the
    session itself only keeps loaded rows while something refers to them).
    """
    return [member for member, _ in await _seats(session, group_id)]


async def memberships(session: DbSession, person_id: int) -> list[Member]:
    """The person's seats in pairs and circles (not organiser seats)."""
    return list((await session.scalars(_memberships(), {"person_id": person_id})).all())


async def organiser_programmes(session: DbSession, person_id: int) -> list[Programme]:
    return list(
        (
            await session.scalars(
                select(Programme)
                .join(Member, Member.programme_id == Programme.id)
                .where(Member.person_id == person_id, Member.role == "organiser")
                .order_by(Programme.id)
            )
        ).all()
    )


async def organisers_of(session: DbSession, programme_id: int) -> list[Person]:
    return list(
        (
            await session.scalars(
                select(Person)
                .join(Member, Member.person_id == Person.id)
                .where(Member.programme_id == programme_id, Member.role == "organiser")
            )
        ).all()
    )


async def group_and_programme(session: DbSession, group_id: int) -> tuple[Group, Programme]:
    """A group and its programme: from the session when it holds the group,
    else both in one Core read (SQLite; see :func:`_core_reads`)."""
    sync = session.sync_session
    if (
        _core_reads(session)
        and Group.__mapper__.identity_key_from_primary_key((group_id,)) not in sync.identity_map
    ):
        assert isinstance(session, SyncBackedSession)
        rows = _read_rows(session, _group_programme_rows(), {"group_id": group_id})
        assert rows
        split = len(_columns(Group)[1])
        return (
            _held_or_adopted(session, Group, rows[0][:split]),
            _held_or_adopted(session, Programme, rows[0][split:]),
        )
    group = await session.get(Group, group_id)
    assert group is not None
    programme = await session.get(Programme, group.programme_id)
    assert programme is not None
    return group, programme


def is_ready(member: Member, person: Person | None) -> bool:
    """Joined and consented: the member can take part in the group's flows."""
    return member.person_id is not None and person is not None and person.consent_at is not None


async def lock_group(session: DbSession, group_id: int) -> Group | None:
    """Serialise decisions about one group (both members accepting at once).

    On PostgreSQL this takes a row lock held until the event commits; SQLite
    transactions are serial already, so the plain read is enough there.
    """
    group = await session.scalar(select(Group).where(Group.id == group_id).with_for_update())
    forget_seats(session, locked=True)
    return group


async def seats_with_people(session: DbSession, group_id: int) -> list[tuple[Member, Person]]:
    """The group's current members who have joined, each with their person
    (mentor first), in one query."""
    ahead = take(session, "seats", group_id)
    if ahead is not MISSING:
        return list(ahead)
    # (the seats whose person exists: the inner join's rows, in its order)
    return [
        (member, person) for member, person in await _seats(session, group_id) if person is not None
    ]
