"""Reading pairs and circles: who is in a group, and which groups a person is in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result, bindparam, select

from bot.store.models import Group, Member, Person, Programme
from bot.store.session import DbSession


async def members_of(session: DbSession, group_id: int) -> list[Member]:
    return list(
        (
            await session.scalars(
                select(Member)
                .where(Member.group_id == group_id, Member.left_at.is_(None))
                .order_by(Member.role.desc(), Member.id)  # mentor first
            )
        ).all()
    )


async def memberships(session: DbSession, person_id: int) -> list[Member]:
    """The person's seats in pairs and circles (not organiser seats)."""
    return list(
        (
            await session.scalars(
                select(Member).where(
                    Member.person_id == person_id,
                    Member.group_id.is_not(None),
                    Member.left_at.is_(None),
                )
            )
        ).all()
    )


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
    return await session.scalar(select(Group).where(Group.id == group_id).with_for_update())


_SEATS_WITH_PEOPLE = (
    select(Member, Person)
    .join(Person, Person.id == Member.person_id)
    .where(Member.group_id == bindparam("group_id"), Member.left_at.is_(None))
    .order_by(Member.role.desc(), Member.id)
)


async def seats_with_people(session: DbSession, group_id: int) -> list[tuple[Member, Person]]:
    """The group's current members who have joined, each with their person
    (mentor first), in one query."""
    rows: Result[Any] = await session.execute(_SEATS_WITH_PEOPLE, {"group_id": group_id})
    return [(row.Member, row.Person) for row in rows]
