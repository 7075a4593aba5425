"""Scheduling meetings, reminders, "did you meet?", pauses (guide section 5).

Times are typed in free text, Swedish or English, and read back to each
member in their own zone and language; the others accept or propose another
time.  A booked meeting plans its own reminders (default 24 h and 1 h before)
and a "did you meet?" check after it; a recurring one rolls on to its next
occurrence.  Every booking and change sends an .ics file.  ``/pause`` stops
reminders until a date; skipping one meeting is fine and says so.

This module books meetings (typed times, proposals, the buttons) and answers
``/next``, ``/reschedule`` and ``/cancel``; ``meeting_basics`` reads meetings
back and rolls series on, ``meeting_checks`` sends reminders and "did you
meet?", ``meeting_pause`` handles ``/pause`` and ``/resume``.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Select, bindparam, select

from bot.core.choice_ids import parse_id
from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows.meeting_basics import (
    CHECK_ANSWERS,
    CONV,
    advance_series,
    details,
    ics,
    member_groups,
    next_meeting,
    people_of,
    plan_jobs,
    read_back,
    send,
    set_dialog_for,
)
from bot.flows.meeting_checks import check, met, remind
from bot.flows.meeting_link import link_command
from bot.flows.meeting_pause import pause_command, pause_text, resume_command, resume_job
from bot.flows.registry import Flows
from bot.flows.which import pick
from bot.store.db import from_db, to_db
from bot.store.groups import group_and_programme, group_and_seat
from bot.store.jobs import cancel_pending
from bot.store.models import (
    DialogState,
    Group,
    Meeting,
    Member,
    Person,
    Programme,
    Rhythm,
)
from bot.time.calendar import series_until
from bot.wording import join_names

if TYPE_CHECKING:
    from bot.time.parsing import OneOff, ParseFailure, Recurring

TIME_ONLY = re.compile(
    r"^\s*(?:kl\.?|at)?\s*(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?\s*$", re.I
)


def register(flows: Flows) -> None:
    add = flows.commands.add
    add(CommandSpec("next", next_command))
    add(CommandSpec("reschedule", reschedule_command, where=DM))
    add(CommandSpec("cancel", cancel_command, where=DM))
    add(CommandSpec("pause", pause_command, args="until", where=DM))
    add(CommandSpec("resume", resume_command, where=DM))
    add(CommandSpec("link", link_command, args="url"))
    flows.on_choice("mtg", choose)
    flows.on_text(CONV, text)
    flows.on_job("mtg_remind", remind)
    flows.on_job("mtg_check", check)
    flows.on_job("group_resume", resume_job)
    flows.rhythm_agreed.append(_first_meeting_after_rhythm)


# -- booking -----------------------------------------------------------------
async def _first_meeting_after_rhythm(ctx: Ctx, group: Group, _member: Member) -> None:
    await ask_first_meeting(ctx, group)


async def ask_first_meeting(ctx: Ctx, group: Group) -> None:
    """After the rhythm is agreed: everybody may now propose the first meeting."""
    if await next_meeting(ctx, group.id, ("planned", "proposed")) is not None:
        return
    for seat, person in await people_of(ctx, group.id):
        await set_dialog_for(ctx, person.id, "when", {"group_id": group.id})
        reply = Reply(ctx.t_for(person.language, "meetings.book_first"))
        await send(ctx, person, reply, key=f"mtg:first:{group.id}:{seat.id}")


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    # the date grammars load after ready (bot.cli's warm-up), or here on first use
    from bot.time.parsing import OneOff, ParseFailure, parse_when

    group_id = int(dialog.data.get("group_id", 0))
    group, seat = await group_and_seat(ctx.session, group_id, ctx.person.id)  # one query
    if seat is None or group is None:
        dialog.reset()
        ctx.say("basics.fallback")
        return
    if dialog.step == "pause_until":
        await pause_text(ctx, dialog, group, seat, message)
        return
    result: OneOff | Recurring | ParseFailure
    if dialog.step == "time":
        result = _with_typed_time(ctx, dialog, message)
    elif dialog.step == "day":
        result = _with_typed_day(ctx, dialog, message)
    else:
        result = parse_when(message, now=ctx.now, tz=ctx.person.timezone, lang=ctx.lang)
    if isinstance(result, ParseFailure):
        if result.reason == "missing_day":  # keep the rule, ask only for its day
            dialog.go("day", rule=str(dialog.data.get("rule") or message)[:200])
        ctx.say(f"meetings.parse.{result.reason}")
        return
    if not result.has_time:
        partial = (
            {"start": result.start.isoformat()}
            if isinstance(result, OneOff)
            else {"first": result.first.isoformat(), "rrule": result.rrule, "tz": result.tz}
        )
        dialog.go("time", partial=partial)
        ctx.say("meetings.ask_time")
        return
    replaces = dialog_replaces(dialog)  # read before the reset clears the dialog's data
    dialog.reset()
    await propose(ctx, group, seat, result, replaces=replaces)


def dialog_replaces(dialog: Dialog) -> int | None:
    value = dialog.data.get("replaces")
    return int(value) if isinstance(value, int) else None


def _with_typed_day(ctx: Ctx, dialog: Dialog, message: str) -> OneOff | Recurring | ParseFailure:
    """After "varannan vecka kl 15" the bot asked which day: read the rule
    with the typed day ("tisdagar"); a whole new time is read on its own."""
    from bot.time.parsing import ParseFailure, parse_when

    rule = str(dialog.data.get("rule") or "")
    tz, lang = ctx.person.timezone, ctx.lang
    combined = parse_when(f"{rule} {message}", now=ctx.now, tz=tz, lang=lang)
    if not isinstance(combined, ParseFailure) or combined.reason == "missing_day":
        return combined
    return parse_when(message, now=ctx.now, tz=tz, lang=lang)


def _with_typed_time(ctx: Ctx, dialog: Dialog, message: str) -> OneOff | Recurring | ParseFailure:
    from bot.time.parsing import OneOff, ParseFailure, Recurring, occurrences, parse_when, with_time

    match = TIME_ONLY.match(message)
    partial = dialog.data.get("partial") or {}
    if not match or not partial:  # a whole new time instead of just the hour
        return parse_when(message, now=ctx.now, tz=ctx.person.timezone, lang=ctx.lang)
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if (match["ampm"] or "").lower() == "pm" and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return ParseFailure("unparseable")
    base: OneOff | Recurring
    if "rrule" in partial:
        base = Recurring(
            datetime.fromisoformat(partial["first"]), partial["rrule"], partial["tz"], False
        )
    else:
        base = OneOff(datetime.fromisoformat(partial["start"]), False)
    result = with_time(base, hour, minute, ctx.person.timezone)
    start = result.start if isinstance(result, OneOff) else result.first
    if isinstance(result, Recurring) and start <= ctx.now:
        following = occurrences(result, after=ctx.now, count=1)
        if not following:
            return ParseFailure("past")
        result = Recurring(following[0], result.rrule, result.tz, True)
    elif start <= ctx.now:
        return ParseFailure("past")
    return result


async def propose(
    ctx: Ctx, group: Group, seat: Member, result: OneOff | Recurring, *, replaces: int | None
) -> None:
    from bot.time.parsing import OneOff, Recurring

    rhythm = await ctx.session.get(Rhythm, group.id)
    _, programme = await group_and_programme(ctx.session, group.id)
    old = await ctx.session.get(Meeting, replaces) if replaces else None
    for stale in await ctx.session.scalars(
        select(Meeting).where(Meeting.group_id == group.id, Meeting.status == "proposed")
    ):
        stale.status = "replaced"
    start = result.start if isinstance(result, OneOff) else result.first
    rule = result.rrule if isinstance(result, Recurring) else None
    data: dict[str, object] = {"accepted": [seat.id], "replaces": old.id if old else None}
    if old is not None and old.rrule and rule is None:
        # A one-off time for a series moves just this occurrence: in calendars an
        # override of that instance (RECURRENCE-ID), while the series goes on.
        data["recurrence_id"] = old.data.get("recurrence_id") or from_db(old.starts_at).isoformat()
        data["series_tz"] = old.tz
    elif old is not None and not old.rrule and old.data.get("recurrence_id"):
        data["recurrence_id"] = old.data["recurrence_id"]  # moving a moved occurrence again
        data["series_tz"] = old.data.get("series_tz", old.tz)
    if rule is not None:
        data["until"] = series_until(
            programme.end_date, result.tz if isinstance(result, Recurring) else ctx.person.timezone
        )
    series = old.series_uid if old is not None else uuid.uuid4().hex
    meeting = Meeting(
        group_id=group.id,
        uid=uuid.uuid4().hex,
        series_uid=series,
        starts_at=to_db(start),
        minutes=rhythm.minutes if rhythm else programme.max_minutes,
        mode=rhythm.mode if rhythm else programme.mode,
        rrule=rule,
        tz=result.tz if isinstance(result, Recurring) else ctx.person.timezone,
        status="proposed",
        proposed_by=seat.id,
        sequence=(old.sequence + 1) if old is not None else 0,
        data=data,
        created_at=to_db(ctx.now),
        updated_at=to_db(ctx.now),
    )
    ctx.session.add(meeting)
    await ctx.session.flush()
    members = await people_of(ctx, group.id)
    others = [(s, p) for s, p in members if s.id != seat.id]
    if not others:
        await plan(ctx, meeting, group)
        return
    ctx.say(
        "meetings.proposed",
        when=read_back(ctx, meeting, ctx.person),
        names=join_names(ctx.lang, [s.name for s, _ in others]),
        zone=ctx.person.timezone,
    )
    for other, person in others:
        lang = person.language
        reply = Reply(
            ctx.t_for(
                lang, "meetings.proposal", name=seat.name, when=details(ctx, meeting, person)
            ),
            (
                Choice(f"mtg:{meeting.id}:accept", ctx.t_for(lang, "meetings.buttons.accept")),
                Choice(f"mtg:{meeting.id}:other", ctx.t_for(lang, "meetings.buttons.other")),
            ),
        )
        await ctx.tell(person.id, reply, key=f"mtg:{meeting.id}:proposal:{other.id}")


async def plan(
    work: Work,
    meeting: Meeting,
    group: Group,
    members: list[tuple[Member, Person]] | None = None,
) -> None:
    """Book ``meeting``: reminders, the check after it, hooks, and an .ics to everyone.

    ``members``: the group's seats with their people, when the caller has
    just read them (booking changes no seat)."""
    meeting.status = "planned"
    meeting.updated_at = to_db(work.now)
    replaced = meeting.data.get("replaces")
    if replaced:
        old = await work.session.get(Meeting, int(replaced))
        if old is not None and old.status == "planned":
            old.status = "rescheduled"
            await cancel_pending(work.session, key_prefix=f"mtg:{old.id}:")
            if old.rrule and not meeting.rrule:
                await advance_series(work, old, group)  # only one occurrence moved
    await plan_jobs(work, meeting, group)
    if members is None:
        members = await people_of(work, group.id)
    await _close_time_questions(work, group, members)
    for seat, person in members:
        key = "meetings.rescheduled" if replaced else "meetings.booked"
        reply = Reply(
            work.t_for(person.language, key, details=details(work, meeting, person)),
            attachments=(await ics(work, meeting, person),),
        )
        await send(work, person, reply, key=f"mtg:{meeting.id}:booked:{seat.id}")


async def _close_time_questions(
    work: Work, group: Group, members: list[tuple[Member, Person]]
) -> None:
    """A booked meeting answers "when do we meet?" for everyone: a member who was
    asked (and never answered) must not have later chat read as a time."""
    for _seat, person in members:
        row = await work.session.get(DialogState, (person.id, CONV))
        if row is None or row.step not in ("when", "day"):
            continue
        if row.data.get("group_id") == group.id:
            await work.set_dialog_of(person.id, CONV, None, {})


# -- buttons -----------------------------------------------------------------
@cache
def _meeting_group_seat() -> Select[Meeting, Group, Programme, Member]:
    """A pressed meeting with its group, its programme (booking and "we met"
    read its settings) and the presser's seat, in one query."""
    return (
        select(Meeting, Group, Programme, Member)
        .join(Group, Group.id == Meeting.group_id)
        .join(Programme, Programme.id == Group.programme_id)
        .outerjoin(
            Member,
            (Member.group_id == Meeting.group_id)
            & (Member.person_id == bindparam("person_id"))
            & Member.left_at.is_(None),
        )
        .where(Meeting.id == bindparam("meeting_id"))
    )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    meeting_id = parse_id(parts[0]) if len(parts) >= 2 else None
    if meeting_id is None:
        ctx.say("basics.stale_button", private=True)
        return
    params = {"meeting_id": meeting_id, "person_id": ctx.person.id}
    row = (await ctx.session.execute(_meeting_group_seat(), params)).first()
    if row is None or row[3] is None:
        ctx.say("basics.not_yours", private=True)
        return
    meeting, group, _programme, seat = row
    action = parts[1:]
    if action == ["accept"] and meeting.status == "proposed":
        # the seats first: the meeting's changes then go in one UPDATE
        members = await people_of(ctx, group.id)
        accepted = list(meeting.data.get("accepted", []))
        if seat.id not in accepted:
            accepted.append(seat.id)
        meeting.data = {**meeting.data, "accepted": accepted}
        if all(s.id in accepted for s, _ in members):
            before = len(ctx.replies)
            await plan(ctx, meeting, group, members)
            if len(ctx.replies) > before:  # "booked" takes the place of the proposal
                booked = ctx.replies[before]
                ctx.replies[before] = dataclasses.replace(
                    booked, reply=dataclasses.replace(booked.reply, replace=True)
                )
        else:
            ctx.say("meetings.accepted_waiting", replace=True)
    elif action == ["other"] and meeting.status == "proposed":
        dialog = await ctx.dialog(CONV)
        dialog.reset()
        dialog.go("when", group_id=group.id, replaces=meeting.data.get("replaces"))
        ctx.say("meetings.ask_other", replace=True)
    elif len(action) == 2 and action[0] == "met" and action[1] in CHECK_ANSWERS:
        await met(ctx, meeting, group, seat, action[1])
    elif action == ["cancel", "one"] and meeting.status == "planned":
        await skip_one(ctx, meeting, group)
    elif action == ["cancel", "all"] and meeting.status == "planned":
        await cancel_all(ctx, meeting, group)
    elif action == ["cancel", "keep"]:
        ctx.say("meetings.kept", replace=True)
    else:
        ctx.say("basics.stale_button", private=True)


