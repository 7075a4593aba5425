"""Coaching nudges for mentors, and their reflection journal (guide sections 2, 3, 7, 8).

The guide asks the mentor to be a facilitator who helps the mentee find her
own answers.  So before each meeting (by default a day before; per programme
``settings["coach_hours"]``) the mentor privately gets: when and how the
meeting is, the mentee's agenda points, a coaching question chosen for the
mentee's support needs and the programme phase (never one she has had), and
now and then a short tip from the guide's qualities.  The first meeting adds a
"find what you have in common" icebreaker; online and hybrid pairs get
bond-building prompts at their first meetings.

Her verdict on a question ("good question", "give me another", "not now") is
kept in the coaching log and steers the next choice.  An hour after a meeting
took place (``settings["reflect_hours"]``) she gets a reflection prompt; her
answer is a journal note only she can read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.content import Question
from bot.core.choice_ids import parse_id
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows import attention
from bot.flows.coaching_choice import Shown, choose_questions, choose_tip, next_in_cycle
from bot.flows.meeting_basics import people_of
from bot.flows.meeting_facts import (
    MeetingFacts,
    facts_for,
    facts_of,
    hours_setting,
    occurrence,
    open_agenda,
    schedule_before,
    support_needs,
)
from bot.flows.registry import Flows
from bot.store.db import to_db
from bot.store.groups import group_and_programme
from bot.store.jobs import schedule
from bot.store.models import AgendaItem, CoachingLog, DialogState, Group, Job, Meeting, Note, Person
from bot.store.session import DbSession
from bot.wording import join_names

CONV = "coaching"
JOB = "coach_nudge"
REFLECT_JOB = "coach_reflect"
DEFAULT_COACH_HOURS = 24.0
DEFAULT_REFLECT_HOURS = 1.0
VERDICTS = ("useful", "more", "later")
#: a tip goes with the nudges of the 1st, 3rd, 5th ... meeting: now and then, not always
TIP_EVERY = 2
#: an unanswered reflection prompt stops catching free text after this long
REFLECT_FOR = timedelta(hours=72)


def register(flows: Flows) -> None:
    flows.on_choice("coach", choose)
    flows.on_text(CONV, text)
    flows.on_job(JOB, nudge_job)
    flows.on_job(REFLECT_JOB, reflection_job)
    flows.meeting_planned.append(plan_nudge)
    flows.meeting_held.append(plan_reflection)


def question_series(group_id: int) -> str:
    """A mentor's coaching questions for one mentorship are a series: the
    newest supersedes the one before (its buttons go; a press on an old one
    is still answered from the coaching log)."""
    return f"coach-question:{group_id}"


def reflection_series(group_id: int) -> str:
    """Likewise the reflection prompts after the meetings of one mentorship."""
    return f"coach-reflection:{group_id}"


# -- shared with the companion -------------------------------------------------
def expired(dialog: Dialog, now: datetime, ttl: timedelta) -> bool:
    since = dialog.data.get("since")
    if not isinstance(since, str):
        return True
    try:
        return now - datetime.fromisoformat(since) > ttl
    except ValueError:
        return True


async def fall_through(ctx: Ctx, message: str) -> None:
    """Text that no longer belongs to a step of ours: answer it as if none were open."""
    fallback = ctx.flows.texts.get("*") if ctx.flows else None
    if fallback is not None:
        await fallback(ctx, await ctx.dialog("*"), message)


async def shown_to(session: DbSession, person_id: int, kind: str) -> list[CoachingLog]:
    return list(
        (
            await session.scalars(
                select(CoachingLog)
                .where(CoachingLog.person_id == person_id, CoachingLog.kind == kind)
                .order_by(CoachingLog.shown_at, CoachingLog.id)
            )
        ).all()
    )


async def log_shown(work: Work, person_id: int, group_id: int | None, kind: str, item: str) -> int:
    row = CoachingLog(
        person_id=person_id,
        group_id=group_id,
        item_id=item,
        kind=kind,
        verdict=None,
        shown_at=to_db(work.now),
    )
    work.session.add(row)
    await work.session.flush()
    return row.id


# -- before the meeting ----------------------------------------------------------
async def plan_nudge(work: Work, meeting: Meeting) -> None:
    _, programme = await group_and_programme(work.session, meeting.group_id)
    hours = hours_setting(programme, "coach_hours", DEFAULT_COACH_HOURS)
    await schedule_before(work, meeting, JOB, hours, meeting.group_id)


async def nudge_job(work: Work, job: Job) -> None:
    facts = await facts_of(work, int(job.payload["meeting_id"]))
    if facts is None or not await attention.may_send(work, facts.group):
        return
    needs = await support_needs(work.session, facts.group.id, [m for m, _ in facts.mentees])
    agenda = await open_agenda(work.session, facts.group.id)
    for seat, person in facts.mentors:
        reply = await _nudge(work, facts, person, needs, agenda)
        await work.tell(person.id, reply, key=f"job:{job.id}:{seat.id}")


async def _nudge(
    work: Work, facts: MeetingFacts, person: Person, needs: set[str], agenda: list[AgendaItem]
) -> Reply:
    lang = person.language
    mentee_names = join_names(lang, [m.name for m, _ in facts.mentees]) or facts.names_except(
        person.id
    )
    parts = [
        work.t_for(
            lang,
            "coaching.nudge.intro",
            names=facts.names_except(person.id),
            details=occurrence(work, facts.meeting, person),
        ),
        _agenda_block(work, facts, lang, agenda, mentee_names),
    ]
    icebreaker = facts.icebreaker(work.content)
    if icebreaker is not None:
        parts.append(work.t_for(lang, "coaching.nudge.icebreaker", prompt=icebreaker.text(lang)))
    bonding = facts.bonding(work.content)
    if bonding is not None:
        mode = work.t_for(lang, f"agreement.mode_met.{facts.meeting.mode}")
        parts.append(
            work.t_for(lang, "coaching.nudge.bonding", mode=mode, prompt=bonding.text(lang))
        )
    if facts.ordinal % TIP_EVERY == 1:
        tip = choose_tip(
            work.content.coaching.tips,
            phase=facts.phase,
            shown=[r.item_id for r in await shown_to(work.session, person.id, "tip")],
            online=facts.online,
            circle=facts.circle,
            seed=str(person.id),
        )
        if tip is not None:
            await log_shown(work, person.id, facts.group.id, "tip", tip.id)
            parts.append(work.t_for(lang, "coaching.nudge.tip", tip=tip.text(lang)))
    picked = await _pick_question(work, person, facts, needs)
    if picked is None:
        parts.append(work.t_for(lang, "coaching.nudge.no_question"))
        return Reply("\n\n".join(parts))
    question, log_id = picked
    parts.append(work.t_for(lang, "coaching.nudge.question", question=question.text(lang)))
    return Reply(
        "\n\n".join(parts),
        _verdict_buttons(work, lang, log_id, facts.meeting.id),
        series=question_series(facts.group.id),
    )


def _agenda_block(
    work: Work, facts: MeetingFacts, lang: str, agenda: list[AgendaItem], mentee_names: str
) -> str:
    if not agenda:
        return work.t_for(lang, "coaching.nudge.agenda_none", names=mentee_names)
    names = {m.id: m.name for m, _ in facts.members}
    mentors = {m.id for m, _ in facts.mentors}
    lines = [work.t_for(lang, "coaching.nudge.agenda_head", names=mentee_names)]
    for item in agenda:
        # In a pair the points are the mentee's unless said otherwise; a circle names everyone.
        author = ""
        if item.source == "agreement":
            author = work.t_for(lang, "coaching.nudge.agenda_from_agreement")
        elif item.member_id in names and (facts.circle or item.member_id in mentors):
            author = names[item.member_id]
        key = "coaching.nudge.agenda_item_by" if author else "coaching.nudge.agenda_item"
        lines.append(work.t_for(lang, key, text=item.text, name=author))
    return "\n".join(lines)


async def _pick_question(
    work: Work, person: Person, facts: MeetingFacts, needs: set[str]
) -> tuple[Question, int] | None:
    shown = await shown_to(work.session, person.id, "question")
    found = choose_questions(
        work.content.coaching.questions,
        needs=needs,
        phase=facts.phase,
        shown=[Shown(r.item_id, r.verdict) for r in shown],
        seed=str(person.id),
        first_meeting=facts.ordinal == 1,
    )
    if not found:
        return None
    log_id = await log_shown(work, person.id, facts.group.id, "question", found[0].id)
    return found[0], log_id


def _verdict_buttons(work: Work, lang: str, log_id: int, meeting_id: int) -> tuple[Choice, ...]:
    return tuple(
        Choice(f"coach:{v}:{log_id}:{meeting_id}", work.t_for(lang, f"coaching.buttons.{v}"))
        for v in VERDICTS
    )


# -- buttons -------------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    numbers = [parse_id(p) for p in parts[1:]]
    if len(parts) < 2 or None in numbers:
        ctx.say("basics.stale_button", private=True)
        return
    action, log = parts[0], await ctx.session.get(CoachingLog, numbers[0])
    if log is None:
        ctx.say("basics.stale_button", private=True)
        return
    if log.person_id != ctx.person.id:
        ctx.say("basics.not_yours", private=True)
        return
    if action in VERDICTS and len(parts) == 3 and log.kind == "question":
        await _verdict(ctx, log, action, int(parts[2]))
    elif action == "write" and log.kind == "reflection":
        dialog = await ctx.dialog(CONV)
        dialog.reset()
        dialog.go("reflect", log_id=log.id, since=ctx.now.isoformat())
        ctx.say("coaching.reflection.ask")
    elif action == "skip" and log.kind == "reflection":
        dialog = await ctx.dialog(CONV)
        if dialog.data.get("log_id") == log.id:
            dialog.reset()
        ctx.say("coaching.reflection.later")
    else:
        ctx.say("basics.stale_button", private=True)


async def _verdict(ctx: Ctx, log: CoachingLog, verdict: str, meeting_id: int) -> None:
    if verdict != "more":
        log.verdict = verdict
        ctx.say(f"coaching.{verdict}")
        return
    if log.verdict == "more":  # a second tap on an already replaced question
        ctx.say("coaching.already_replaced")
        return
    log.verdict = "more"
    facts = await _facts_for_button(ctx, log, meeting_id)
    if facts is None:
        ctx.say("basics.stale_button", private=True)
        return
    needs = await support_needs(ctx.session, facts.group.id, [m for m, _ in facts.mentees])
    picked = await _pick_question(ctx, ctx.person, facts, needs)
    if picked is None:
        ctx.say("coaching.no_more")
        return
    question, log_id = picked
    ctx.say(
        "coaching.another",
        _verdict_buttons(ctx, ctx.lang, log_id, facts.meeting.id),
        series=question_series(facts.group.id),
        question=question.text(ctx.lang),
    )


async def _facts_for_button(ctx: Ctx, log: CoachingLog, meeting_id: int) -> MeetingFacts | None:
    """The meeting a question was for: its phase holds even after the meeting."""
    meeting = await ctx.session.get(Meeting, meeting_id)
    if meeting is None or meeting.group_id != log.group_id:
        return None
    group, programme = await group_and_programme(ctx.session, meeting.group_id)
    return await facts_for(ctx, meeting, group, programme)


# -- after the meeting ---------------------------------------------------------
async def plan_reflection(work: Work, meeting: Meeting) -> None:
    """The meeting took place: the mentor's reflection prompt follows a little later.

    Not in the same breath as the "did you meet?" answer, the feedback pulse
    and the question about the next meeting: an hour on, it is the newest
    question, so her typed reply goes to her journal.
    """
    _, programme = await group_and_programme(work.session, meeting.group_id)
    hours = hours_setting(programme, "reflect_hours", DEFAULT_REFLECT_HOURS)
    await schedule(
        work.session,
        REFLECT_JOB,
        work.now + timedelta(hours=hours),
        key=f"reflect:{meeting.id}",
        group_id=meeting.group_id,
        payload={"meeting_id": meeting.id},
    )


async def reflection_job(work: Work, job: Job) -> None:
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    if group is None or not await attention.may_send(work, group):
        return
    members = await people_of(work, group.id)
    for seat, person in members:
        if seat.role != "mentor":
            continue
        shown = [r.item_id for r in await shown_to(work.session, person.id, "reflection")]
        prompt = next_in_cycle(work.content.prompts.mentor_reflection, shown)
        if prompt is None:
            continue
        log_id = await log_shown(work, person.id, group.id, "reflection", prompt.id)
        names = join_names(person.language, [s.name for s, p in members if p.id != person.id])
        lang = person.language
        choices = (
            Choice(f"coach:write:{log_id}", work.t_for(lang, "coaching.buttons.write")),
            Choice(f"coach:skip:{log_id}", work.t_for(lang, "coaching.buttons.skip")),
        )
        text = work.t_for(lang, "coaching.reflection.prompt", names=names, prompt=prompt.text(lang))
        await _open_reflection_for(work, person.id, log_id)
        reply = Reply(text, choices, series=reflection_series(group.id))
        await work.tell(person.id, reply, key=f"job:{job.id}:{seat.id}")


async def _open_reflection_for(work: Work, person_id: int, log_id: int) -> None:
    data = {"log_id": log_id, "since": work.now.isoformat()}
    row = await work.session.get(DialogState, (person_id, CONV))
    if row is None:
        work.session.add(
            DialogState(
                person_id=person_id,
                conversation=CONV,
                step="reflect",
                data=data,
                version=1,
                updated_at=to_db(work.now),
            )
        )
    else:
        row.step, row.data, row.version = "reflect", data, row.version + 1
        row.updated_at = to_db(work.now)


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    if dialog.step != "reflect" or expired(dialog, ctx.now, REFLECT_FOR):
        dialog.reset()
        await fall_through(ctx, message)
        return
    if not message:
        ctx.say("coaching.reflection.empty")
        return
    log = await ctx.session.get(CoachingLog, int(dialog.data.get("log_id") or 0))
    ctx.session.add(
        Note(
            person_id=ctx.person.id,
            group_id=log.group_id if log else None,
            kind="reflection",
            prompt_id=log.item_id if log else None,
            text=message,
            created_at=to_db(ctx.now),
        )
    )
    dialog.reset()
    ctx.say("coaching.reflection.saved")
