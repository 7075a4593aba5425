"""Data protection: ``/mydata`` exports everything stored about the person as
JSON; ``/forget`` deletes it after confirmation.

What forgetting erases and how is in :mod:`bot.flows.erasure`; the partner
and the organisers are told that a member left — without a name, so the
notice itself stores nothing about the person.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx
from bot.core.types import Attachment
from bot.flows.erasure import erase, purge_stranger
from bot.flows.registry import Flows
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
    Programme,
    RhythmProposal,
)
from bot.store.retention import STRANGER_JOB


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("mydata", mydata, where=DM))
    flows.commands.add(CommandSpec("forget", forget, where=DM))
    flows.on_choice("priv", choose)
    flows.on_job(STRANGER_JOB, purge_stranger)


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
    for hook in ctx.flows.export_person if ctx.flows is not None else []:
        data.update(await hook(ctx))
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


#: how long the confirmation buttons of /forget stay valid
CONFIRM_FOR = timedelta(hours=24)
CONV = "privacy"


async def forget(ctx: Ctx, _args: str) -> None:
    """Ask first; the answer buttons count only after this question (state in
    the person's dialog), never as a bare id pressed or forged later."""
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go(None, forget_asked=ctx.now.isoformat())
    ctx.say(
        "privacy.forget_ask",
        [
            ctx.choice("priv:forget:yes", "privacy.forget_yes"),
            ctx.choice("priv:forget:no", "privacy.forget_no"),
        ],
    )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    dialog = await ctx.dialog(CONV)
    if parts not in (["forget", "yes"], ["forget", "no"]) or not _asked(ctx, dialog.data):
        ctx.say("basics.stale_button", private=True)
        return
    dialog.reset()
    if parts == ["forget", "no"]:
        ctx.say("privacy.forget_cancelled", replace=True)
        return
    lang = ctx.lang
    await erase(ctx)
    ctx.reply(ctx.t_for(lang, "privacy.forgotten"), replace=True)


def _asked(ctx: Ctx, data: dict[str, Any]) -> bool:
    try:
        asked = datetime.fromisoformat(str(data.get("forget_asked")))
    except ValueError:
        return False
    return asked.tzinfo is not None and asked <= ctx.now < asked + CONFIRM_FOR
