"""Backing off from people who stopped answering (issue 23).

A pair that goes quiet should not be nagged to the end of the programme.  So
every question with buttons the bot sends a group on its own ("did you
meet?", a check-in, an evaluation, a reflection prompt) is recorded as a
:class:`Prompt`, and every event from a person stamps ``last_active_at``.
The prompts sent after the members' latest activity are the unanswered ones.

When ``quiet_after_prompts`` (per programme, default 2) stand unanswered, the
group is *quiet*: the series pauses itself.  Every scheduled reminder, question
and nudge first asks :func:`may_send`; for a quiet group it answers no and,
once per quiet spell, tells the members how to switch the messages back on
with one tap.  (Health nudges count as such messages; the organiser's alert
then says the pair is quiet.)

Surveys and evaluations also ask :func:`open_question_until` first: they never
land on top of an open "did you meet?", but wait until it is answered or
expires.  Nothing is stored for the pause itself: answering anything (the
button, a "did you meet?", a word) is new activity, so the group is no longer
quiet and the next reminder goes out as planned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
)

from bot.core.context import Work
from bot.core.types import Choice, Reply
from bot.store.batch_memo import MISSING, defer, take
from bot.store.db import from_db, to_db
from bot.store.groups import seats_with_people
from bot.store.models import Group, Meeting, Member, Person, Programme, Prompt

DEFAULT_QUIET_AFTER = 2
DEFAULT_QUESTION_HOURS = 48
RESUME = "quiet"


def quiet_after(programme: Programme | None) -> int:
    settings = programme.settings if programme is not None else {}
    return max(1, int(settings.get("quiet_after_prompts", DEFAULT_QUIET_AFTER)))


async def last_activity(work: Work, group_id: int) -> datetime | None:
    """When any member of the group last did anything."""
    value = await work.session.scalar(
        select(func.max(Person.last_active_at))
        .join(Member, Member.person_id == Person.id)
        .where(Member.group_id == group_id, Member.left_at.is_(None))
    )
    return from_db(value) if value is not None else None


_LAST_ACTIVE = (
    select(func.max(Person.last_active_at))
    .join(Member, Member.person_id == Person.id)
    .where(Member.group_id == bindparam("group_id"), Member.left_at.is_(None))
    .scalar_subquery()
)
#: moments the group was asked something since anyone last answered, in one
#: prebuilt query (the latest activity is a subquery)
_UNANSWERED = select(func.count(func.distinct(Prompt.sent_at))).where(
    Prompt.group_id == bindparam("group_id"),
    or_(_LAST_ACTIVE.is_(None), Prompt.sent_at > _LAST_ACTIVE),
)


async def unanswered(work: Work, group_id: int) -> int:
    """Moments at which the group was asked something, since anyone last answered."""
    ahead = take(work.session, "unanswered", group_id)
    if ahead is not MISSING:
        return int(ahead)
    return int(await work.session.scalar(_UNANSWERED, {"group_id": group_id}) or 0)


async def is_quiet(work: Work, group: Group) -> bool:
    programme = await work.session.get(Programme, group.programme_id)
    return await unanswered(work, group.id) >= quiet_after(programme)


#: one statement: the prompt is added unless the group has one at this moment
_PROMPTS: Table = Prompt.__table__  # type: ignore[assignment]
_RECORD_PROMPT = insert(_PROMPTS).from_select(
    ["group_id", "kind", "sent_at"],
    select(
        bindparam("group_id", type_=Integer),
        bindparam("kind", type_=String),
        bindparam("sent_at", type_=DateTime),
    ).where(
        ~exists().where(
            Prompt.group_id == bindparam("group_id", type_=Integer),
            Prompt.sent_at == bindparam("sent_at", type_=DateTime),
        )
    ),
)


async def record_prompt(work: Work, group_id: int, kind: str) -> None:
    """Note that the group was asked something now (once per group and moment).

    In a batch of jobs whose read-ahead marked the group (its only job in the
    batch, so nobody reads its prompts again there) the row waits for the
    batch's end, written with the others in one statement."""
    params = {"group_id": group_id, "kind": kind[:16], "sent_at": to_db(work.now)}
    later = take(work.session, "prompt_later", group_id) is not MISSING
    if not (later and defer(work.session, _RECORD_PROMPT, params)):
        await work.session.execute(_RECORD_PROMPT, params)


async def may_send(work: Work, group: Group) -> bool:
    """May a scheduled reminder, question or nudge go to this group now?

    No while the group is quiet; the first time in a quiet spell the members
    are told, once, how to switch the messages back on.
    """
    if not await is_quiet(work, group):
        return True
    await tell_paused(work, group)
    return False


async def tell_paused(work: Work, group: Group) -> None:
    since = await last_activity(work, group.id)
    spell = since.isoformat() if since is not None else "never"
    for seat, person in await seats_with_people(work.session, group.id):
        if person.unreachable_at is not None or person.consent_at is None:
            continue
        lang = person.language
        reply = Reply(
            work.t_for(lang, "attention.paused"),
            (Choice(f"{RESUME}:{group.id}:on", work.t_for(lang, "attention.buttons.resume")),),
        )
        await work.tell(person.id, reply, key=f"quiet:{group.id}:{spell}:{seat.id}")


# -- surveys wait for an open meeting question -----------------------------------
#: the group's meetings that have started and whose question may be open
_STARTED_MEETINGS = select(Meeting).where(
    Meeting.group_id == bindparam("group_id"),
    Meeting.status.in_(("awaiting", "planned")),
    Meeting.starts_at <= bindparam("now"),
)


async def open_question_until(work: Work, group_id: int) -> datetime | None:
    """Until when the group's "did you meet?" stays open, or None if none is.

    A question is open from the end of the meeting (when it is asked) until a
    member answers it or ``meeting_question_hours`` (default 48) have passed.
    A meeting whose question falls due in this very tick counts as open too,
    so a survey of the same moment never lands on top of it.
    """
    group = await work.session.get(Group, group_id)
    programme = await work.session.get(Programme, group.programme_id) if group else None
    settings = programme.settings if programme is not None else {}
    hours = float(settings.get("meeting_question_hours", DEFAULT_QUESTION_HOURS))
    rows = take(work.session, "started_meetings", group_id)
    if rows is MISSING:
        rows = await work.session.scalars(
            _STARTED_MEETINGS, {"group_id": group_id, "now": to_db(work.now)}
        )
    latest: datetime | None = None
    for meeting in rows:
        asked = from_db(meeting.starts_at) + timedelta(minutes=meeting.minutes)
        if asked > work.now:
            continue  # still going on: its question is not out yet
        until = asked + timedelta(hours=hours)
        if until > work.now and (latest is None or until > latest):
            latest = until
    return latest
