"""A pair's or circle's life in a programme: leaving, ending, replacing, closing.

Statuses: ``invited`` (codes out, not everyone joined yet) -> ``active`` ->
(``paused``) -> ``completed`` at the programme's end, or ``ended`` early by
the organisers, or ``incomplete`` while a seat is empty because somebody
left.  The functions here are shared by the chat (``/leave``, ``/forget``),
the command line (``pair end``, ``pair replace``) and the scheduler (the
programme's end), so all three do exactly the same.

Whatever stops a group's meetings goes through the registry's
``group_stopping`` hook (the meetings flow cancels future meetings and sends
calendar cancellations), so this module never imports a flow.  Data stays:
leaving only marks the seat (``left_at``); ``/forget`` erases afterwards.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.core.context import Work
from bot.core.types import Reply
from bot.organiser.programmes import IssuedInvite, issue_invite, plan_chase
from bot.store.db import to_db
from bot.store.groups import members_of, organisers_of, seats_with_people
from bot.store.jobs import cancel_pending
from bot.store.models import (
    Group,
    Member,
    OrganiserMessage,
    Person,
    Programme,
    Rhythm,
    RhythmProposal,
    RiskFlag,
)

STATUSES = ("invited", "active", "paused", "incomplete", "completed", "ended")
#: statuses of a group that still belongs to a running programme
OPEN = ("invited", "active", "paused", "incomplete")
CLOSED = ("completed", "ended")
MAX_REASON = 1000


async def stop_meetings(
    work: Work, group: Group, people: list[int] | None = None, *, whole: bool = True
) -> None:
    """Calendar cancellations of future meetings to ``people`` (default: every member).

    ``whole``: the group stops (a pair without a partner, an ended group), so the
    meetings are cancelled and its pending jobs (reminders, nudges, check-ins)
    dropped; otherwise only ``people`` leave them (a mentee leaving a circle).
    """
    if people is None:
        people = [p.id for _, p in await seats_with_people(work.session, group.id)]
    for hook in work.flows.meetings_stopping if work.flows else []:
        await hook(work, group, people, whole)
    if whole:
        await cancel_pending(work.session, group_id=group.id)


async def _tell(work: Work, person: Person, key: str, dedupe: str, **params: object) -> None:
    await work.tell(person.id, Reply(work.t_for(person.language, key, **params)), key=dedupe)


def role_word(work: Work, lang: str, role: str) -> str:
    return work.t_for(lang, f"roles.{role}")


async def flag(work: Work, group: Group, reason: str, **detail: object) -> None:
    """Record why the group needs the organisers (shown in reports); they are told directly."""
    found = await work.session.scalar(
        select(RiskFlag.id).where(
            RiskFlag.group_id == group.id,
            RiskFlag.reason == reason,
            RiskFlag.resolved_at.is_(None),
        )
    )
    if found is None:
        work.session.add(
            RiskFlag(
                group_id=group.id,
                reason=reason,
                detail=dict(detail),
                raised_at=to_db(work.now),
                nudged_at=to_db(work.now),
                alerted_at=to_db(work.now),
            )
        )


async def resolve_flag(work: Work, group: Group, reason: str) -> None:
    for row in await work.session.scalars(
        select(RiskFlag).where(
            RiskFlag.group_id == group.id,
            RiskFlag.reason == reason,
            RiskFlag.resolved_at.is_(None),
        )
    ):
        row.resolved_at = to_db(work.now)


# -- leaving -------------------------------------------------------------------------
async def leave(work: Work, seat: Member, *, reason: str = "", forgetting: bool = False) -> None:
    """``seat`` ends their part: meetings cancelled, partner and organisers told.

    With ``forgetting`` the person is about to be erased: nobody is told their
    name (the role word stands in), and no reason is kept.
    """
    if seat.group_id is None or seat.left_at is not None:
        return
    group = await work.session.get(Group, seat.group_id)
    programme = await work.session.get(Programme, seat.programme_id)
    if group is None or programme is None:
        return
    was_open = group.status in OPEN
    before = group.status
    seat.left_at = to_db(work.now)
    others = [(s, p) for s, p in await seats_with_people(work.session, group.id) if s.id != seat.id]
    for other, person in others:
        who = (
            work.t_for(person.language, f"lifecycle.left.someone_{group.kind}.{seat.role}")
            if forgetting  # no name for someone being erased; a sentence can start with it
            else seat.name
        )
        await _tell(
            work,
            person,
            f"lifecycle.left.partner_{group.kind}",
            f"leave:{seat.id}:{other.id}",
            name=who,
        )
    if was_open:
        group.status = await status_after_change(work, group)
        whole = group.status in ("incomplete", "invited")
        if before != "invited":
            people = ([seat.person_id] if seat.person_id else []) + (
                [p.id for _, p in others] if whole else []
            )
            await stop_meetings(work, group, people, whole=whole)
        if group.status == "incomplete":
            await flag(work, group, "incomplete", role=seat.role)
    await _tell_organisers_left(work, programme, group, seat, reason, forgetting)


async def _tell_organisers_left(
    work: Work, programme: Programme, group: Group, seat: Member, reason: str, forgetting: bool
) -> None:
    reason = reason.strip()[:MAX_REASON]
    for organiser in await organisers_of(work.session, programme.id):
        lang = organiser.language
        who = role_word(work, lang, seat.role) if forgetting else seat.name
        text = work.t_for(
            lang,
            "lifecycle.left.organiser_forget" if forgetting else "lifecycle.left.organiser",
            name=who,
            role=role_word(work, lang, seat.role),
            group=group.name,
            id=group.id,
            flag=seat.role,
        )
        if reason:
            text += "\n" + work.t_for(lang, "lifecycle.left.reason", reason=reason)
        await work.tell(organiser.id, Reply(text), key=f"leave:{seat.id}:org:{organiser.id}")


async def tell_reason(work: Work, seat: Member, person: Person, reason: str) -> None:
    """A reason given after leaving: kept for the organisers only, and sent to them."""
    reason = reason.strip()[:MAX_REASON]
    programme = await work.session.get(Programme, seat.programme_id)
    group = await work.session.get(Group, seat.group_id) if seat.group_id else None
    if programme is None or not reason:
        return
    work.session.add(
        OrganiserMessage(
            programme_id=programme.id,
            person_id=person.id,
            text=f"[leave #{seat.group_id}] {reason}",
            created_at=to_db(work.now),
        )
    )
    for organiser in await organisers_of(work.session, programme.id):
        lang = organiser.language
        text = work.t_for(
            lang,
            "lifecycle.left.reason_later",
            name=seat.name,
            group=group.name if group else "",
            reason=reason,
        )
        await work.tell(organiser.id, Reply(text), key=f"leave:{seat.id}:why:{organiser.id}")


async def status_after_change(work: Work, group: Group) -> str:
    """After a seat emptied or filled: is everyone still there?"""
    seats = await members_of(work.session, group.id)
    mentor = [s for s in seats if s.role == "mentor"]
    mentees = [s for s in seats if s.role == "mentee"]
    empty = not mentor or not mentees or any(s.person_id is None for s in seats)
    if group.status in CLOSED:
        return group.status
    if group.completed_at is None:
        return "invited"
    if empty:
        return "incomplete"
    return "paused" if group.status == "paused" else "active"


# -- ending and closing ---------------------------------------------------------------
async def end_group(work: Work, group: Group, reason: str = "") -> bool:
    """The organisers close a group early: both told, calendars cancelled."""
    if group.status in CLOSED:
        return False
    await stop_meetings(work, group)
    group.status = "ended"
    group.closed_at = to_db(work.now)
    group.close_reason = reason.strip()[:500] or None
    await resolve_flag(work, group, "incomplete")
    for seat, person in await seats_with_people(work.session, group.id):
        await _tell(work, person, f"lifecycle.ended.{group.kind}", f"end:{group.id}:{seat.id}")
    return True


# -- replacing ---------------------------------------------------------------------------
async def replace_seat(
    work: Work, group: Group, role: str, name: str, invite_days: int
) -> tuple[IssuedInvite, list[Member]]:
    """A new seat for ``role`` with a new invite; who held it (if anyone) leaves.

    In a circle a new mentee is added (nobody leaves) unless ``name`` is one
    whose seat is empty; a pair's seat is always taken over.
    """
    seats = await members_of(work.session, group.id)
    gone: list[Member] = []
    if role == "mentor" or group.kind == "pair":
        gone = [s for s in seats if s.role == role]
    else:
        gone = [s for s in seats if s.role == role and s.person_id is None]
    for seat in gone:
        if seat.person_id is not None:
            person = await work.session.get(Person, seat.person_id)
            if person is not None:
                await _tell(
                    work,
                    person,
                    f"lifecycle.replaced.{group.kind}",
                    f"replaced:{seat.id}",
                )
            await leave(work, seat)
        else:
            seat.left_at = to_db(work.now)
    if any(s.person_id is not None for s in gone) or group.status == "incomplete":
        # the new pair agrees its own rhythm, in the new version of the agreement
        await work.session.execute(
            delete(RhythmProposal).where(RhythmProposal.group_id == group.id)
        )
        await work.session.execute(delete(Rhythm).where(Rhythm.group_id == group.id))
    member = Member(programme_id=group.programme_id, group_id=group.id, name=name, role=role)
    work.session.add(member)
    await work.session.flush()
    invite = await issue_invite(work.session, member, work.now, invite_days)
    programme = await work.session.get(Programme, group.programme_id)
    if programme is not None:
        await plan_chase(work.session, programme, work.now)  # chased too if they never come
    group.status = await status_after_change(work, group)
    for other, person in await seats_with_people(work.session, group.id):
        await _tell(
            work,
            person,
            "lifecycle.replaced.waiting",
            f"replace:{member.id}:{other.id}",
            name=name,
            role=role_word(work, person.language, role),
        )
    return invite, gone