# -- commands ----------------------------------------------------------------


async def next_command(ctx: Ctx, args: str) -> None:
    groups = await member_groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = await pick(ctx, "next", args, groups)
    if group is None:
        return
    meeting = await next_meeting(ctx, group.id)
    if meeting is None:
        ctx.say("meetings.none_planned")
        return
    ctx.reply(
        ctx.t("meetings.next", details=details(ctx, meeting, ctx.person)),
        attachments=(await ics(ctx, meeting, ctx.person),),
    )


async def reschedule_command(ctx: Ctx, args: str) -> None:
    groups = await member_groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = await pick(ctx, "reschedule", args, groups)
    if group is None:
        return
    meeting = await next_meeting(ctx, group.id)
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go("when", group_id=group.id, replaces=meeting.id if meeting else None)
    if meeting is not None:
        ctx.say("meetings.ask_new_time")
        return
    earlier = await ctx.session.scalar(
        select(Meeting.id).where(Meeting.group_id == group.id).limit(1)
    )  # "your first meeting" only when there was none
    ctx.say("meetings.book_again" if earlier is not None else "meetings.book_first")


async def cancel_command(ctx: Ctx, args: str) -> None:
    groups = await member_groups(ctx)
    group = await pick(ctx, "cancel", args, groups) if groups else None
    if groups and group is None:
        return  # asked which
    meeting = await next_meeting(ctx, group.id) if group else None
    if meeting is None:
        ctx.say("meetings.none_planned")
        return
    choices = [ctx.choice(f"mtg:{meeting.id}:cancel:one", "meetings.buttons.cancel_one")]
    if meeting.rrule:
        choices.append(ctx.choice(f"mtg:{meeting.id}:cancel:all", "meetings.buttons.cancel_all"))
    choices.append(ctx.choice(f"mtg:{meeting.id}:cancel:keep", "meetings.buttons.keep"))
    ctx.say("meetings.cancel_ask", choices, details=details(ctx, meeting, ctx.person))


