"""Before and after a meeting: the reminders, and "did you meet?".

A reminder goes out unless the group is paused; the check after a meeting asks
whether it took place, and a yes tells the other flows (the ``meeting_held``
hook: feedback, reflection, health)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.flows import attention
from bot.flows.meeting_basics import (
    CHECK_ANSWERS,
    CONV,
    active_meeting,
    advance_series,
    details,
    next_meeting,
    online_link,
    paused,
    people_of,
    read_back_single,
)
from bot.store.db import from_db, to_db
from bot.store.inserts import dialect_of, upsert_statement
from bot.store.jobs import gathered
from bot.store.models import (
    Group,
    Job,
    Meeting,
    MeetingCheck,
    Member,
    Person,
    Rhythm,
)
from bot.time import formatting as timefmt

CHECKS: Table = MeetingCheck.__table__  # type: ignore[assignment]

#: a reminder this many hours before the meeting, or fewer, uses the "almost time" wording
SOON_HOURS = 3


async def remind(work: Work, job: Job) -> None:
    found = await active_meeting(work, job)
    if found is None or paused(found[1], work.now):
        return
    meeting, group = found
    if not await attention.may_send(work, group):
        return  # the pair stopped answering: no reminders until one of them is back
    # The last reminder before a meeting says it is close and invites an agenda point.
    soon = float(job.payload.get("hours", 24)) <= SOON_HOURS
    link = online_link(group, meeting)
    for seat, person in await people_of(work, group.id):
        text = work.t_for(
            person.language,
            "meetings.reminder_soon" if soon else "meetings.reminder",
            details=details(work, meeting, person, single=True),
        )
        if link:
            text += "\n" + work.t_for(person.language, "meetings.link.in_reminder", link=link)
        text = "\n\n".join([text, *await before_meeting(work, meeting, person)])
        await work.tell(person.id, Reply(text), key=f"job:{job.id}:{seat.id}")


async def before_meeting(work: Work, meeting: Meeting, person: Person) -> list[str]:
    """What other flows add to a message before a meeting (the open next steps)."""
    extra = []
    for hook in work.flows.before_meeting if work.flows else []:
        found = await hook(work, meeting, person)
        if found:
            extra.append(found)
    return extra


async def check(work: Work, job: Job) -> None:
    found = await active_meeting(work, job)
    if found is None:
        return
    meeting, group = found
    if not paused(group, work.now) and await attention.may_send(work, group):
        await attention.record_prompt(work, group.id, "meeting")
        for seat, person in await people_of(work, group.id):
            lang = person.language
            choices = tuple(
                Choice(f"mtg:{meeting.id}:met:{a}", work.t_for(lang, f"meetings.buttons.met_{a}"))
                for a in CHECK_ANSWERS
            )
            await work.tell(
                person.id,
                Reply(
                    work.t_for(
                        lang, "meetings.did_you_meet", when=read_back_single(work, meeting, person)
                    ),
                    choices,
                ),
                key=f"job:{job.id}:{seat.id}",
            )
    meeting.status = "awaiting"  # waiting for answers; the series moves on regardless
    await advance_series(work, meeting, group)


async def met(ctx: Ctx, meeting: Meeting, group: Group, seat: Member, answer: str) -> None:
    if meeting.status not in ("awaiting", "held", "missed", "planned"):
        ctx.say("basics.stale_button", private=True)
        return
    if ctx.now < from_db(meeting.starts_at):
        # the state decides, not the id: a meeting cannot have happened before it starts
        ctx.say("meetings.not_started_yet", private=True)
        return
    # the member's answer, replacing an earlier one: one upsert by the row's key
    stamp = to_db(ctx.now)
    await ctx.session.execute(
        upsert_statement(CHECKS, dialect_of(ctx.session)),
        {"meeting_id": meeting.id, "member_id": seat.id, "answer": answer, "answered_at": stamp},
    )
    held = ctx.session.sync_session.identity_map.get(
        identity_key(MeetingCheck, (meeting.id, seat.id))
    )
    if held is not None:  # a copy the session holds now says what the database says
        set_committed_value(held, "answer", answer)
        set_committed_value(held, "answered_at", stamp)
    answers = set(
        await ctx.session.scalars(
            select(MeetingCheck.answer).where(MeetingCheck.meeting_id == meeting.id)
        )
    )
    was_held = meeting.status == "held"
    meeting.status = (
        "held" if "yes" in answers else "cancelled" if answers == {"cancelled"} else "missed"
    )
    ctx.say(f"meetings.met_thanks.{answer}", replace=True)
    for answered in ctx.flows.meeting_answered if ctx.flows else []:
        await answered(ctx, meeting)  # surveys that waited for this answer may come now
    if answer == "yes" and not was_held:
        # the jobs the hooks plan (reflection, health, the match question) go
        # in one statement at the end: none of the hooks reads a pending one
        async with gathered(ctx.session):
            for hook in ctx.flows.meeting_held if ctx.flows else []:
                await hook(ctx, meeting)
    if meeting.rrule or group.kind == "circle":
        return  # a series goes on by itself; a circle picks its next time with /poll
    # a one-off meeting: time to book the next one, in the agreed rhythm
    if await next_meeting(ctx, group.id, ("planned", "proposed")) is None:
        dialog = await ctx.dialog(CONV)
        dialog.reset()
        dialog.go("when", group_id=group.id)
        rhythm = await ctx.session.get(Rhythm, group.id)
        if rhythm is not None:
            around = from_db(meeting.starts_at) + timedelta(days=rhythm.frequency_days)
            ctx.say(
                "meetings.book_next",
                around=timefmt.when(ctx.content, ctx.lang, around, ctx.person.timezone).rsplit(
                    " ", 2
                )[0],
            )
        else:
            ctx.say("meetings.book_first")
