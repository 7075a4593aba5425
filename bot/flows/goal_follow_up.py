"""The mentee's goals come back (guide section 3: goals agreed at the start are
followed up, so the pair can change direction in time).

* A little before the programme's midpoint and two weeks before its end each
  mentee who wrote goals in the agreement is asked, privately and goal by goal,
  "how far have you come?" (a little way, halfway, nearly there, reached it).
  The mentor hears the goals are coming up, and then the answers: they are
  there to be talked about at the next meeting.  In a circle every mentee is
  asked about their own goals only, and no mentee sees another's answers.
* Before every third meeting the mentor privately gets the mentee's goals,
  with the newest answers and a coaching question about them.

Times come from the programme's dates (re-planned when ``program update``
moves them); settings ``goals_mid_days_before`` (2) and
``goals_end_days_before`` (14).  Like the coaching questions, these are offers:
held back while a pair is quiet, but never counted as unanswered questions.
Answers are :class:`FeedbackAnswer` rows (see :mod:`bot.flows.goal_progress`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select

from bot.core.choice_ids import parse_id, parse_int
from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.flows import attention, health
from bot.flows.goal_progress import (
    KIND,
    LEVELS,
    ROUNDS,
    goal_lines,
    goals_in_force,
    progress_of,
    question_id,
)
from bot.flows.meeting_facts import facts_of, hours_setting, schedule_before
from bot.flows.registry import Flows
from bot.organiser.lifecycle import OPEN
from bot.store.db import from_db, to_db
from bot.store.groups import group_and_programme, seats_with_people
from bot.store.jobs import schedule
from bot.store.models import FeedbackAnswer, Group, Job, Meeting, Member, Person, Programme
from bot.wording import join_names, ordinal_word

CHECK_JOB = "goal_check"
NUDGE_JOB = "goal_nudge"
#: the mentor's look at the goals comes before the 3rd, 6th, 9th ... meeting
EVERY = 3
#: the coaching questions about goals, ``goals.coach.q1`` ... in content
COACH_QUESTIONS = 4
DEFAULTS = {"goals_mid_days_before": 2, "goals_end_days_before": 14}
#: late afternoon UTC: apart from the morning surveys, so the two never merge
SEND_AT = time(15, 0, tzinfo=UTC)
DEFAULT_COACH_HOURS = 24.0
AFTER_PAUSE = timedelta(hours=6)


def register(flows: Flows) -> None:
    flows.on_choice("goal", choose)
    flows.on_job(CHECK_JOB, check_job)
    flows.on_job(NUDGE_JOB, nudge_job)
    flows.group_complete.append(plan)
    flows.programme_dates.append(replan)
    flows.meeting_planned.append(plan_nudge)


# -- when ----------------------------------------------------------------------------
def round_time(programme: Programme, round_: str) -> datetime:
    settings = programme.settings or {}
    if round_ == "mid":
        before = int(settings.get("goals_mid_days_before", DEFAULTS["goals_mid_days_before"]))
        day: date = programme.start_date + (programme.end_date - programme.start_date) / 2
    else:
        before = int(settings.get("goals_end_days_before", DEFAULTS["goals_end_days_before"]))
        day = programme.end_date
    return datetime.combine(day - timedelta(days=before), SEND_AT)


def _key(round_: str, group_id: int) -> str:
    return f"goals:{round_}:{group_id}:"


async def plan(work: Work, group: Group) -> None:
    """The group is complete: its two follow-ups are planned (idempotent by key)."""
    programme = await work.session.get(Programme, group.programme_id)
    if programme is None:
        return
    for round_ in ROUNDS:
        await _plan_round(work, programme, group.id, round_)


async def _plan_round(work: Work, programme: Programme, group_id: int, round_: str) -> None:
    """One follow-up on the programme's dates, unless its day has already passed."""
    at = round_time(programme, round_)
    if at > work.now:
        await schedule(
            work.session,
            CHECK_JOB,
            at,
            key=_key(round_, group_id) + at.date().isoformat(),
            group_id=group_id,
            payload={"round": round_},
        )


