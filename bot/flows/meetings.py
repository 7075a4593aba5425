"""Scheduling meetings, reminders, "did you meet?", pauses (guide section 5).

Times are typed in free text, Swedish or English, and read back to each
member in their own zone and language; the others accept or propose another
time.  A booked meeting plans its own reminders (default 24 h and 1 h before)
and a "did you meet?" check after it; a recurring one rolls on to its next
occurrence.  Every booking and change sends an .ics file.  ``/pause`` stops
reminders until a date; skipping one meeting is fine and says so.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Attachment, Choice, Reply
from bot.flows.registry import Flows
from bot.store.db import from_db, to_db
from bot.store.groups import group_and_programme, memberships, seats_with_people
from bot.store.jobs import cancel_pending, schedule
from bot.store.models import (
    DialogState,
    Group,
    Job,
    Meeting,
    MeetingCheck,
    Member,
    Person,
    Rhythm,
)
from bot.time import formatting as timefmt
from bot.time.calendar import meeting_ics
from bot.time.parsing import OneOff, ParseFailure, Recurring, occurrences, parse_when, with_time

CONV = "meeting"
DEFAULT_REMINDER_HOURS = (24, 1)
CHECK_ANSWERS = ("yes", "no", "moved", "cancelled")
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
    flows.on_choice("mtg", choose)
    flows.on_text(CONV, text)
    flows.on_job("mtg_remind", remind)
    flows.on_job("mtg_check", check)
    flows.on_job("group_resume", resume_job)
    flows.rhythm_agreed.append(_first_meeting_after_rhythm)


# -- helpers -----------------------------------------------------------------
async def set_dialog_for(
    work: Work, person_id: int, step: str | None, data: dict[str, object]
) -> None:
    """Put a member's meeting dialog at ``step`` (e.g. "type a time")."""
    await work.set_dialog_of(person_id, CONV, step, dict(data))


async def seat_in(ctx: Ctx, group_id: int) -> Member | None:
    return await ctx.session.scalar(
        select(Member).where(
            Member.group_id == group_id, Member.person_id == ctx.person.id, Member.left_at.is_(None)
        )
    )


async def people_of(work: Work, group_id: int) -> list[tuple[Member, Person]]:
    return await seats_with_people(work.session, group_id)


def read_back(work: Work, meeting: Meeting, person: Person) -> str:
    at = timefmt.when(work.content, person.language, from_db(meeting.starts_at), person.timezone)
    if meeting.rrule:
        rule = timefmt.describe_rule(work.content, person.language, meeting.rrule)
        return work.t_for(person.language, "meetings.series", rule=rule, first=at)
    return at


def details(work: Work, meeting: Meeting, person: Person, *, single: bool = False) -> str:
    """Time, zone, length and mode; ``single`` names just this occurrence of a series
    (a reminder is about one meeting, not about when the series started)."""
    return work.t_for(
        person.language,
        "meetings.details",
        when=(read_back_single if single else read_back)(work, meeting, person),
        minutes=meeting.minutes,
        mode=work.t_for(person.language, f"agreement.mode.{meeting.mode}"),
        zone=person.timezone,
    )


def ics(work: Work, meeting: Meeting, person: Person, *, cancelled: bool = False) -> Attachment:
    lang = person.language
    data = meeting_ics(
        meeting,
        summary=work.t_for(lang, "meetings.ics.summary"),
        description=work.t_for(
            lang,
            "meetings.ics.description",
            minutes=meeting.minutes,
            mode=work.t_for(lang, f"agreement.mode.{meeting.mode}"),
        ),
        now=work.now,
        cancelled=cancelled,
    )
    return Attachment(work.t_for(lang, "meetings.ics.filename"), data, "text/calendar")


async def next_meeting(
    work: Work, group_id: int, statuses: tuple[str, ...] = ("planned",)
) -> Meeting | None:
    return await work.session.scalar(
        select(Meeting)
        .where(Meeting.group_id == group_id, Meeting.status.in_(statuses))
        .order_by(Meeting.starts_at)
        .limit(1)
    )


async def send(ctx: Work, person: Person, reply: Reply, key: str) -> None:
    """Reply directly when ``person`` is the sender of the event, else via the outbox."""
    if isinstance(ctx, Ctx) and person.id == ctx.person.id and not ctx.in_group:
        ctx.replies.append(ctx.out(reply))
    else:
        await ctx.tell(person.id, reply, key=key)


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
    group_id = int(dialog.data.get("group_id", 0))
    seat = await seat_in(ctx, group_id)
    group = await ctx.session.get(Group, group_id)
    if seat is None or group is None:
        dialog.reset()
        ctx.say("basics.fallback")
        return
    if dialog.step == "pause_until":
        await _pause_text(ctx, dialog, group, seat, message)
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
    rule = str(dialog.data.get("rule") or "")
    tz, lang = ctx.person.timezone, ctx.lang
    combined = parse_when(f"{rule} {message}", now=ctx.now, tz=tz, lang=lang)
    if not isinstance(combined, ParseFailure) or combined.reason == "missing_day":
        return combined
    return parse_when(message, now=ctx.now, tz=tz, lang=lang)


