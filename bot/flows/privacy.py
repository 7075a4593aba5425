"""Data protection: ``/mydata`` exports everything stored about the person as
JSON; ``/forget`` deletes it after confirmation.

Forgetting keeps the programme's statistics whole but anonymous: the seat
stays (so counts and ratings still add up) with no name and no person behind
it, every free text the person wrote is deleted, and the partner and the
organisers are told that a member left — without a name, so the notice
itself stores nothing about the person.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, inspect, select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx
from bot.core.types import Attachment, Reply
from bot.flows.registry import Flows
from bot.store.db import to_db
from bot.store.groups import members_of, organisers_of
from bot.store.models import (
    AgendaItem,
    Agreement,
    AgreementAnswer,
    Base,
    CoachingLog,
    DialogState,
    FeedbackAnswer,
    Group,
    Identity,
    Meeting,
    MeetingCheck,
    Member,
    Note,
    OrganiserMessage,
    OutboxMessage,
    Person,
    Programme,
    Rhythm,
    RhythmProposal,
)


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("mydata", mydata, where=DM))
    flows.commands.add(CommandSpec("forget", forget, where=DM))
    flows.on_choice("priv", choose)


def _row(obj: Base, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for column in inspect(type(obj)).columns:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, datetime | date) else value
    return out


async def export(ctx: Ctx) -> dict[str, Any]:
    """Everything stored about ``ctx.person``, by table."""
    s = ctx.session
    pid = ctx.person.id
    seats = list((await s.scalars(select(Member).where(Member.person_id == pid))).all())
    seat_ids = [m.id for m in seats]
    group_ids = [m.group_id for m in seats if m.group_id is not None]
    data: dict[str, Any] = {
        "person": _row(ctx.person),
        "identities": [
            _row(i) for i in await s.scalars(select(Identity).where(Identity.person_id == pid))
        ],
        "memberships": [],
        "agreement_answers": [
            _row(a)
            for a in await s.scalars(
                select(AgreementAnswer).where(AgreementAnswer.member_id.in_(seat_ids))
            )
        ],
        "agreement_texts": [],
        "rhythm_proposals": [
            _row(p)
            for p in await s.scalars(
                select(RhythmProposal).where(RhythmProposal.member_id.in_(seat_ids))
            )
        ],
        "meetings": [
            _row(m, ("data",))
            for m in await s.scalars(select(Meeting).where(Meeting.group_id.in_(group_ids)))
        ],
        "meeting_answers": [
            _row(c)
            for c in await s.scalars(
                select(MeetingCheck).where(MeetingCheck.member_id.in_(seat_ids))
            )
        ],
        "agenda_points": [
            _row(a)
            for a in await s.scalars(select(AgendaItem).where(AgendaItem.member_id.in_(seat_ids)))
        ],
        "feedback": [
            _row(f)
            for f in await s.scalars(
                select(FeedbackAnswer).where(FeedbackAnswer.member_id.in_(seat_ids))
            )
        ],
        "notes": [_row(n) for n in await s.scalars(select(Note).where(Note.person_id == pid))],
        "coaching": [
            _row(c)
            for c in await s.scalars(select(CoachingLog).where(CoachingLog.person_id == pid))
        ],
        "messages_to_organisers": [
            _row(m)
            for m in await s.scalars(
                select(OrganiserMessage).where(OrganiserMessage.person_id == pid)
            )
        ],
        "dialogs": [
            _row(d)
            for d in await s.scalars(select(DialogState).where(DialogState.person_id == pid))
        ],
    }
    for seat in seats:
        programme = await s.get(Programme, seat.programme_id)
        group = await s.get(Group, seat.group_id) if seat.group_id else None
        data["memberships"].append(
            {
                **_row(seat),
                "programme": programme.name if programme else None,
                "group": group.name if group else None,
            }
        )
        if seat.group_id is None:
            continue
        for agreement in await s.scalars(
            select(Agreement).where(Agreement.group_id == seat.group_id)
        ):
            mine = {
                "version": agreement.version,
                "support": agreement.items.get("support", {}).get(str(seat.id)),
                "goals": agreement.items.get("goals", {}).get(str(seat.id)),
                "changes": {
                    k: v
                    for k, v in agreement.items.get("changes", {}).items()
                    if v.get("by") == seat.name
                },
            }
            data["agreement_texts"].append(mine)
    return data


async def mydata(ctx: Ctx, _args: str) -> None:
    payload = json.dumps(await export(ctx), ensure_ascii=False, indent=2, default=str)
    ctx.reply(
        ctx.t("privacy.mydata"),
        attachments=(Attachment("mydata.json", payload.encode("utf-8"), "application/json"),),
    )


async def forget(ctx: Ctx, _args: str) -> None:
    ctx.say(
        "privacy.forget_ask",
        [
            ctx.choice("priv:forget:yes", "privacy.forget_yes"),
            ctx.choice("priv:forget:no", "privacy.forget_no"),
        ],
    )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if parts == ["forget", "no"]:
        ctx.say("privacy.forget_cancelled", replace=True)
    elif parts == ["forget", "yes"]:
        lang = ctx.lang
        await erase(ctx)
        ctx.reply(ctx.t_for(lang, "privacy.forgotten"), replace=True)
    else:
        ctx.say("basics.stale_button", private=True)


async def erase(ctx: Ctx) -> None:
    """Delete the person; anonymise their seats; tell the others (without a name)."""
    s = ctx.session
    person = ctx.person
    seats = list((await s.scalars(select(Member).where(Member.person_id == person.id))).all())
    names = {person.display_name, *(m.name for m in seats)} - {""}
    partners: set[int] = set()
    for seat in seats:
        await _tell_left(ctx, seat)
        if seat.group_id is not None:
            partners |= {m.person_id for m in await members_of(s, seat.group_id) if m.person_id}
            rhythm = await s.get(Rhythm, seat.group_id)
            if rhythm is not None:
                rhythm.when_text = ""  # built from the members' own words
    for seat in seats:
        await s.execute(delete(AgendaItem).where(AgendaItem.member_id == seat.id))
        await s.execute(delete(RhythmProposal).where(RhythmProposal.member_id == seat.id))
        for answer in await s.scalars(
            select(FeedbackAnswer).where(FeedbackAnswer.member_id == seat.id)
        ):
            answer.text = None  # ratings stay, as anonymous aggregates
            answer.shared = False
        if seat.group_id is not None:
            await _scrub_agreements(ctx, seat)
            group = await s.get(Group, seat.group_id)
            if group is not None:
                group.name = _without(group.name, names)
        seat.person_id = None
        seat.left_at = to_db(ctx.now)
        seat.name = "–"
    await s.execute(delete(OrganiserMessage).where(OrganiserMessage.person_id == person.id))
    await _scrub_outbox(ctx, names, partners)
    await s.flush()
    await s.delete(person)  # identities, dialogs, notes, coaching log, jobs: cascade
    ctx._dialogs.clear()


async def _scrub_agreements(ctx: Ctx, seat: Member) -> None:
    for agreement in await ctx.session.scalars(
        select(Agreement).where(Agreement.group_id == seat.group_id)
    ):
        items = json.loads(json.dumps(agreement.items))
        for key in ("support", "goals"):
            items.get(key, {}).pop(str(seat.id), None)
        items["changes"] = {
            k: v for k, v in items.get("changes", {}).items() if v.get("by") != seat.name
        }
        agreement.items = items


async def _scrub_outbox(ctx: Ctx, names: set[str], people: set[int]) -> None:
    """Delivered messages are history nobody needs; those to the person's partners
    may quote what the person wrote, so they go.  Undelivered ones lose the name."""
    for row in await ctx.session.scalars(select(OutboxMessage)):
        text = json.dumps(row.payload, ensure_ascii=False)
        done = row.sent_at is not None or row.failed_at is not None
        if done and (row.person_id in people or any(n and n in text for n in names)):
            await ctx.session.delete(row)
        elif any(n and n in text for n in names):
            if done:
                await ctx.session.delete(row)
            else:
                payload = dict(row.payload)
                for n in names:
                    payload["text"] = payload["text"].replace(n, "–")
                row.payload = payload


def _without(text: str, names: set[str]) -> str:
    for n in names:
        text = text.replace(n, "–")
    return text


async def _tell_left(ctx: Ctx, seat: Member) -> None:
    role = seat.role
    if seat.group_id is not None:
        for other in await members_of(ctx.session, seat.group_id):
            if other.id == seat.id or other.person_id is None:
                continue
            person = await ctx.session.get(Person, other.person_id)
            if person is None:
                continue
            text = ctx.t_for(
                person.language,
                "privacy.partner_left",
                role=ctx.t_for(person.language, f"roles.{role}"),
            )
            await ctx.tell(person.id, Reply(text), key=f"left:{seat.id}:{other.id}")
    for organiser in await organisers_of(ctx.session, seat.programme_id):
        if organiser.id == ctx.person.id:
            continue
        text = ctx.t_for(
            organiser.language,
            "privacy.organiser_left",
            role=ctx.t_for(organiser.language, f"roles.{role}"),
            group=seat.group_id or "-",
        )
        await ctx.tell(organiser.id, Reply(text), key=f"left:{seat.id}:org:{organiser.id}")