async def replan(work: Work, programme: Programme) -> None:
    """The programme's dates moved: pending follow-ups move with them."""
    groups = await work.session.scalars(
        select(Group).where(Group.programme_id == programme.id, Group.status.in_(OPEN))
    )
    for group in list(groups):
        for round_ in ROUNDS:
            result = await work.session.execute(
                delete(Job)
                .where(
                    Job.kind == CHECK_JOB,
                    Job.done_at.is_(None),
                    Job.key.startswith(_key(round_, group.id)),
                )
                .execution_options(synchronize_session=False)
            )
            if int(result.rowcount or 0):  # type: ignore[attr-defined]
                await _plan_round(work, programme, group.id, round_)


# -- asking the mentees ------------------------------------------------------------------
async def check_job(work: Work, job: Job) -> None:
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    round_ = str(job.payload.get("round"))
    if group is None or group.status not in health.LIVE or round_ not in ROUNDS:
        return
    programme = await work.session.get(Programme, group.programme_id)
    assert programme is not None
    if health.paused_now(group, work.now):
        if group.paused_until is None:
            return  # paused until further notice: the goals wait for the next round
        # a few hours after the pause: what waited for its end goes out first
        wait_until: datetime | None = from_db(group.paused_until) + AFTER_PAUSE
    else:
        wait_until = await attention.open_question_until(work, group.id)
    if wait_until is not None:  # after the pause, or once "did you meet?" is answered
        await schedule(
            work.session,
            CHECK_JOB,
            wait_until,
            key=_key(round_, group.id) + "w" + wait_until.isoformat(),
            group_id=group.id,
            payload={"round": round_},
        )
        return
    if not await attention.may_send(work, group):
        return
    goals = await goals_in_force(work.session, group.id)
    people = await seats_with_people(work.session, group.id)
    asked = [(s, p) for s, p in people if s.role == "mentee" and goals.get(s.id)]
    if not asked:
        return
    job.payload = {**job.payload, "sent": True}  # the buttons are valid from now on
    mentors = [(s, p) for s, p in people if s.role == "mentor"]
    for seat, person in asked:
        lang = person.language
        intro = work.t_for(
            lang,
            f"goals.ask.{round_}",
            programme=programme.name,
            goals=goal_lines(work, lang, goals[seat.id], {}),
            mentors=join_names(lang, [s.name for s, _ in mentors]),
        )
        question = _question(work, lang, group.id, round_, goals[seat.id], 0)
        await work.tell(
            person.id,
            Reply(f"{intro}\n\n{question.text}", question.choices),
            key=f"job:{job.id}:{seat.id}",
        )
    for seat, person in mentors:
        lang = person.language
        text = work.t_for(
            lang,
            f"goals.mentor_heads_up.{round_}",
            programme=programme.name,
            names=join_names(lang, [s.name for s, _ in asked]),
            goals=await _blocks(work, lang, group.id, asked, goals),
        )
        await work.tell(person.id, Reply(text), key=f"job:{job.id}:{seat.id}")


def _question(
    work: Work, lang: str, group_id: int, round_: str, goals: list[str], index: int
) -> Reply:
    text = work.t_for(lang, "goals.question", n=index + 1, total=len(goals), goal=goals[index])
    choices = tuple(
        Choice(
            f"goal:{group_id}:{round_}:{index}:{level}", work.t_for(lang, f"goals.buttons.{level}")
        )
        for level in LEVELS
    )
    return Reply(text, choices)


async def _blocks(
    work: Work,
    lang: str,
    group_id: int,
    mentees: list[tuple[Member, Person]],
    goals: dict[int, list[str]],
) -> str:
    """Each mentee's goals under their name, with the newest answers."""
    blocks = []
    for seat, _ in mentees:
        progress = await progress_of(work.session, group_id, seat.id)
        blocks.append(f"{seat.name}:\n{goal_lines(work, lang, goals[seat.id], progress)}")
    return "\n".join(blocks)


async def issued(work: Work, group_id: int, round_: str) -> bool:
    """Was this round's question sent to the group?  Decided from the job that
    sent it, never from the button's id."""
    payloads = await work.session.scalars(
        select(Job.payload).where(
            Job.kind == CHECK_JOB, Job.group_id == group_id, Job.done_at.is_not(None)
        )
    )
    return any((p or {}).get("round") == round_ and (p or {}).get("sent") for p in payloads)


