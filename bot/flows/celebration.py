"""At the programme's end: a celebration, and an acknowledgement for every mentor.

Guide section 8: being a mentor is worth something -- reflection, leadership,
coaching and communication practised for months.  When the programme closes
(the registry's ``group_closing`` hook, run by :mod:`bot.flows.closing`
before the final evaluation's questions) a group that met at least once hears
what it achieved: how many meetings between which dates, and how many of its
next steps were ticked off.  Each mentor also gets a small document to keep
or show, naming the programme, the period and the number of meetings held
(:mod:`bot.flows.acknowledgement`).  A group that never met is not praised
for meetings; the final evaluation's own words cover it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.context import Work
from bot.core.types import Attachment, Reply
from bot.flows.acknowledgement import acknowledgement, meetings_held
from bot.flows.registry import Flows
from bot.store.groups import seats_with_people
from bot.store.models import Group, Programme
from bot.store.steps_model import NextStep
from bot.wording import plural, prose_date

#: groups whose members are still together at the end: the ones that celebrate
TOGETHER = ("active", "paused")


def register(flows: Flows) -> None:
    flows.group_closing.append(celebrate)


async def celebrate(work: Work, group: Group) -> None:
    programme = await work.session.get(Programme, group.programme_id)
    if programme is None:
        return
    members = await seats_with_people(work.session, group.id)
    held = await meetings_held(work, group.id)
    if held == 0:
        return
    done = int(
        await work.session.scalar(
            select(func.count(NextStep.id)).where(
                NextStep.group_id == group.id, NextStep.status == "done"
            )
        )
        or 0
    )
    mentees = sum(1 for s, _ in members if s.role == "mentee")
    for seat, person in members:
        if person.unreachable_at is not None:
            continue
        lang = person.language
        parts: list[str] = []
        if group.status in TOGETHER:
            parts.append(
                work.t_for(
                    lang,
                    "last_meeting.celebration.head",
                    programme=programme.name,
                    start=prose_date(lang, programme.start_date),
                    end=prose_date(lang, programme.end_date),
                    meetings=plural(work.content, lang, "last_meeting.meetings", held),
                )
            )
            if done:
                parts.append(plural(work.content, lang, "last_meeting.celebration.steps", done))
            parts.append(work.t_for(lang, f"last_meeting.celebration.{seat.role}"))
        attachments: tuple[Attachment, ...] = ()
        if seat.role == "mentor":
            own = await meetings_held(work, group.id, since=seat.joined_at)
            if own:
                key = "last_meeting.acknowledgement." + ("attached" if parts else "attached_alone")
                parts.append(work.t_for(lang, key, programme=programme.name))
                attachments = (
                    acknowledgement(work, lang, programme, seat, group.kind, own, mentees),
                )
        if parts:
            reply = Reply("\n\n".join(parts), attachments=attachments)
            await work.tell(person.id, reply, key=f"celebrate:{group.id}:{seat.id}")