def _with_typed_time(ctx: Ctx, dialog: Dialog, message: str) -> OneOff | Recurring | ParseFailure:
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
        names=", ".join(s.name for s, _ in others),
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


async def plan(work: Work, meeting: Meeting, group: Group) -> None:
    """Book ``meeting``: reminders, the check after it, hooks, and an .ics to everyone."""
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
    await _close_time_questions(work, group)
    for seat, person in await people_of(work, group.id):
        key = "meetings.rescheduled" if replaced else "meetings.booked"
        reply = Reply(
            work.t_for(person.language, key, details=details(work, meeting, person)),
            attachments=(ics(work, meeting, person),),
        )
        await send(work, person, reply, key=f"mtg:{meeting.id}:booked:{seat.id}")


async def _close_time_questions(work: Work, group: Group) -> None:
    """A booked meeting answers "when do we meet?" for everyone: a member who was
    asked (and never answered) must not have later chat read as a time."""
    for _seat, person in await people_of(work, group.id):
        row = await work.session.get(DialogState, (person.id, CONV))
        waiting = row is not None and row.step in ("when", "day")
        if waiting and row.data.get("group_id") == group.id:
            await work.set_dialog_of(person.id, CONV, None, {})


async def plan_jobs(work: Work, meeting: Meeting, group: Group) -> None:
    _, programme = await group_and_programme(work.session, group.id)
    start = from_db(meeting.starts_at)
    hours = programme.settings.get("reminder_hours", list(DEFAULT_REMINDER_HOURS))
    for h in hours:
        due = start - timedelta(hours=float(h))
        if due > work.now:
            await schedule(
                work.session,
                "mtg_remind",
                due,
                key=f"mtg:{meeting.id}:remind:{h}",
                group_id=group.id,
                payload={"meeting_id": meeting.id, "hours": h},
            )
    await schedule(
        work.session,
        "mtg_check",
        start + timedelta(minutes=meeting.minutes),
        key=f"mtg:{meeting.id}:check",
        group_id=group.id,
        payload={"meeting_id": meeting.id},
    )
    for hook in work.flows.meeting_planned if work.flows else []:
        await hook(work, meeting)


# -- buttons -----------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) < 2 or not parts[0].isdigit():
        ctx.say("basics.stale_button", private=True)
        return
    meeting = await ctx.session.get(Meeting, int(parts[0]))
    seat = await seat_in(ctx, meeting.group_id) if meeting else None
    if meeting is None or seat is None:
        ctx.say("basics.not_yours", private=True)
        return
    group = await ctx.session.get(Group, meeting.group_id)
    assert group is not None
    action = parts[1:]
    if action == ["accept"] and meeting.status == "proposed":
        accepted = list(meeting.data.get("accepted", []))
        if seat.id not in accepted:
            accepted.append(seat.id)
        meeting.data = {**meeting.data, "accepted": accepted}
        seats = [s for s, _ in await people_of(ctx, group.id)]
        if all(s.id in accepted for s in seats):
            before = len(ctx.replies)
            await plan(ctx, meeting, group)
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
async def _groups(ctx: Ctx) -> list[Group]:
    out = []
    for seat in await memberships(ctx.session, ctx.person.id):
        group = await ctx.session.get(Group, seat.group_id)
        if group is not None and group.status in ("active", "paused"):
            out.append(group)
    return out


async def next_command(ctx: Ctx, _args: str) -> None:
    groups = await _groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    for group in groups:
        meeting = await next_meeting(ctx, group.id)
        if meeting is None:
            ctx.say("meetings.none_planned")
            continue
        ctx.reply(
            ctx.t("meetings.next", details=details(ctx, meeting, ctx.person)),
            attachments=(ics(ctx, meeting, ctx.person),),
        )


async def reschedule_command(ctx: Ctx, _args: str) -> None:
    groups = await _groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = groups[0]
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


async def cancel_command(ctx: Ctx, _args: str) -> None:
    groups = await _groups(ctx)
    meeting = await next_meeting(ctx, groups[0].id) if groups else None
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
                attachments=(ics(ctx, successor, person),),
            )
        else:
            reply = Reply(
                ctx.t_for(person.language, "meetings.skipped"),
                attachments=(ics(ctx, meeting, person, cancelled=True),),
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
            attachments=(ics(ctx, meeting, person, cancelled=True),),
        )
        await send(ctx, person, reply, key=f"mtg:{meeting.id}:cancelled:{seat.id}")