# -- the mentee answers -------------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    group_id = parse_id(parts[0]) if len(parts) == 4 else None
    index = parse_int(parts[2], high=99) if len(parts) == 4 else None
    if group_id is None or index is None or parts[1] not in ROUNDS or parts[3] not in LEVELS:
        ctx.say("basics.stale_button", private=True)
        return
    round_, level = parts[1], parts[3]
    group = await ctx.session.get(Group, group_id)
    seat = await ctx.session.scalar(
        select(Member).where(
            Member.group_id == group_id, Member.person_id == ctx.person.id, Member.left_at.is_(None)
        )
    )
    if group is None or seat is None or seat.role != "mentee":
        ctx.say("basics.not_yours", private=True)
        return
    goals = (await goals_in_force(ctx.session, group.id)).get(seat.id, [])
    if not await issued(ctx, group.id, round_) or index >= len(goals):
        ctx.say("basics.stale_button", private=True)
        return
    levels = (await progress_of(ctx.session, group.id, seat.id)).get(round_, [])
    if index < len(levels) and levels[index]:
        ctx.say("goals.already", private=True)
        return
    ctx.session.add(
        FeedbackAnswer(
            group_id=group.id,
            member_id=seat.id,
            role=seat.role,
            kind=KIND,
            round=round_,
            question_id=question_id(index),
            choice=level,
            skipped=False,
            shared=False,
            created_at=to_db(ctx.now),
        )
    )
    await ctx.session.flush()
    progress = await progress_of(ctx.session, group.id, seat.id)
    levels = progress.get(round_, [])
    missing = [i for i in range(len(goals)) if i >= len(levels) or not levels[i]]
    if missing:
        ctx.replies.append(ctx.out(_question(ctx, ctx.lang, group.id, round_, goals, missing[0])))
        return
    await _all_answered(ctx, group, seat, round_, goals, progress)


async def _all_answered(
    ctx: Ctx,
    group: Group,
    seat: Member,
    round_: str,
    goals: list[str],
    progress: dict[str, list[str]],
) -> None:
    """Thanks to the mentee; the mentors hear the answers, to talk about them."""
    mentors = [
        (s, p) for s, p in await seats_with_people(ctx.session, group.id) if s.role == "mentor"
    ]
    ctx.say(
        "goals.thanks",
        goals=goal_lines(ctx, ctx.lang, goals, progress),
        mentors=join_names(ctx.lang, [s.name for s, _ in mentors]),
    )
    for mentor, person in mentors:
        lang = person.language
        text = ctx.t_for(
            lang,
            "goals.told_mentor",
            name=seat.name,
            when=ctx.t_for(lang, f"goals.when.{round_}"),
            goals=goal_lines(ctx, lang, goals, progress),
        )
        await ctx.tell(
            person.id, Reply(text), key=f"goals:told:{group.id}:{round_}:{seat.id}:{mentor.id}"
        )


# -- the mentor, before every third meeting ------------------------------------------------
async def plan_nudge(work: Work, meeting: Meeting) -> None:
    """Planned for every meeting; whether it is a third one is decided when it runs."""
    _, programme = await group_and_programme(work.session, meeting.group_id)
    hours = hours_setting(programme, "coach_hours", DEFAULT_COACH_HOURS)
    await schedule_before(work, meeting, NUDGE_JOB, hours, meeting.group_id)


async def nudge_job(work: Work, job: Job) -> None:
    facts = await facts_of(work, int(job.payload.get("meeting_id", 0)))
    if facts is None or facts.ordinal % EVERY != 0:
        return
    goals = await goals_in_force(work.session, facts.group.id)
    mentees = [(s, p) for s, p in facts.mentees if goals.get(s.id)]
    if not mentees or not await attention.may_send(work, facts.group):
        return
    number = (facts.ordinal // EVERY - 1) % COACH_QUESTIONS + 1
    for seat, person in facts.mentors:
        lang = person.language
        text = work.t_for(
            lang,
            "goals.nudge",
            nth=ordinal_word(lang, facts.ordinal),
            names=join_names(lang, [s.name for s, _ in mentees]),
            goals=await _blocks(work, lang, facts.group.id, mentees, goals),
            question=work.t_for(lang, f"goals.coach.q{number}"),
        )
        await work.tell(person.id, Reply(text), key=f"job:{job.id}:{seat.id}")