async def skip_one(ctx: Ctx, meeting: Meeting, group: Group) -> None:
    """Cancel the next meeting only; a series rolls on to its next occurrence."""
    await cancel_pending(ctx.session, key_prefix=f"mtg:{meeting.id}:")
    meeting.status = "cancelled"
    # A new EXDATE or a cancellation is a significant change (RFC 5546 2.1.4):
    # calendars only apply it when the SEQUENCE goes up.
    meeting.sequence += 1
    successor = None
    if meeting.rrule:
        exdates = [*meeting.data.get("exdates", []), from_db(meeting.starts_at).isoformat()]
        meeting.data = {**meeting.data, "exdates": exdates}
        successor = await advance_series(ctx, meeting, group, plan_it=False)
    for seat, person in await people_of(ctx, group.id):
        if successor is not None:
            reply = Reply(
                ctx.t_for(
                    person.language,
                    "meetings.skipped_series",
                    details=details(ctx, successor, person, single=True),
                ),
                attachments=(await ics(ctx, successor, person),),
            )
        else:
            reply = Reply(
                ctx.t_for(person.language, "meetings.skipped"),
                attachments=(await ics(ctx, meeting, person, cancelled=True),),
            )
        await send(ctx, person, reply, key=f"mtg:{meeting.id}:skipped:{seat.id}")
    if successor is not None:
        await plan_jobs(ctx, successor, group)


async def cancel_all(ctx: Ctx, meeting: Meeting, group: Group) -> None:
    await cancel_pending(ctx.session, key_prefix=f"mtg:{meeting.id}:")
    meeting.status = "cancelled"
    meeting.sequence += 1
    for seat, person in await people_of(ctx, group.id):
        reply = Reply(
            ctx.t_for(person.language, "meetings.cancelled_all"),
            attachments=(await ics(ctx, meeting, person, cancelled=True),),
        )
        await send(ctx, person, reply, key=f"mtg:{meeting.id}:cancelled:{seat.id}")
