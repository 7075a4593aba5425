"""Asking feedback questions: one at a time, by button or typed, in the person's language.

A round (an after-meeting pulse, a check-in, the midpoint or final
evaluation) asks each member the questions for their role; progress lives in
the answers, so a question is never asked twice."""

from __future__ import annotations

from bot.content import EvalQuestion
from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.flows import health
from bot.flows.feedback_answers import answers_of, round_answers
from bot.store.db import from_db, to_db
from bot.store.groups import organisers_of
from bot.store.models import (
    DialogState,
    FeedbackAnswer,
    Group,
    Meeting,
    Member,
    Person,
)
from bot.time import formatting as timefmt

CONV = "feedback"


KINDS = {"p": "pulse", "c": "checkin", "m": "midpoint", "f": "final"}


CODES = {v: k for k, v in KINDS.items()}


#: written answers meant for the organisers rather than the partner
FOR_ORGANISERS = frozenset({"organiser_help", "improve"})


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
    answers: dict[str, FeedbackAnswer] | None = None,
) -> None:
    """Send ``person`` the next step of the round, or the closing words when done
    (``answers``: the seat's answers of the round, when the caller read them)."""
    lang = person.language
    questions = questions_for(work, kind, seat.role)
    if answers is None:
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


async def start_round(
    work: Work, group: Group, kind: str, round_: str, *, intro_key: str = "", **params: object
) -> None:
    by_seat = await round_answers(work, group.id, kind, round_)  # every seat's, in one query
    for seat, person in await people_of(work, group.id):
        if person.unreachable_at is not None:
            continue
        intro = work.t_for(person.language, intro_key or f"feedback.intro.{kind}", **params)
        answers = by_seat.get(seat.id, {})
        await ask(work, group, seat, person, kind, round_, intro=intro, answers=answers)


async def start_pulse(work: Work, meeting: Meeting) -> None:
    group = await work.session.get(Group, meeting.group_id)
    if group is None:
        return
    members = await people_of(work, group.id)
    # the round's answers of every seat in one read (asking writes none)
    given = await round_answers(work, group.id, "pulse", str(meeting.id))
    for seat, person in members:
        if person.unreachable_at is not None:
            continue
        day = timefmt.when(
            work.content, person.language, from_db(meeting.starts_at), person.timezone
        )
        intro = work.t_for(person.language, "feedback.intro.pulse", when=day)
        answers = given.get(seat.id, {})
        await ask(work, group, seat, person, "pulse", str(meeting.id), intro=intro, answers=answers)
