"""The one-tap way back for a pair whose series paused itself (issue 23).

The pause is not stored: a group is quiet while its questions stand
unanswered (see :mod:`bot.flows.attention`).  Pressing the button is itself an
answer – the engine stamps the press as activity – so this step only has to
check the button is the person's own and say that everything is on again.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Ctx
from bot.flows.attention import RESUME
from bot.flows.registry import Flows
from bot.store.models import Meeting, Member


def register(flows: Flows) -> None:
    flows.on_choice(RESUME, choose)


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or not parts[0].isdigit() or parts[1] != "on":
        ctx.say("basics.stale_button", private=True)
        return
    group_id = int(parts[0])
    seat = await ctx.session.scalar(
        select(Member.id).where(
            Member.group_id == group_id,
            Member.person_id == ctx.person.id,
            Member.left_at.is_(None),
        )
    )
    if seat is None:
        ctx.say("attention.not_yours", private=True)
        return
    booked = await ctx.session.scalar(
        select(Meeting.id)
        .where(Meeting.group_id == group_id, Meeting.status.in_(("planned", "proposed")))
        .limit(1)
    )
    ctx.say("attention.resumed" if booked is not None else "attention.resumed_book", replace=True)
