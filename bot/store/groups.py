"""Reading pairs and circles: who is in a group, and which groups a person is in."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Select, bindparam, select

from bot.store.batch_memo import MISSING, take
from bot.store.models import Group, Member, Person, Programme
from bot.store.session import SEATS_MEMO, DbSession, forget_seats, seats_may_change

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


@cache
def _group_and_programme() -> Select[Group, Programme]:
    return (
        select(Group, Programme)
        .join(Programme, Programme.id == Group.programme_id)
        .where(Group.id == bindparam("group_id"))
    )


async def group_and_programme(session: DbSession, group_id: int) -> tuple[Group, Programme]:
    """A group and its programme: from the session when it holds the group,
    else both in one statement (instead of one each)."""
    if held(session, Group, group_id) is None:
        params = {"group_id": group_id}
        row = (await session.execute(_group_and_programme(), params)).first()
        assert row is not None
        return row[0], row[1]
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


def held(session: DbSession, cls: type[T], ident: Any) -> T | None:
    """The session's own copy of a row with this one-column primary key, if it
    holds one (no statement, none of ``Session.get``'s work)."""
    key = cls.__mapper__.identity_key_from_primary_key((ident,))  # type: ignore[attr-defined]
    return cast("T | None", session.sync_session.identity_map.get(key))


async def held_or_get(session: DbSession, cls: type[T], ident: Any) -> T | None:
    """``session.get``, answered straight from the identity map when the
    session holds the row (a batch of jobs finds the groups and programmes
    it read ahead there: ``Session.get`` costs several times the lookup)."""
    found = held(session, cls, ident)
    return found if found is not None else await session.get(cls, ident)
