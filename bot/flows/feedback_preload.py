"""What a batch of feedback rounds reads, read ahead in one query per kind of row.

A tick often runs hundreds of check-ins at one moment (every pair that
started the same day).  Each round job reads its group's open meeting
question, its unanswered prompts, the round's answers and the seats with
their people, and for each person the identity, the open questions and
whether a digest of the moment already went to them: about ten queries per
job.  :func:`preload_rounds` reads all of it for the scheduler's batch in
seven queries and leaves it in the batch's memo (:mod:`bot.store.batch_memo`),
where the same helpers find it.

Entries are left only for groups with one job in the batch and for people
seated in one of the batch's groups: nothing else in the batch writes what
they stand for, so each is what the job's own query would return.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import Any, cast

from sqlalchemy import BindParameter, bindparam, func, or_, select

from bot.core.context import Work
from bot.store.batch_memo import memo_of
from bot.store.db import to_db
from bot.store.live_questions import LiveQuestion
from bot.store.models import (
    FeedbackAnswer,
    Identity,
    Job,
    Meeting,
    Member,
    OutboxMessage,
    Person,
    Prompt,
)

_GROUPS: BindParameter[list[int]] = bindparam("group_ids", expanding=True)
_PEOPLE: BindParameter[list[int]] = bindparam("person_ids", expanding=True)

#: as ``bot.store.groups.seats_with_people``, for many groups
_SEATS = (
    select(Member, Person)
    .join(Person, Person.id == Member.person_id)
    .where(Member.group_id.in_(_GROUPS), Member.left_at.is_(None))
    .order_by(Member.group_id, Member.role.desc(), Member.id)
)
#: as ``bot.core.context.primary_identity`` (newest first), for many people
_IDENTITIES = select(Identity).where(Identity.person_id.in_(_PEOPLE)).order_by(Identity.id.desc())
#: as ``bot.store.live_questions.open_of_person``, for many people
_OPEN_QUESTIONS = (
    select(LiveQuestion)
    .where(
        LiveQuestion.open.is_(True), LiveQuestion.kind == "dm", LiveQuestion.person_id.in_(_PEOPLE)
    )
    .order_by(LiveQuestion.id)
    .execution_options(populate_existing=True)
)
#: the private chats a message of this moment's digest went to already
_DIGESTED = select(OutboxMessage.platform, OutboxMessage.chat_id).where(
    OutboxMessage.digest == bindparam("digest"),
    OutboxMessage.chat_id.in_(bindparam("chat_ids", expanding=True)),
)
#: as ``bot.flows.attention._STARTED_MEETINGS``, for many groups
_STARTED = select(Meeting).where(
    Meeting.group_id.in_(_GROUPS),
    Meeting.status.in_(("awaiting", "planned")),
    Meeting.starts_at <= bindparam("now"),
)
_LAST_ACTIVE = (
    select(func.max(Person.last_active_at))
    .join(Member, Member.person_id == Person.id)
    .where(Member.group_id == Prompt.group_id, Member.left_at.is_(None))
    .correlate(Prompt)
    .scalar_subquery()
)
#: as ``bot.flows.attention._UNANSWERED``, for many groups
_UNANSWERED = (
    select(Prompt.group_id, func.count(func.distinct(Prompt.sent_at)))
    .where(Prompt.group_id.in_(_GROUPS), or_(_LAST_ACTIVE.is_(None), Prompt.sent_at > _LAST_ACTIVE))
    .group_by(Prompt.group_id)
)
#: as ``bot.flows.feedback_answers._ROUND_ANSWERS``, for many groups
_ANSWERS = select(FeedbackAnswer).where(FeedbackAnswer.group_id.in_(_GROUPS))


async def preload_rounds(work: Work, jobs: list[Job]) -> None:
    """Read ahead what the round jobs of one batch read (see the module)."""
    session = work.session
    per_group = Counter(job.group_id for job in jobs if job.group_id is not None)
    group_ids = sorted(g for g, n in per_group.items() if n == 1)
    if not group_ids:
        return
    memo = memo_of(session)
    seats: dict[Hashable, Any] = {g: [] for g in group_ids}
    for row in await session.execute(_SEATS, {"group_ids": group_ids}):
        seats[row.Member.group_id].append((row.Member, row.Person))
    memo["seats"] = seats
    started: dict[Hashable, Any] = {g: [] for g in group_ids}
    for meeting in await session.scalars(
        _STARTED, {"group_ids": group_ids, "now": to_db(work.now)}
    ):
        started[meeting.group_id].append(meeting)
    memo["started_meetings"] = started
    unanswered: dict[Hashable, Any] = dict.fromkeys(group_ids, 0)
    counts = await session.execute(_UNANSWERED, {"group_ids": group_ids})
    for group_id, count in cast("list[tuple[int, int]]", counts.all()):
        unanswered[group_id] = count
    memo["unanswered"] = unanswered
    # their prompts wait for the batch's end: no other job of it reads them
    memo["prompt_later"] = dict.fromkeys(group_ids, True)
    answers: dict[Hashable, Any] = {
        (job.group_id, str(job.payload.get("kind")), str(job.payload.get("round"))): []
        for job in jobs
        if job.group_id in seats
    }
    for answer in await session.scalars(_ANSWERS, {"group_ids": group_ids}):
        key = (answer.group_id, answer.kind, answer.round)
        if key in answers:
            answers[key].append(answer)
    memo["round_answers"] = answers
    # people seated in exactly one of the batch's groups (and in no group seen twice)
    seated = Counter(p.id for rows in seats.values() for _, p in rows)
    shared = {g for g, n in per_group.items() if n > 1}
    if shared:
        for row in await session.execute(_SEATS, {"group_ids": sorted(shared)}):
            seated[row.Person.id] += 2
    people = sorted(p for p, n in seated.items() if n == 1)
    await _preload_people(work, memo, people)


async def _preload_people(
    work: Work, memo: dict[str, dict[Hashable, Any]], people: list[int]
) -> None:
    """Each person's primary identity, open private questions and digest mark."""
    if not people:
        return
    session = work.session
    identity: dict[Hashable, Any] = dict.fromkeys(people)
    for ident in await session.scalars(_IDENTITIES, {"person_ids": people}):
        if identity[ident.person_id] is None:  # newest first: the primary one
            identity[ident.person_id] = ident
    memo["identity"] = identity
    primary = {p: i.platform for p, i in identity.items() if i is not None}
    questions: dict[Hashable, Any] = {(platform, p): [] for p, platform in primary.items()}
    for question in await session.scalars(_OPEN_QUESTIONS, {"person_ids": people}):
        key = (question.platform, question.person_id)
        if key in questions:
            questions[key].append(question)
    memo["open_questions"] = questions
    if work.digest is None:
        return
    chats = {
        (i.platform, i.dm_chat_id) for i in identity.values() if i is not None and i.dm_chat_id
    }
    if not chats:
        return
    found = await session.execute(
        _DIGESTED, {"digest": work.digest, "chat_ids": sorted({c for _, c in chats})}
    )
    digested = set(cast("list[tuple[str, str]]", found.all()))
    memo["folded"] = {(p, c, work.digest): (p, c) in digested for p, c in chats}
