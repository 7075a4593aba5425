"""People who never join: one digest to the organisers, a kind word to the partner.

N days after invites went out (``chase_days`` per programme, default 7) the
organisers get one message listing everyone who has not joined yet, each with
a fresh code and link to pass on (the first code keeps working too).  Whoever
is already waiting in that pair or circle hears, kindly, that the other person
has not joined yet and that the organisers now know; when the seat is filled
they are introduced as usual.  Each seat is chased once (``chased_at``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.context import Work
from bot.core.types import Reply
from bot.flows.registry import Flows
from bot.organiser.programmes import CHASE_JOB, chase_days, deep_link, issue_invite
from bot.store.db import from_db, to_db
from bot.store.groups import organisers_of, seats_with_people
from bot.store.models import Group, Invite, Job, Member, Programme

WAITING = ("invited", "incomplete")


def register(flows: Flows) -> None:
    flows.on_job(CHASE_JOB, chase_job)


async def never_joined(work: Work, programme: Programme) -> list[tuple[Member, Group]]:
    """Open seats whose first invite is at least ``chase_days`` old and not chased yet."""
    cutoff = work.now - timedelta(days=chase_days(programme))
    rows: Any = await work.session.execute(  # the facade's result type is loose
        select(Member, Group)
        .join(Group, Group.id == Member.group_id)
        .where(
            Member.programme_id == programme.id,
            Member.person_id.is_(None),
            Member.left_at.is_(None),
            Member.chased_at.is_(None),
            Group.status.in_(WAITING),
        )
        .order_by(Group.id, Member.id)
    )
    out = []
    for seat, group in rows.all():
        first = await work.session.scalar(
            select(func.min(Invite.created_at)).where(Invite.member_id == seat.id)
        )
        if first is not None and from_db(first) <= cutoff:
            out.append((seat, group))
    return out


async def chase_job(work: Work, job: Job) -> None:
    programme = await work.session.get(Programme, int(job.payload.get("programme_id", 0)))
    if programme is None or work.now.date() > programme.end_date:
        return
    seats = await never_joined(work, programme)
    if not seats:
        return
    organisers = await organisers_of(work.session, programme.id)
    entries = []
    for seat, group in seats:
        seat.chased_at = to_db(work.now)
        code = None
        if organisers:  # a fresh code only if someone can pass it on
            issued = await issue_invite(
                work.session, seat, work.now, work.settings.invite_days, keep_old=True
            )
            code = issued.code
        entries.append((seat, group, code))
        for other, person in await seats_with_people(work.session, group.id):
            if other.id == seat.id:
                continue
            key = "lifecycle.chase.partner" if organisers else "lifecycle.chase.partner_no_org"
            await work.tell(
                person.id,
                Reply(work.t_for(person.language, key, name=seat.name)),
                key=f"chase:{seat.id}:{other.id}",
            )
    for organiser in organisers:
        lang = organiser.language
        lines = [
            work.t_for(
                lang,
                "lifecycle.chase.digest",
                programme=programme.name,
                count=len(entries),
                days=chase_days(programme),
            )
        ]
        for seat, group, code in entries:
            lines.append(
                work.t_for(
                    lang,
                    "lifecycle.chase.line",
                    name=seat.name,
                    role=work.t_for(lang, f"roles.{seat.role}"),
                    group=group.name,
                    code=code or "–",
                )
            )
            link = deep_link(work.settings.telegram_username, code) if code else None
            if link:
                lines.append(f"   {link}")
        lines.append(work.t_for(lang, "lifecycle.chase.footer", days=work.settings.invite_days))
        await work.tell(
            organiser.id, Reply("\n".join(lines)), key=f"chase:{job.id}:org:{organiser.id}"
        )
