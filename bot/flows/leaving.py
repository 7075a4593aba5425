"""``/leave``: ending one's part in a mentorship without erasing anything.

Life happens; a mentee who must stop should not have to delete every trace
(``/forget``) to do so.  After a confirmation the seat is marked as left: the
partner is told kindly, future meetings are cancelled with calendar
cancellations, reminders stop, the organisers are told (and can find a new
partner with ``pair replace``).  Then the person may add a reason that only
the organisers read.  Everything stays until ``/forget``.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Dialog
from bot.flows.registry import Flows
from bot.flows.which import label, my_groups, pick
from bot.organiser.lifecycle import OPEN, leave, tell_reason
from bot.store.models import Group, Member

CONV = "leave"


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("leave", leave_command, where=DM))
    flows.on_choice("leave", choose)
    flows.on_text(CONV, text)


async def leave_command(ctx: Ctx, args: str) -> None:
    groups = await my_groups(ctx, OPEN)
    if not groups:
        ctx.say("lifecycle.leave.none")
        return
    group = await pick(ctx, "leave", args, groups)
    if group is None:
        return
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go(None, confirm=group.id)
    ctx.say(
        "lifecycle.leave.confirm",
        [
            ctx.choice(f"leave:{group.id}:yes", "lifecycle.leave.yes"),
            ctx.choice(f"leave:{group.id}:no", "lifecycle.leave.no"),
        ],
        mentorship=await label(ctx, group),
    )


async def _seat(ctx: Ctx, group_id: int) -> Member | None:
    return await ctx.session.scalar(
        select(Member).where(
            Member.group_id == group_id, Member.person_id == ctx.person.id, Member.left_at.is_(None)
        )
    )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or not parts[0].isdigit():
        ctx.say("basics.stale_button", private=True)
        return
    group_id, answer = int(parts[0]), parts[1]
    dialog = await ctx.dialog(CONV)
    if answer == "skip" and dialog.step == "reason" and dialog.data.get("group_id") == group_id:
        dialog.reset()
        ctx.say("lifecycle.leave.no_reason", replace=True)
        return
    if dialog.data.get("confirm") != group_id or answer not in ("yes", "no"):
        ctx.say("basics.stale_button", private=True)
        return
    dialog.reset()
    seat = await _seat(ctx, group_id)
    group = await ctx.session.get(Group, group_id)
    if seat is None or group is None or group.status not in OPEN:
        ctx.say("lifecycle.leave.none", replace=True)
        return
    if answer == "no":
        ctx.say("lifecycle.leave.kept", replace=True)
        return
    await leave(ctx, seat)
    dialog.go("reason", group_id=group_id, member_id=seat.id)
    ctx.say(
        "lifecycle.leave.done",
        [ctx.choice(f"leave:{group_id}:skip", "lifecycle.leave.skip")],
        replace=True,
    )


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    seat = await ctx.session.get(Member, int(dialog.data.get("member_id", 0)))
    dialog.reset()
    if seat is None or seat.person_id != ctx.person.id:
        ctx.say("basics.fallback")
        return
    await tell_reason(ctx, seat, ctx.person, message)
    ctx.say("lifecycle.leave.reason_sent")
