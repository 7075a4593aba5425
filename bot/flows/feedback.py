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

This module takes the answers; ``feedback_asking`` asks the questions,
``feedback_rounds`` plans when, ``feedback_answers`` reads what was answered.
"""

from __future__ import annotations

from bot.content import EvalQuestion
from bot.core.choice_ids import parse_id, parse_int
from bot.core.context import Ctx, Dialog
from bot.core.types import Reply
from bot.flows import health, survey_wait
from bot.flows.feedback_answers import PULSE_RATING, answers_of, falling, issued, mentee_ratings
from bot.flows.feedback_asking import (
    CODES,
    CONV,
    FOR_ORGANISERS,
    KINDS,
    ask,
    names_for,
    next_step,
    people_of,
    questions_for,
    start_pulse,
)
from bot.flows.feedback_preload import preload_rounds
from bot.flows.feedback_rounds import plan_rounds, round_job
from bot.flows.registry import Flows
from bot.store.db import to_db
from bot.store.groups import group_and_seat, seat_of
from bot.store.models import (
    FeedbackAnswer,
    Group,
    Member,
)


def register(flows: Flows) -> None:
    flows.on_choice("fb", choose)
    flows.on_text(CONV, text)
    flows.on_job("fb_round", round_job, preload=preload_rounds)
    flows.group_complete.append(plan_rounds)
    flows.meeting_held.append(start_pulse)
    flows.meeting_answered.append(survey_wait.release_waiting)


# -- answers ----------------------------------------------------------------------
async def _seat(ctx: Ctx, group_id: int) -> Member | None:
    return await seat_of(ctx.session, group_id, ctx.person.id)


async def choose(ctx: Ctx, parts: list[str]) -> None:
    group_id = parse_id(parts[0]) if len(parts) == 5 else None
    qi = parse_int(parts[3], high=99) if len(parts) == 5 else None
    if group_id is None or qi is None or parts[1] not in KINDS:
        ctx.say("basics.stale_button", private=True)
        return
    group, seat = await group_and_seat(ctx.session, group_id, ctx.person.id)
    if group is None or seat is None:
        ctx.say("basics.not_yours", private=True)
        return
    kind, round_, answer = KINDS[parts[1]], parts[2], parts[4]
    if not await issued(ctx, group, kind, round_):
        ctx.say("basics.stale_button", private=True)
        return
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
        answers[q.id] = row  # (the round's answers as a new read would give them)
        if q.kind == "text":
            (await ctx.dialog(CONV)).reset()
        await after_answer(ctx, group, seat, kind, q)
    await ask(ctx, group, seat, ctx.person, kind, round_, answers=answers)


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
    answers = await answers_of(ctx, group.id, seat.id, kind, round_)
    step = next_step(questions, answers)
    if step != (qi, "ask") or questions[qi].kind != "text" or not message:
        ctx.say("feedback.already")
        return
    row = _answer_row(ctx, group, seat, kind, round_, questions[qi])
    row.text = message
    ctx.session.add(row)
    await ctx.session.flush()
    answers[questions[qi].id] = row  # (as a new read would give them)
    await after_answer(ctx, group, seat, kind, questions[qi])
    await ask(ctx, group, seat, ctx.person, kind, round_, answers=answers)


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
