"""Loading and reading one agreement: items, answers, who is waiting for what.

Kept apart from the dialog steps so both the step functions and the
renderer work on the same derived view, computed from the database rows on
every event (nothing is cached between events).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import aliased

from bot.content import ChecklistItem, Content
from bot.store.groups import members_of
from bot.store.models import Agreement, AgreementAnswer, Group, Member, Person, Programme, Rhythm
from bot.store.session import DbSession, forget_seats

ItemStatus = Literal["agreed", "discuss", "open"]
MARKS = {"agreed": "✓", "discuss": "💬", "open": "…"}
SUBJECTIVE = ("support", "goals")  # items each mentee fills in for herself


@dataclass
class AgreementView:
    agreement: Agreement
    group: Group
    programme: Programme
    members: list[Member]
    people: dict[int, Person]
    answers: dict[tuple[str, int], str]
    items: list[ChecklistItem]
    rhythm: Rhythm | None
    #: the id of the group's newest agreement, when read with the view
    #: (:func:`load_view`); None when not read
    newest_id: int | None = None

    # -- who -------------------------------------------------------------
    def member_of(self, person_id: int) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)

    @property
    def mentees(self) -> list[Member]:
        return [m for m in self.members if m.role == "mentee"]

    def lang_of(self, member: Member) -> str:
        person = self.people.get(member.person_id or 0)
        return person.language if person else self.programme.language

    # -- items -----------------------------------------------------------
    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    def number(self, item_id: str) -> int:
        return next(n for n, i in enumerate(self.items, 1) if i.id == item_id)

    def status(self, item_id: str) -> ItemStatus:
        given = [self.answers.get((item_id, m.id)) for m in self.members]
        if all(a == "agree" for a in given):
            return "agreed"
        if "discuss" in given:
            return "discuss"
        return "open"

    @property
    def complete(self) -> bool:
        return all(self.status(i.id) == "agreed" for i in self.items)

    def waiting(self, item: ChecklistItem, member: Member) -> bool:
        """Whether ``member`` cannot answer ``item`` yet."""
        if item.kind == "rhythm":
            return self.rhythm is None
        if item.kind in SUBJECTIVE and member.role == "mentor":
            return any((item.id, m.id) not in self.answers for m in self.mentees)
        return False

    def next_for(self, member: Member) -> ChecklistItem | None:
        for item in self.items:
            if (item.id, member.id) not in self.answers and not self.waiting(item, member):
                return item
        return None

    def rhythm_pending_for(self, member: Member) -> bool:
        rhythm_item = next((i for i in self.items if i.kind == "rhythm"), None)
        return rhythm_item is not None and (rhythm_item.id, member.id) not in self.answers

    # -- data stored on the agreement ----------------------------------------
    def chosen_support(self, member: Member) -> list[str]:
        return list(self.agreement.items.get("support", {}).get(str(member.id), []))

    def goals(self, member: Member) -> list[str]:
        return list(self.agreement.items.get("goals", {}).get(str(member.id), []))

    def proposal(self, item_id: str) -> dict[str, str] | None:
        found = self.agreement.items.get("changes", {}).get(item_id)
        return dict(found) if found else None


async def load_view(
    session: DbSession, content: Content, agreement_id: int, *, lock: bool = False
) -> AgreementView | None:
    """The agreement with its group, programme, rhythm and the id of the
    group's newest agreement in one query (a press on an agreement button
    reads them all), then its members and answers."""
    stmt = _view_rows(lock=lock)
    row = (await session.execute(stmt, {"agreement_id": agreement_id})).first()
    if lock:
        forget_seats(session, locked=True)
    if row is None:
        return None
    agreement, group, programme, rhythm, newest = row
    return await _assemble(session, content, agreement, group, programme, rhythm, newest)


async def view_of(
    session: DbSession, content: Content, agreement: Agreement, *, new: bool = False
) -> AgreementView:
    """``new``: the agreement was created in this transaction, so it has no
    answers yet (not read)."""
    group = await session.get(Group, agreement.group_id)
    assert group is not None
    programme = await session.get(Programme, group.programme_id)
    assert programme is not None
    rhythm = await session.get(Rhythm, group.id)
    return await _assemble(
        session, content, agreement, group, programme, rhythm, None, unanswered=new
    )


async def _assemble(
    session: DbSession,
    content: Content,
    agreement: Agreement,
    group: Group,
    programme: Programme,
    rhythm: Rhythm | None,
    newest: int | None,
    *,
    unanswered: bool = False,
) -> AgreementView:
    members = await members_of(session, group.id)
    people = {}
    for m in members:
        if m.person_id is not None:
            person = await session.get(Person, m.person_id)
            if person is not None:
                people[m.person_id] = person
    answers = (
        {}
        if unanswered
        else {
            (a.item_id, a.member_id): a.answer
            for a in await session.scalars(_answers(), {"agreement_id": agreement.id})
        }
    )
    items = checklist(content, group.kind)
    return AgreementView(
        agreement, group, programme, members, people, answers, items, rhythm, newest
    )


async def is_current(session: DbSession, view: AgreementView) -> bool:
    """Is the view's agreement the group's newest (read with the view when it can be)?"""
    if view.newest_id is not None:
        return view.newest_id == view.agreement.id
    current = await current_agreement(session, view.group.id)
    return current is not None and current.id == view.agreement.id


@cache
def _view_rows(*, lock: bool) -> Select[Agreement, Group, Programme, Rhythm, int]:
    """Built once per lock mode; on PostgreSQL only the agreement row is locked."""
    newer = aliased(Agreement)
    newest = (
        select(newer.id)
        .where(newer.group_id == Agreement.group_id)
        .order_by(newer.version.desc())
        .limit(1)
        .correlate(Agreement)
        .scalar_subquery()
    )
    stmt = (
        select(Agreement, Group, Programme, Rhythm, newest)
        .join(Group, Group.id == Agreement.group_id)
        .join(Programme, Programme.id == Group.programme_id)
        .outerjoin(Rhythm, Rhythm.group_id == Group.id)
        .where(Agreement.id == bindparam("agreement_id"))
    )
    return stmt.with_for_update(of=Agreement) if lock else stmt


def checklist(content: Content, kind: str) -> list[ChecklistItem]:
    return [i for i in content.agreement.items if kind == "circle" or not i.circles_only]


@cache
def _answers() -> Select[AgreementAnswer]:
    return select(AgreementAnswer).where(AgreementAnswer.agreement_id == bindparam("agreement_id"))


@cache
def _current() -> Select[Agreement]:
    """The group's newest agreement (statements built once: read in most agreement steps)."""
    return (
        select(Agreement)
        .where(Agreement.group_id == bindparam("group_id"))
        .order_by(Agreement.version.desc())
        .limit(1)
    )


async def current_agreement(session: DbSession, group_id: int) -> Agreement | None:
    return await session.scalar(_current(), {"group_id": group_id})
