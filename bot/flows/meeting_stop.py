"""Meetings when a group stops or someone leaves it: cancelled, with calendar files.

:mod:`bot.organiser.lifecycle` calls the registry's ``meetings_stopping`` hook when a
member leaves, a pair is ended, or the programme closes.  Every future
meeting is cancelled (a series as a whole: the .ics carries METHOD:CANCEL
with the series' UID, so calendar apps remove every occurrence) and the
people named get the cancellation; their reminders go with it.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Work
from bot.core.types import Reply
from bot.flows.meeting_basics import details, ics
from bot.flows.registry import Flows
from bot.store.db import to_db
from bot.store.jobs import cancel_pending
from bot.store.models import Group, Meeting, Person


def register(flows: Flows) -> None:
    flows.meetings_stopping.append(on_stopping)


async def on_stopping(work: Work, group: Group, people: list[int], whole: bool) -> None:
    meetings = list(
        (
            await work.session.scalars(
                select(Meeting)
                .where(
                    Meeting.group_id == group.id,
                    Meeting.status.in_(("planned", "proposed", "option")),
                )
                .order_by(Meeting.starts_at)
            )
        ).all()
    )
    for meeting in meetings:
        booked = meeting.status == "planned"
        if whole:
            await cancel_pending(work.session, key_prefix=f"mtg:{meeting.id}:")
            meeting.status = "cancelled" if booked else "replaced"
            meeting.updated_at = to_db(work.now)
            if booked:
                meeting.sequence += 1  # a cancellation is a significant change (RFC 5546)
        if not booked:
            continue
        for person_id in people:
            person = await work.session.get(Person, person_id)
            if person is None:
                continue
            reply = Reply(
                work.t_for(
                    person.language,
                    "lifecycle.meetings_cancelled",
                    details=details(work, meeting, person),
                ),
                attachments=(ics(work, meeting, person, cancelled=True),),
            )
            await work.tell(person.id, reply, key=f"stop:{meeting.id}:{person.id}")
