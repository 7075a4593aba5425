"""Importing a parsed roster: checked whole against the database, then all or nothing.

Every row is checked before anything is created (the programme exists, the
programme's format allows the group, a group of that name is not already
there with other people), so a file with any problem creates nothing and all
problems come back at once, in line order.  Importing the same file again is
safe: a group with the same programme, label and people, or an organiser
seat with the same name, is reported as "already there" and left alone
(no second pair, no second set of codes).  ``dry_run`` checks and reports
without creating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from bot.organiser.programmes import IssuedInvite, add_organiser, create_group
from bot.organiser.roster import Problem, Roster, RosterGroup, Seat
from bot.store.models import Group, Member, Programme
from bot.store.session import DbSession


@dataclass
class ImportResult:
    created: list[tuple[Group, list[IssuedInvite]]] = field(default_factory=list)
    organisers: list[IssuedInvite] = field(default_factory=list)
    #: would be created (dry run): (kind, label or name, programme)
    planned: list[tuple[str, str, str]] = field(default_factory=list)
    already: list[tuple[int, str]] = field(default_factory=list)  # (line, what)
    problems: list[Problem] = field(default_factory=list)


async def _programmes(session: DbSession, roster: Roster) -> dict[str, Programme]:
    refs = {g.programme for g in roster.groups} | set(roster.organiser_programmes.values())
    found = {}
    for ref in refs:
        programme = await session.scalar(select(Programme).where(Programme.slug == ref))
        if programme is None and ref.isdigit():
            programme = await session.get(Programme, int(ref))
        if programme is not None:
            found[ref] = programme
    return found


async def _existing_group(
    session: DbSession, programme: Programme, group: RosterGroup
) -> tuple[Group | None, bool]:
    """(the group an earlier import created from this label, whether it has the same people)."""
    rows = await session.scalars(
        select(Group).where(
            Group.programme_id == programme.id, Group.name == group.label, Group.kind == group.kind
        )
    )
    for existing in rows:
        seats = await session.scalars(select(Member).where(Member.group_id == existing.id))
        names = sorted((m.role, m.name.casefold()) for m in seats if m.left_at is None)
        wanted = sorted((s.role, s.name.casefold()) for s in group.seats)
        return existing, names == wanted
    return None, False


async def _organiser_there(session: DbSession, programme: Programme, seat: Seat) -> bool:
    names = await session.scalars(
        select(Member.name).where(
            Member.programme_id == programme.id,
            Member.role == "organiser",
            Member.left_at.is_(None),
        )
    )
    return any(n.casefold() == seat.name.casefold() for n in names)


async def import_roster(
    session: DbSession, roster: Roster, now: datetime, invite_days: int, *, dry_run: bool = False
) -> ImportResult:
    result = ImportResult(problems=list(roster.problems))
    programmes = await _programmes(session, roster)
    todo_groups: list[tuple[Programme, RosterGroup]] = []
    todo_orgs: list[tuple[Programme, Seat]] = []
    for seat in roster.organisers:
        ref = roster.organiser_programmes[seat.line]
        programme = programmes.get(ref)
        if programme is None:
            result.problems.append(Problem(seat.line, f"no programme {ref!r}"))
        elif await _organiser_there(session, programme, seat):
            result.already.append((seat.line, f"organiser {seat.name}"))
        else:
            todo_orgs.append((programme, seat))
    for group in roster.groups:
        programme = programmes.get(group.programme)
        if programme is None:
            result.problems.append(Problem(group.first_line, f"no programme {group.programme!r}"))
            continue
        if group.kind == "pair" and programme.format == "group":
            result.problems.append(
                Problem(
                    group.first_line, f"{programme.slug} is group-only; {group.label!r} is a pair"
                )
            )
            continue
        if group.kind == "circle" and programme.format == "one_to_one":
            result.problems.append(
                Problem(
                    group.first_line, f"{programme.slug} is one-to-one; {group.label!r} is a circle"
                )
            )
            continue
        existing, same = await _existing_group(session, programme, group)
        if existing is not None and same:
            result.already.append((group.first_line, f"{group.kind} {group.label}"))
        elif existing is not None:
            result.problems.append(
                Problem(
                    group.first_line,
                    f"{group.kind} {group.label!r} exists already with other people "
                    f"(#{existing.id}; see `mentorbot pair list --program {programme.slug}`)",
                )
            )
        else:
            todo_groups.append((programme, group))
    result.problems.sort(key=lambda p: p.line)
    result.already.sort()
    if result.problems:
        return result
    if dry_run:
        result.planned = [("organiser", s.name, p.slug) for p, s in todo_orgs] + [
            (g.kind, g.label, p.slug) for p, g in todo_groups
        ]
        return result
    for programme, seat in todo_orgs:
        result.organisers.append(
            await add_organiser(session, programme, seat.name, now, invite_days)
        )
    for programme, group in todo_groups:
        created = await create_group(
            session,
            programme,
            group.kind,
            group.mentor or "",
            group.mentees,
            now,
            invite_days,
            name=group.label,
        )
        result.created.append(created)
    return result
