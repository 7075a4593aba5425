"""Which mentorship?  Asked whenever a command acts on "our mentorship" and there are several.

A mentor with two mentees, or someone in a pair and a circle, must never have
``/reschedule`` (or ``/cancel``, ``/pause``, ``/leave``, ``/rhythm`` ...) act
on whichever pair happens to come first.  :func:`pick` returns the one group
when there is one; otherwise it asks with a button per mentorship, named by
the partner (a pair) or the circle, and returns None.  The button runs the
same command again with the same arguments, and :func:`pick` then returns
the chosen group.  The question is kept without a dialog step, so a person's
typed text still goes where it went before.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Ctx
from bot.core.types import Choice
from bot.flows.registry import Flows
from bot.store.groups import members_of
from bot.store.models import Group, Member

CONV = "which"
MAX_ARGS = 500
LABEL = 60


def register(flows: Flows) -> None:
    flows.on_choice("which", choose)


async def my_groups(ctx: Ctx, statuses: tuple[str, ...]) -> list[Group]:
    """The actor's pairs and circles with one of ``statuses``, oldest first."""
    rows = await ctx.session.scalars(
        select(Group)
        .join(Member, Member.group_id == Group.id)
        .where(
            Member.person_id == ctx.person.id,
            Member.left_at.is_(None),
            Group.status.in_(statuses),
        )
        .order_by(Group.id)
    )
    return list(dict.fromkeys(rows.all()))


async def label(ctx: Ctx, group: Group) -> str:
    """A pair is named by the partner; a circle by its name."""
    if group.kind == "circle":
        return ctx.t("lifecycle.which.circle", name=group.name)[:LABEL]
    others = [
        m.name for m in await members_of(ctx.session, group.id) if m.person_id != ctx.person.id
    ]
    return ctx.t("lifecycle.which.pair", names=", ".join(others) or group.name)[:LABEL]


async def pick(ctx: Ctx, command: str, args: str, options: list[Group]) -> Group | None:
    dialog = await ctx.dialog(CONV)
    if dialog.data.get("chosen_for") == command:
        chosen = dialog.data.get("chosen")
        dialog.reset()
        found = next((g for g in options if g.id == chosen), None)
        if found is not None:
            return found
    if len(options) == 1:
        return options[0]
    if not options:
        return None
    dialog.reset()
    dialog.go(None, asked=command, args=args[:MAX_ARGS])
    buttons = [Choice(f"which:{command}:{g.id}", await label(ctx, g)) for g in options]
    ctx.say("lifecycle.which.ask", buttons, command=f"/{command}")
    return None


async def choose(ctx: Ctx, parts: list[str]) -> None:
    dialog = await ctx.dialog(CONV)
    if len(parts) != 2 or not parts[1].isdigit() or dialog.data.get("asked") != parts[0]:
        ctx.say("basics.stale_button", private=True)
        return
    spec = ctx.commands.get(parts[0])
    if spec is None:
        ctx.say("basics.stale_button", private=True)
        return
    args = str(dialog.data.get("args", ""))
    dialog.reset()
    dialog.go(None, chosen_for=parts[0], chosen=int(parts[1]))
    await spec.handler(ctx, args)
    if dialog.data.get("chosen_for") is not None:  # the command did not need to pick
        dialog.reset()
