"""``/pause`` and ``/resume``: a group stops its reminders until a date, then goes on.

A pause is for the whole group; the others are told, and a job resumes the
group on the day it named."""

from __future__ import annotations

from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Reply
from bot.flows.meeting_basics import (
    CONV,
    member_groups,
    people_of,
    seat_in,
    send,
)
from bot.flows.which import pick
from bot.store.db import to_db
from bot.store.jobs import cancel_pending, schedule
from bot.store.models import (
    Group,
    Job,
    Member,
)
from bot.time import formatting as timefmt


async def pause_command(ctx: Ctx, args: str) -> None:
    groups = await member_groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = await pick(ctx, "pause", args, groups)
    if group is None:
        return
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go("pause_until", group_id=group.id)
    if args.strip():
        seat = await seat_in(ctx, group.id)
        assert seat is not None
        await pause_text(ctx, dialog, group, seat, args)
        return
    ctx.say("meetings.pause_ask")


async def pause_text(ctx: Ctx, dialog: Dialog, group: Group, seat: Member, message: str) -> None:
    # the date grammars load after ready (bot.cli's warm-up), or here on first use
    from bot.time.parsing import OneOff, ParseFailure, parse_when

    result = parse_when(message, now=ctx.now, tz=ctx.person.timezone, lang=ctx.lang)
    if not isinstance(result, OneOff):
        reason = result.reason if isinstance(result, ParseFailure) else "ambiguous"
        ctx.say(f"meetings.parse.{reason}")
        return
    dialog.reset()
    until = result.start
    group.status = "paused"
    group.paused_until = to_db(until)
    await cancel_pending(ctx.session, key_prefix=f"resume:{group.id}:")
    await schedule(
        ctx.session,
        "group_resume",
        until,
        key=f"resume:{group.id}:{until.isoformat()}",
        group_id=group.id,
        payload={"since": ctx.now.isoformat()},
    )
    for other, person in await people_of(ctx, group.id):
        day = timefmt.day(ctx.content, person.language, until, person.timezone)
        key = "meetings.paused_self" if other.id == seat.id else "meetings.paused_other"
        reply = Reply(ctx.t_for(person.language, key, until=day, name=seat.name))
        await send(ctx, person, reply, key=f"pause:{group.id}:{until.isoformat()}:{other.id}")


async def resume_command(ctx: Ctx, args: str) -> None:
    groups = [g for g in await member_groups(ctx) if g.status == "paused"]
    if not groups:
        ctx.say("meetings.not_paused")
        return
    group = await pick(ctx, "resume", args, groups)
    if group is None:
        return
    seat = await seat_in(ctx, group.id)
    await cancel_pending(ctx.session, key_prefix=f"resume:{group.id}:")
    await _resume(ctx, group, seat.name if seat else "")


async def resume_job(work: Work, job: Job) -> None:
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    if group is not None and group.status == "paused":
        await _resume(work, group, "")


async def _resume(work: Work, group: Group, by: str) -> None:
    group.status = "active"
    group.paused_until = None
    for seat, person in await people_of(work, group.id):
        reply = Reply(work.t_for(person.language, "meetings.resumed"))
        await send(work, person, reply, key=f"resume:{group.id}:{work.now.isoformat()}:{seat.id}")
