"""Next steps between meetings (guide section 2: be proactive, give tasks beyond the talks).

Once a meeting has taken place ("we met"), either member may note a step the
group agreed on: the bot offers an "Add a next step" button right after the
answer, and ``/steps`` lists, adds and ticks them off at any time.  The open
steps are shown to everyone before the next meeting (in the reminder and the
mentee's preparation, through the registry's ``before_meeting`` hook), and
after that meeting took place each member is asked about every step noted
before it: done, not yet, or drop it.  The first answer settles a step; the
others are told, and a later press on the same question says who settled it.

Steps live in ``next_steps`` (:mod:`bot.store.steps_model`); ``/mydata``
exports the ones a person noted and ``/forget`` deletes them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from bot.core.choice_ids import parse_id
from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows.coaching import expired, fall_through
from bot.flows.companion_seats import seat_in, seats_of, start_step
from bot.flows.meeting_basics import people_of, send
from bot.flows.registry import Flows
from bot.flows.which import pick
from bot.store.db import to_db
from bot.store.groups import members_of
from bot.store.models import Group, Meeting, Member, Person
from bot.store.steps_model import NextStep

CONV = "steps"
PREFIX = "nxt"
ANSWERS = ("done", "later", "drop")
MAX_STEP = 300
MAX_OPEN = 10
#: after "Add a next step" the next typed text is the step, for this long
STEP_FOR = timedelta(hours=24)


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("steps", steps_command, where=DM, args="text"))
    flows.on_choice(PREFIX, choose)
    flows.on_text(CONV, text)
    flows.meeting_held.append(after_meeting)
    flows.before_meeting.append(before_meeting)
    flows.export_person.append(export)
    flows.erase_person.append(erase)


# -- reading -------------------------------------------------------------------
async def open_steps(work: Work, group_id: int) -> list[NextStep]:
    return list(
        (
            await work.session.scalars(
                select(NextStep)
                .where(NextStep.group_id == group_id, NextStep.status == "open")
                .order_by(NextStep.created_at, NextStep.id)
            )
        ).all()
    )


async def has_met(work: Work, group_id: int) -> bool:
    held = await work.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.group_id == group_id, Meeting.status == "held")
    )
    return bool(held)


async def _names(work: Work, group_id: int) -> dict[int, str]:
    return {m.id: m.name for m in await members_of(work.session, group_id)}


def _line(work: Work, lang: str, n: int, step: NextStep, names: dict[int, str]) -> str:
    name = names.get(step.member_id or 0, "")
    if not name or name == "–":
        return work.t_for(lang, "next_steps.item", n=n, text=step.text)
    return work.t_for(lang, "next_steps.item_by", n=n, text=step.text, name=name)


async def listing(work: Work, lang: str, group_id: int, steps: list[NextStep]) -> str:
    names = await _names(work, group_id)
    lines = [work.t_for(lang, "next_steps.head")]
    lines += [_line(work, lang, n, s, names) for n, s in enumerate(steps, 1)]
    return "\n".join(lines)


async def before_meeting(work: Work, meeting: Meeting, person: Person) -> str | None:
    """The open steps, for the reminder and the preparation before ``meeting``."""
    steps = await open_steps(work, meeting.group_id)
    if not steps:
        return None
    lang = person.language
    names = await _names(work, meeting.group_id)
    lines = [work.t_for(lang, "next_steps.before")]
    lines += [_line(work, lang, n, s, names) for n, s in enumerate(steps, 1)]
    return "\n".join(lines)


# -- after a meeting -------------------------------------------------------------
async def after_meeting(work: Work, meeting: Meeting) -> None:
    """Ask about each step noted before this meeting; then offer to note a new one."""
    group = await work.session.get(Group, meeting.group_id)
    if group is None:
        return
    asked = [s for s in await open_steps(work, group.id) if s.created_at < meeting.starts_at]
    names = await _names(work, group.id)
    for seat, person in await people_of(work, group.id):
        lang = person.language
        for step in asked:
            reply = Reply(
                work.t_for(lang, "next_steps.ask", text=step.text),
                tuple(
                    Choice(
                        f"{PREFIX}:did:{step.id}:{a}", work.t_for(lang, f"next_steps.buttons.{a}")
                    )
                    for a in ANSWERS
                ),
            )
            await send(work, person, reply, key=f"nxt:ask:{step.id}:{meeting.id}:{seat.id}")
        others = [n for i, n in names.items() if i != seat.id]
        offer = Reply(
            work.t_for(lang, "next_steps.offer", names=", ".join(others)),
            (Choice(f"{PREFIX}:add:{group.id}", work.t_for(lang, "next_steps.buttons.add")),),
        )
        await send(work, person, offer, key=f"nxt:offer:{meeting.id}:{seat.id}")


# -- /steps ------------------------------------------------------------------------
async def steps_command(ctx: Ctx, args: str) -> None:
    seats = await seats_of(ctx, ctx.person.id)
    if not seats:
        ctx.say("next_steps.no_group")
        return
    group = await pick(ctx, "steps", args, [g for _, g in seats])
    if group is None:
        return
    seat = next(s for s, g in seats if g.id == group.id)
    (await ctx.dialog(CONV)).reset()
    if args.strip():
        await _add(ctx, seat, group, args)
        return
    await _show(ctx, group)


async def _show(ctx: Ctx, group: Group) -> None:
    steps = await open_steps(ctx, group.id)
    met = await has_met(ctx, group.id)
    if not steps:
        ctx.say(
            "next_steps.empty" if met else "next_steps.not_met_yet",
            [ctx.choice(f"{PREFIX}:add:{group.id}", "next_steps.buttons.add")] if met else [],
        )
        return
    choices = [ctx.choice(f"{PREFIX}:add:{group.id}", "next_steps.buttons.add")]
    choices += [
        Choice(f"{PREFIX}:did:{s.id}:done", ctx.t("next_steps.buttons.done_n", n=n))
        for n, s in enumerate(steps, 1)
    ]
    ctx.reply(
        await listing(ctx, ctx.lang, group.id, steps) + "\n\n" + ctx.t("next_steps.tick"),
        choices,
    )


async def _add(ctx: Ctx, seat: Member, group: Group, typed: str) -> None:
    step_text = " ".join(typed.split())[:MAX_STEP]
    if not await has_met(ctx, group.id):
        ctx.say("next_steps.not_met_yet")
        return
    steps = await open_steps(ctx, group.id)
    if len(steps) >= MAX_OPEN:
        ctx.say("next_steps.full", n=len(steps))
        return
    step = NextStep(
        group_id=group.id,
        member_id=seat.id,
        text=step_text,
        status="open",
        created_at=to_db(ctx.now),
    )
    ctx.session.add(step)
    await ctx.session.flush()
    steps.append(step)
    ctx.reply(
        ctx.t("next_steps.added") + "\n\n" + await listing(ctx, ctx.lang, group.id, steps),
        [ctx.choice(f"{PREFIX}:add:{group.id}", "next_steps.buttons.add_more")],
    )
    for other, person in await people_of(ctx, group.id):
        if other.id == seat.id:
            continue
        told = Reply(
            ctx.t_for(person.language, "next_steps.added_other", name=seat.name, text=step.text)
        )
        await ctx.tell(person.id, told, key=f"nxt:added:{step.id}:{other.id}")


# -- buttons and typed text ------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    if parts == ["cancel"]:
        dialog = await ctx.dialog(CONV)
        if dialog.step is not None:
            dialog.reset()
        ctx.say("next_steps.cancelled")
        return
    target = parse_id(parts[1]) if len(parts) >= 2 else None
    if target is None:
        ctx.say("basics.stale_button", private=True)
        return
    if parts[0] == "add" and len(parts) == 2:
        await _press_add(ctx, target)
    elif parts[0] == "did" and len(parts) == 3 and parts[2] in ANSWERS:
        await _answer(ctx, target, parts[2])
    else:
        ctx.say("basics.stale_button", private=True)


async def _press_add(ctx: Ctx, group_id: int) -> None:
    found = await seat_in(ctx, group_id)
    if found is None:
        ctx.say("basics.not_yours", private=True)
        return
    _seat, group = found
    if not await has_met(ctx, group.id):
        ctx.say("next_steps.not_met_yet")
        return
    if len(await open_steps(ctx, group.id)) >= MAX_OPEN:
        ctx.say("next_steps.full", n=MAX_OPEN)
        return
    start_step(await ctx.dialog(CONV), ctx.now, "add", group_id=group.id)
    ctx.say("next_steps.write", [ctx.choice(f"{PREFIX}:cancel", "next_steps.buttons.cancel")])


async def _answer(ctx: Ctx, step_id: int, answer: str) -> None:
    step = await ctx.session.get(NextStep, step_id)
    if step is None:
        ctx.say("basics.stale_button", private=True)
        return
    found = await seat_in(ctx, step.group_id)
    if found is None:
        ctx.say("basics.not_yours", private=True)
        return
    seat, group = found
    names = await _names(ctx, group.id)
    if step.status != "open":
        who = names.get(step.closed_by or 0, "")
        key = f"next_steps.settled.{step.status}" + ("_by" if who and who != "–" else "")
        ctx.say(key, private=True, text=step.text, name=who)
        return
    if answer == "later":
        ctx.say("next_steps.kept", replace=True, text=step.text)
        return
    step.status = "done" if answer == "done" else "dropped"
    step.closed_at = to_db(ctx.now)
    step.closed_by = seat.id
    ctx.say(f"next_steps.marked.{step.status}", replace=True, text=step.text)
    for other, person in await people_of(ctx, group.id):
        if other.id == seat.id:
            continue
        told = Reply(
            ctx.t_for(
                person.language, f"next_steps.told.{step.status}", name=seat.name, text=step.text
            )
        )
        await ctx.tell(person.id, told, key=f"nxt:{step.status}:{step.id}:{other.id}")


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    if dialog.step != "add" or expired(dialog, ctx.now, STEP_FOR) or not message.strip():
        dialog.reset()
        await fall_through(ctx, message)
        return
    found = await seat_in(ctx, int(dialog.data.get("group_id") or 0))
    dialog.reset()
    if found is None:
        await fall_through(ctx, message)
        return
    seat, group = found
    await _add(ctx, seat, group, message)


# -- /mydata and /forget -------------------------------------------------------------
async def export(ctx: Ctx) -> dict[str, Any]:
    seat_ids = list(
        await ctx.session.scalars(select(Member.id).where(Member.person_id == ctx.person.id))
    )
    rows = await ctx.session.scalars(
        select(NextStep).where(NextStep.member_id.in_(seat_ids)).order_by(NextStep.id)
    )
    return {
        "next_steps": [
            {
                "group_id": r.group_id,
                "text": r.text,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
                "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            }
            for r in rows
        ]
    }


async def erase(ctx: Ctx, seats: list[Member], _needles: set[str]) -> None:
    """The steps a person noted are their words: they go with them."""
    ids = [s.id for s in seats]
    if ids:
        await ctx.session.execute(delete(NextStep).where(NextStep.member_id.in_(ids)))
