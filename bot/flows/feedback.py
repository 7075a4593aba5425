"""Feedback, regularly (guide section 3: ask for feedback so you can change direction).

* After a meeting that took place, each member gets a short private pulse:
  how useful (1–5), one thing to keep, one thing to change.  Every question
  can be skipped; after each written answer the writer chooses whether her
  partner may see it (private by default).
* Check-ins on the programme's cadence (``checkin_first_days`` 30, then every
  ``checkin_every_days`` 60), a mid-programme and an end-of-programme
  evaluation, all from ``content/evaluations.yaml``.
* The end-of-programme evaluation is the closing flow: it opens by
  celebrating, its questions make both reflect (the mentor: what did you
  learn about yourself, guide section 8), and it ends with what comes next.
* When a mentee's ratings fall, her mentor is nudged to ask for feedback –
  without being told the ratings (see :mod:`bot.flows.health`).

Progress lives in :class:`FeedbackAnswer` rows, one per question answered or
skipped; for a written answer, ``choice`` records the sharing decision
(``shared``/``private``; None while undecided).  So a round's next step is
derived from the rows, and a replayed or foreign button changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from bot.content import EvalQuestion
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows import health
from bot.flows.feedback_answers import PULSE_RATING, answers_of, falling, mentee_ratings
from bot.flows.registry import Flows
from bot.store.db import from_db, to_db
from bot.store.groups import organisers_of
from bot.store.jobs import schedule
from bot.store.models import (
    DialogState,
    FeedbackAnswer,
    Group,
    Job,
    Meeting,
    Member,
    Person,
    Programme,
)
from bot.time import formatting as timefmt

CONV = "feedback"
KINDS = {"p": "pulse", "c": "checkin", "m": "midpoint", "f": "final"}
CODES = {v: k for k, v in KINDS.items()}
#: written answers meant for the organisers rather than the partner
FOR_ORGANISERS = frozenset({"organiser_help", "improve"})
DEFAULTS = {
    "checkin_first_days": 30,
    "checkin_every_days": 60,
    "checkin_answer_days": 10,
    "final_days_before": 7,
    "quiet_days": 14,  # no check-in this close to the mid/final evaluation
}
SEND_AT = time(9, 0, tzinfo=UTC)


def register(flows: Flows) -> None:
    flows.on_choice("fb", choose)
    flows.on_text(CONV, text)
    flows.on_job("fb_round", round_job)
    flows.group_complete.append(plan_rounds)
    flows.meeting_held.append(start_pulse)


def setting(programme: Programme, name: str) -> int:
    return int(programme.settings.get(name, DEFAULTS[name]))


def questions_for(work: Work, kind: str, role: str) -> list[EvalQuestion]:
    bank: list[EvalQuestion] = getattr(work.content.evaluations, kind)
    return [q for q in bank if role in q.roles]


def next_step(
    questions: list[EvalQuestion], answers: dict[str, FeedbackAnswer]
) -> tuple[int, str] | None:
    """(question index, "ask" or "share"), or None when the round is done."""
    for i, q in enumerate(questions):
        a = answers.get(q.id)
        if a is None:
            return i, "ask"
        if q.kind == "text" and not a.skipped and a.choice is None:
            return i, "share"
    return None


# -- sending ---------------------------------------------------------------------
async def people_of(work: Work, group_id: int) -> list[tuple[Member, Person]]:
    return await health.seats_and_people(work, group_id)


async def send(work: Work, person: Person, reply: Reply, key: str) -> None:
    await health.deliver(work, person, reply, key=key)


async def set_dialog(work: Work, person: Person, step: str | None, data: dict[str, object]) -> None:
    if isinstance(work, Ctx) and work.person.id == person.id:
        dialog = await work.dialog(CONV)
        dialog.reset()
        if step is not None:
            dialog.go(step, **data)
        return
    row = await work.session.get(DialogState, (person.id, CONV))
    if row is None:
        if step is not None:
            work.session.add(
                DialogState(
                    person_id=person.id,
                    conversation=CONV,
                    step=step,
                    data=data,
                    version=1,
                    updated_at=to_db(work.now),
                )
            )
        return
    row.step, row.data, row.version = step, data, row.version + 1
    row.updated_at = to_db(work.now)


def choice_id(group: Group, kind: str, round_: str, qi: int, answer: str) -> str:
    return f"fb:{group.id}:{CODES[kind]}:{round_}:{qi}:{answer}"


async def names_for(
    work: Work, group: Group, seat: Member, question: EvalQuestion
) -> tuple[str, list[Person]]:
    """Who a shared answer goes to: the other members, or the organisers."""
    if question.id in FOR_ORGANISERS:
        organisers = await organisers_of(work.session, group.programme_id)
        return "", organisers
    others = [(s, p) for s, p in await people_of(work, group.id) if s.id != seat.id]
    return ", ".join(s.name for s, _ in others), [p for _, p in others]


async def ask(
    work: Work,
    group: Group,
    seat: Member,
    person: Person,
    kind: str,
    round_: str,
    *,
    intro: str = "",
) -> None:
    """Send ``person`` the next step of the round, or the closing words when done."""
    lang = person.language
    questions = questions_for(work, kind, seat.role)
    answers = await answers_of(work, group.id, seat.id, kind, round_)
    step = next_step(questions, answers)
    key = f"fb:{group.id}:{CODES[kind]}:{round_}:{seat.id}:{len(answers)}"
    if step is None:
        await set_dialog(work, person, None, {})
        done = f"feedback.closing.{seat.role}" if kind == "final" else "feedback.done"
        await send(work, person, Reply(work.t_for(lang, done)), key=f"{key}:done")
        return
    qi, what = step
    q = questions[qi]
    skip = Choice(choice_id(group, kind, round_, qi, "skip"), work.t_for(lang, "feedback.skip"))
    if what == "share":
        names, _ = await names_for(work, group, seat, q)
        if q.id in FOR_ORGANISERS:
            body = work.t_for(lang, "feedback.share_ask_organisers")
            share_label = work.t_for(lang, "feedback.buttons.share_organisers")
        else:
            body = work.t_for(lang, "feedback.share_ask", names=names)
            share_label = work.t_for(lang, "feedback.buttons.share", names=names)
        choices: tuple[Choice, ...] = (
            Choice(choice_id(group, kind, round_, qi, "share"), share_label),
            Choice(
                choice_id(group, kind, round_, qi, "keep"),
                work.t_for(lang, "feedback.buttons.keep"),
            ),
        )
        await send(work, person, Reply(body, choices), key=f"{key}:share")
        return
    if q.kind == "rating":
        choices = (
            *(Choice(choice_id(group, kind, round_, qi, str(n)), str(n)) for n in range(1, 6)),
            skip,
        )
    elif q.kind == "choice":
        choices = (
            *(Choice(choice_id(group, kind, round_, qi, o.id), o.text(lang)) for o in q.options),
            skip,
        )
    else:
        choices = (skip,)
    body = q.text(lang) + "\n" + work.t_for(lang, f"feedback.hint.{q.kind}")
    if intro:
        body = intro + "\n\n" + body
    if q.kind == "text":
        data = {"group_id": group.id, "kind": kind, "round": round_, "qi": qi}
        await set_dialog(work, person, "text", data)
    await send(work, person, Reply(body, choices), key=f"{key}:ask")


async def start_round(work: Work, group: Group, kind: str, round_: str, **params: object) -> None:
    for seat, person in await people_of(work, group.id):
        if person.unreachable_at is not None:
            continue
        intro = work.t_for(person.language, f"feedback.intro.{kind}", **params)
        await ask(work, group, seat, person, kind, round_, intro=intro)


# -- after a meeting ---------------------------------------------------------------
async def start_pulse(work: Work, meeting: Meeting) -> None:
    group = await work.session.get(Group, meeting.group_id)
    if group is None:
        return
    for seat, person in await people_of(work, group.id):
        if person.unreachable_at is not None:
            continue
        day = timefmt.when(
            work.content, person.language, from_db(meeting.starts_at), person.timezone
        )
        intro = work.t_for(person.language, "feedback.intro.pulse", when=day)
        await ask(work, group, seat, person, "pulse", str(meeting.id), intro=intro)


# -- check-ins, midpoint and final evaluation -----------------------------------------
def at_send_time(day: date) -> datetime:
    return datetime.combine(day, SEND_AT)


def final_time(programme: Programme) -> datetime:
    return at_send_time(
        programme.end_date - timedelta(days=setting(programme, "final_days_before"))
    )


def midpoint_time(programme: Programme) -> datetime:
    half = (programme.end_date - programme.start_date) / 2
    return at_send_time(programme.start_date + half)


def too_close(programme: Programme, when: datetime) -> bool:
    quiet = timedelta(days=setting(programme, "quiet_days"))
    return any(
        abs(when - other) < quiet for other in (midpoint_time(programme), final_time(programme))
    ) or (when > final_time(programme))


async def schedule_checkin(
    work: Work, group: Group, programme: Programme, n: int, at: datetime
) -> None:
    """Plan check-in ``n`` at ``at``; one that falls close to an evaluation is left out."""
    every = timedelta(days=setting(programme, "checkin_every_days"))
    while too_close(programme, at):
        if at > final_time(programme):
            return
        at += every
    await schedule(
        work.session,
        "fb_round",
        at,
        key=f"fb:checkin:{group.id}:{n}",
        group_id=group.id,
        payload={"kind": "checkin", "round": str(n)},
    )


async def plan_rounds(ctx: Ctx, group: Group) -> None:
    programme = await ctx.session.get(Programme, group.programme_id)
    if programme is None:
        return
    first = ctx.now + timedelta(days=setting(programme, "checkin_first_days"))
    await schedule_checkin(ctx, group, programme, 1, first)
    for kind, at in (("midpoint", midpoint_time(programme)), ("final", final_time(programme))):
        if at > ctx.now:
            await schedule(
                ctx.session,
                "fb_round",
                at,
                key=f"fb:{kind}:{group.id}",
                group_id=group.id,
                payload={"kind": kind, "round": "1"},
            )


async def round_job(work: Work, job: Job) -> None:
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    if group is None or group.status not in health.LIVE:
        return
    programme = await work.session.get(Programme, group.programme_id)
    assert programme is not None
    kind, round_ = str(job.payload["kind"]), str(job.payload["round"])
    if health.paused_now(group, work.now) and kind == "checkin":
        # pauses count for nothing: the check-in waits until the pause ends
        until = from_db(group.paused_until) if group.paused_until else work.now
        await schedule(
            work.session,
            "fb_round",
            until,
            key=f"fb:checkin:{group.id}:{round_}:{until.isoformat()}",
            group_id=group.id,
            payload=dict(job.payload),
        )
        return
    params: dict[str, object] = {"programme": programme.name}
    if kind == "final":
        params["held"] = await work.session.scalar(
            select(func.count(Meeting.id)).where(
                Meeting.group_id == group.id, Meeting.status == "held"
            )
        )
    await start_round(work, group, kind, round_, **params)
    if kind == "checkin":
        n = int(round_)
        every = timedelta(days=setting(programme, "checkin_every_days"))
        await schedule_checkin(work, group, programme, n + 1, work.now + every)
        if n >= 2:
            await schedule(
                work.session,
                "health_checkins",
                work.now + timedelta(days=setting(programme, "checkin_answer_days")),
                key=f"fb:late:{group.id}:{n}",
                group_id=group.id,
                payload={"round": n},
            )


# -- answers ----------------------------------------------------------------------
async def _seat(ctx: Ctx, group_id: int) -> Member | None:
    return await ctx.session.scalar(
        select(Member).where(
            Member.group_id == group_id, Member.person_id == ctx.person.id, Member.left_at.is_(None)
        )
    )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 5 or not parts[0].isdigit() or not parts[3].isdigit() or parts[1] not in KINDS:
        ctx.say("basics.stale_button", private=True)
        return
    group = await ctx.session.get(Group, int(parts[0]))
    seat = await _seat(ctx, int(parts[0])) if group else None
    if group is None or seat is None:
        ctx.say("basics.not_yours", private=True)
        return
    kind, round_, qi, answer = KINDS[parts[1]], parts[2], int(parts[3]), parts[4]
    questions = questions_for(ctx, kind, seat.role)
    answers = await answers_of(ctx, group.id, seat.id, kind, round_)
    step = next_step(questions, answers)
    if step is None or step[0] != qi:
        ctx.say("feedback.already", private=True)
        return
    q = questions[qi]
    if step[1] == "share":
        row = answers[q.id]
        if answer not in ("share", "keep"):
            ctx.say("basics.stale_button", private=True)
            return
        row.choice = "shared" if answer == "share" else "private"
        row.shared = answer == "share"
        if row.shared:
            await share(ctx, group, seat, q, row, kind)
        else:
            ctx.say("feedback.kept")
    else:
        row = _answer_row(ctx, group, seat, kind, round_, q)
        if answer == "skip":
            row.skipped = True
        elif q.kind == "rating" and answer in ("1", "2", "3", "4", "5"):
            row.rating = int(answer)
        elif q.kind == "choice" and answer in {o.id for o in q.options}:
            row.choice = answer
        else:
            ctx.say("basics.stale_button", private=True)
            return
        ctx.session.add(row)
        await ctx.session.flush()
        if q.kind == "text":
            (await ctx.dialog(CONV)).reset()
        await after_answer(ctx, group, seat, kind, q)
    await ask(ctx, group, seat, ctx.person, kind, round_)


def _answer_row(
    ctx: Ctx, group: Group, seat: Member, kind: str, round_: str, q: EvalQuestion
) -> FeedbackAnswer:
    return FeedbackAnswer(
        group_id=group.id,
        member_id=seat.id,
        role=seat.role,
        kind=kind,
        round=round_,
        question_id=q.id,
        skipped=False,
        shared=False,
        created_at=to_db(ctx.now),
    )


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    data = dict(dialog.data)
    dialog.reset()
    group_id = int(data.get("group_id", 0) or 0)
    group = await ctx.session.get(Group, group_id) if group_id else None
    seat = await _seat(ctx, group_id) if group else None
    kind = str(data.get("kind", ""))
    if group is None or seat is None or kind not in CODES:
        ctx.say("basics.fallback")
        return
    round_, qi = str(data.get("round", "")), int(data.get("qi", -1))
    questions = questions_for(ctx, kind, seat.role)
    step = next_step(questions, await answers_of(ctx, group.id, seat.id, kind, round_))
    if step != (qi, "ask") or questions[qi].kind != "text" or not message:
        ctx.say("feedback.already")
        return
    row = _answer_row(ctx, group, seat, kind, round_, questions[qi])
    row.text = message
    ctx.session.add(row)
    await ctx.session.flush()
    await after_answer(ctx, group, seat, kind, questions[qi])
    await ask(ctx, group, seat, ctx.person, kind, round_)


async def share(
    ctx: Ctx, group: Group, seat: Member, q: EvalQuestion, row: FeedbackAnswer, kind: str
) -> None:
    """Deliver one written answer the writer chose to share, and only that answer."""
    names, recipients = await names_for(ctx, group, seat, q)
    for person in recipients:
        lang = person.language
        body = ctx.t_for(
            lang,
            "feedback.shared",
            name=seat.name,
            round=ctx.t_for(lang, f"feedback.round.{kind}"),
            question=q.text(lang),
            answer=row.text or "",
        )
        await ctx.tell(person.id, Reply(body), key=f"fb:shared:{row.id}:{person.id}")
    if q.id in FOR_ORGANISERS:
        ctx.say("feedback.shared_organisers_ok")
    else:
        ctx.say("feedback.shared_ok", names=names)


async def after_answer(ctx: Ctx, group: Group, seat: Member, kind: str, q: EvalQuestion) -> None:
    if kind == "checkin":
        await health.resolve(ctx, group.id, "checkins")
    if kind == "pulse" and q.id == PULSE_RATING and seat.role == "mentee":
        ratings = await mentee_ratings(ctx, group.id, seat.id)
        if falling(ratings):
            mentors = [(s, p) for s, p in await people_of(ctx, group.id) if s.role == "mentor"]
            await health.raise_flag(
                ctx, group, "ratings", {}, nudge=mentors, params={"name": seat.name}
            )
        elif ratings and (len(ratings) < 2 or ratings[-1] >= ratings[-2]):
            await health.resolve(ctx, group.id, "ratings")