async def advance_series(
    work: Work, meeting: Meeting, group: Group, *, plan_it: bool = True
) -> Meeting | None:
    """Create the next occurrence of a recurring meeting (skipping exdates)."""
    if not meeting.rrule:
        return None
    rule = Recurring(from_db(meeting.starts_at), meeting.rrule, meeting.tz, True)
    skipped = set(meeting.data.get("exdates", []))
    after = from_db(meeting.starts_at)
    for candidate in occurrences(rule, after=after, count=len(skipped) + 5):
        if candidate.isoformat() not in skipped:
            break
    else:
        return None
    _, programme = await group_and_programme(work.session, group.id)
    if candidate.date() > programme.end_date:
        return None
    successor = Meeting(
        group_id=group.id,
        uid=uuid.uuid4().hex,
        series_uid=meeting.series_uid,
        starts_at=to_db(candidate),
        minutes=meeting.minutes,
        mode=meeting.mode,
        rrule=meeting.rrule,
        tz=meeting.tz,
        status="planned",
        proposed_by=meeting.proposed_by,
        sequence=meeting.sequence,
        data={"exdates": sorted(skipped)},
        created_at=to_db(work.now),
        updated_at=to_db(work.now),
    )
    work.session.add(successor)
    await work.session.flush()
    if plan_it:
        await plan_jobs(work, successor, group)
    return successor


# -- jobs --------------------------------------------------------------------
async def _active_meeting(work: Work, job: Job) -> tuple[Meeting, Group] | None:
    meeting = await work.session.get(Meeting, int(job.payload["meeting_id"]))
    if meeting is None or meeting.status != "planned":
        return None
    group = await work.session.get(Group, meeting.group_id)
    if group is None or group.status not in ("active", "paused"):
        return None
    return meeting, group


#: a reminder this many hours before the meeting, or fewer, uses the "almost time" wording
SOON_HOURS = 3


def paused(group: Group, at: datetime) -> bool:
    return group.status == "paused" and (
        group.paused_until is None or from_db(group.paused_until) > at
    )


async def remind(work: Work, job: Job) -> None:
    found = await _active_meeting(work, job)
    if found is None or paused(found[1], work.now):
        return
    meeting, group = found
    # The last reminder before a meeting says it is close and invites an agenda point.
    soon = float(job.payload.get("hours", 24)) <= SOON_HOURS
    for seat, person in await people_of(work, group.id):
        await work.tell(
            person.id,
            Reply(
                work.t_for(
                    person.language,
                    "meetings.reminder_soon" if soon else "meetings.reminder",
                    details=details(work, meeting, person, single=True),
                )
            ),
            key=f"job:{job.id}:{seat.id}",
        )


async def check(work: Work, job: Job) -> None:
    found = await _active_meeting(work, job)
    if found is None:
        return
    meeting, group = found
    if not paused(group, work.now):
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


def read_back_single(work: Work, meeting: Meeting, person: Person) -> str:
    return timefmt.when(work.content, person.language, from_db(meeting.starts_at), person.timezone)


async def met(ctx: Ctx, meeting: Meeting, group: Group, seat: Member, answer: str) -> None:
    if meeting.status not in ("awaiting", "held", "missed", "planned"):
        ctx.say("basics.stale_button", private=True)
        return
    await ctx.session.execute(
        delete(MeetingCheck).where(
            MeetingCheck.meeting_id == meeting.id, MeetingCheck.member_id == seat.id
        )
    )
    ctx.session.add(
        MeetingCheck(
            meeting_id=meeting.id, member_id=seat.id, answer=answer, answered_at=to_db(ctx.now)
        )
    )
    await ctx.session.flush()
    answers = {
        c.answer
        for c in await ctx.session.scalars(
            select(MeetingCheck).where(MeetingCheck.meeting_id == meeting.id)
        )
    }
    was_held = meeting.status == "held"
    meeting.status = (
        "held" if "yes" in answers else "cancelled" if answers == {"cancelled"} else "missed"
    )
    ctx.say(f"meetings.met_thanks.{answer}", replace=True)
    if answer == "yes" and not was_held:
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


# -- pause and resume --------------------------------------------------------
async def pause_command(ctx: Ctx, args: str) -> None:
    groups = await _groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = groups[0]
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go("pause_until", group_id=group.id)
    if args.strip():
        seat = await seat_in(ctx, group.id)
        assert seat is not None
        await _pause_text(ctx, dialog, group, seat, args)
        return
    ctx.say("meetings.pause_ask")


async def _pause_text(ctx: Ctx, dialog: Dialog, group: Group, seat: Member, message: str) -> None:
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


async def resume_command(ctx: Ctx, _args: str) -> None:
    groups = [g for g in await _groups(ctx) if g.status == "paused"]
    if not groups:
        ctx.say("meetings.not_paused")
        return
    seat = await seat_in(ctx, groups[0].id)
    await cancel_pending(ctx.session, key_prefix=f"resume:{groups[0].id}:")
    await _resume(ctx, groups[0], seat.name if seat else "")


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
