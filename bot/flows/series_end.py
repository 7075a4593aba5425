"""Recurring meetings follow the programme's end when ``program update`` moves it.

Every booked series of the programme gets the new UNTIL and a higher SEQUENCE,
and its members get the updated calendar file, so the series stops in their
calendars exactly when the programme does.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Work
from bot.core.types import Reply
from bot.flows.meeting_basics import details, ics, people_of
from bot.flows.registry import Flows
from bot.organiser.lifecycle import OPEN
from bot.store.db import to_db
from bot.store.models import Group, Meeting, Programme
from bot.time.calendar import series_until


def register(flows: Flows) -> None:
    flows.programme_dates.append(move_until)


async def move_until(work: Work, programme: Programme) -> None:
    rows = await work.session.scalars(
        select(Meeting)
        .join(Group, Group.id == Meeting.group_id)
        .where(
            Group.programme_id == programme.id,
            Group.status.in_(OPEN),
            Meeting.status == "planned",
            Meeting.rrule.is_not(None),
        )
        .order_by(Meeting.id)
    )
    for meeting in list(rows):
        until = series_until(programme.end_date, meeting.tz)
        if meeting.data.get("until") == until:
            continue
        meeting.data = {**meeting.data, "until": until}
        meeting.sequence += 1
        meeting.updated_at = to_db(work.now)
        for seat, person in await people_of(work, meeting.group_id):
            reply = Reply(
                work.t_for(person.language, "lifecycle.until_moved", end=programme.end_date)
                + "\n"
                + details(work, meeting, person),
                attachments=(ics(work, meeting, person),),
            )
            await work.tell(person.id, reply, key=f"until:{meeting.id}:{until}:{seat.id}")
