"""The early match check (guide section 4: a match is not always ideal, and the
sooner that is said, the sooner it can be helped).

A few hours after the first and after the second meeting that took place
(``settings["match_check_hours"]``, default 3), every member is asked
privately: "how does the match feel?" – really good, good, not sure yet, not
right.  The answer is a :class:`FeedbackAnswer` of kind ``match``: the partner
never sees it, organisers see only that the group may need help.

A low answer is a risk signal (:mod:`bot.flows.health`, reason ``match``): the
flag shows in the organisers' report at once, and "not right" alerts them at
once; "not sure yet" alerts them only if nobody says it got better before the
usual wait is over.  Whoever answered low is pointed to ``/contact`` (the
organisers, confidentially) and ``/leave`` (a no-fault way out).  The flag
closes when every member's newest answer is good again.

Like the coaching questions this is an offer: held back while the pair is
quiet, never counted as an unanswered question.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core.choice_ids import parse_id, parse_int
from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.flows import attention, health
from bot.flows.health_organisers import alert
from bot.flows.meeting_facts import hours_setting
from bot.flows.registry import Flows
from bot.store.db import to_db
from bot.store.groups import group_and_programme, seats_with_people
from bot.store.jobs import schedule
from bot.store.models import FeedbackAnswer, Group, Job, Meeting, Member
from bot.wording import join_names, ordinal_word

JOB = "match_check"
KIND = "match"
QUESTION = "feeling"
REASON = "match"
#: after which held meetings the question comes
ROUNDS = (1, 2)
#: the answers, best first, with the rating each stands for
ANSWERS = {"great": 4, "good": 3, "unsure": 2, "wrong": 1}
#: at or below this a member's answer is a risk signal
LOW = 2
DEFAULT_HOURS = 3.0


def register(flows: Flows) -> None:
    flows.on_choice("match", choose)
    flows.on_job(JOB, ask_job)
    flows.meeting_held.append(plan)


async def plan(work: Work, meeting: Meeting) -> None:
    """A meeting took place: after the first and the second, the question is planned."""
    held = await work.session.scalar(
        select(func.count(Meeting.id)).where(
            Meeting.group_id == meeting.group_id,
            Meeting.status == "held",
            Meeting.starts_at <= meeting.starts_at,
        )
    )
    number = int(held or 0)
    if number not in ROUNDS:
        return
    _, programme = await group_and_programme(work.session, meeting.group_id)
    hours = hours_setting(programme, "match_check_hours", DEFAULT_HOURS)
    await schedule(
        work.session,
        JOB,
        work.now + timedelta(hours=hours),
        key=f"match:{meeting.group_id}:{number}",
        group_id=meeting.group_id,
        payload={"round": number},
    )


async def ask_job(work: Work, job: Job) -> None:
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    number = int(job.payload.get("round", 0))
    if group is None or group.status not in health.LIVE or health.paused_now(group, work.now):
        return
    if not await attention.may_send(work, group):
        return
    job.payload = {**job.payload, "sent": True}  # the buttons are valid from now on
    people = await seats_with_people(work.session, group.id)
    for seat, person in people:
        lang = person.language
        others = join_names(lang, [s.name for s, _ in people if s.id != seat.id])
        text = work.t_for(
            lang,
            f"match.ask.{'circle' if group.kind == 'circle' else 'pair'}",
            names=others,
            nth=ordinal_word(lang, number),
        )
        choices = tuple(
            Choice(
                f"match:{group.id}:{number}:{answer}", work.t_for(lang, f"match.buttons.{answer}")
            )
            for answer in ANSWERS
        )
        await work.tell(person.id, Reply(text, choices), key=f"job:{job.id}:{seat.id}")


async def issued(work: Work, group_id: int, number: int) -> bool:
    """Was question ``number`` sent to the group?  From the job that sent it."""
    payloads = await work.session.scalars(
        select(Job.payload).where(
            Job.kind == JOB, Job.group_id == group_id, Job.done_at.is_not(None)
        )
    )
    return any((p or {}).get("round") == number and (p or {}).get("sent") for p in payloads)


async def latest_ratings(work: Work, group_id: int) -> dict[int, int]:
    """Each member's newest answer, as a rating."""
    rows = await work.session.scalars(
        select(FeedbackAnswer)
        .where(
            FeedbackAnswer.group_id == group_id,
            FeedbackAnswer.kind == KIND,
            FeedbackAnswer.rating.is_not(None),
            FeedbackAnswer.member_id.is_not(None),
        )
        .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
    )
    return {int(r.member_id or 0): int(r.rating or 0) for r in rows}


# -- the answer ------------------------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    group_id = parse_id(parts[0]) if len(parts) == 3 else None
    number = parse_int(parts[1], low=1, high=max(ROUNDS)) if len(parts) == 3 else None
    if group_id is None or number is None or parts[2] not in ANSWERS:
        ctx.say("basics.stale_button", private=True)
        return
    answer = parts[2]
    group = await ctx.session.get(Group, group_id)
    seat = await ctx.session.scalar(
        select(Member).where(
            Member.group_id == group_id, Member.person_id == ctx.person.id, Member.left_at.is_(None)
        )
    )
    if group is None or seat is None:
        ctx.say("basics.not_yours", private=True)
        return
    if not await issued(ctx, group.id, number):
        ctx.say("basics.stale_button", private=True)
        return
    found = await ctx.session.scalar(
        select(FeedbackAnswer.id).where(
            FeedbackAnswer.group_id == group.id,
            FeedbackAnswer.member_id == seat.id,
            FeedbackAnswer.kind == KIND,
            FeedbackAnswer.round == str(number),
        )
    )
    if found is not None:
        ctx.say("match.already", private=True)
        return
    rating = ANSWERS[answer]
    ctx.session.add(
        FeedbackAnswer(
            group_id=group.id,
            member_id=seat.id,
            role=seat.role,
            kind=KIND,
            round=str(number),
            question_id=QUESTION,
            rating=rating,
            choice=answer,
            skipped=False,
            shared=False,
            created_at=to_db(ctx.now),
        )
    )
    await ctx.session.flush()
    others = [s.name for s, _ in await seats_with_people(ctx.session, group.id) if s.id != seat.id]
    names = join_names(ctx.lang, others)
    ctx.say(f"match.thanks.{answer}", names=names, private=True)
    await signal(ctx, group, rating, number)


async def signal(ctx: Ctx, group: Group, rating: int, number: int) -> None:
    """Low: the group is flagged (nobody is nudged: the answer is private), and
    "not right" reaches the organisers at once.  Good again: the flag closes."""
    if rating <= LOW:
        await health.raise_flag(ctx, group, REASON, {"round": number}, nudge=[])
        flag = (await health.open_flags(ctx, group.id)).get(REASON)
        if flag is not None and rating == min(ANSWERS.values()) and flag.alerted_at is None:
            _, programme = await group_and_programme(ctx.session, group.id)
            await alert(ctx, group, programme, flag)
        return
    if all(r > LOW for r in (await latest_ratings(ctx, group.id)).values()):
        await health.resolve(ctx, group.id, REASON)
