"""Where a person belongs in the companion: their pairs and circles, and their partners.

Shared by the companion's commands (agenda, notes, contact): the dialog's name
and how a step of it starts live here too."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice
from bot.store.groups import members_of, memberships
from bot.store.models import (
    Group,
    Member,
)

CONV = "companion"


#: a question we asked ("what would you like to bring up?") stops catching text after this
STEP_FOR = timedelta(hours=12)


GROUP_STATUSES = ("invited", "active", "paused", "incomplete")


async def seats_of(work: Work, person_id: int) -> list[tuple[Member, Group]]:
    out = []
    for seat in await memberships(work.session, person_id):
        group = await work.session.get(Group, seat.group_id)
        if group is not None and group.status in GROUP_STATUSES:
            out.append((seat, group))
    return out


async def seat_in(ctx: Ctx, group_id: int) -> tuple[Member, Group] | None:
    return next(((s, g) for s, g in await seats_of(ctx, ctx.person.id) if g.id == group_id), None)


async def partners(work: Work, group_id: int, person_id: int) -> list[Member]:
    return [
        m
        for m in await members_of(work.session, group_id)
        if m.person_id is not None and m.person_id != person_id
    ]


async def partner_names(work: Work, group_id: int, person_id: int) -> str:
    return ", ".join(m.name for m in await partners(work, group_id, person_id))


def start_step(dialog: Dialog, now: datetime, step: str, **data: object) -> None:
    dialog.reset()
    dialog.go(step, since=now.isoformat(), **data)


def group_buttons(ctx: Ctx, action: str, seats: list[tuple[Member, Group]]) -> list[Choice]:
    return [Choice(f"cmp:{action}:{g.id}", g.name[:64]) for _, g in seats]
