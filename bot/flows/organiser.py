"""Organiser commands in chat: ``/program`` (status) and ``/invite NAME``.

Organisers see counts and statuses, never private notes or answers.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.commands import CommandSpec
from bot.core.context import Ctx
from bot.flows.registry import Flows
from bot.organiser.programmes import deep_link, issue_invite
from bot.store.groups import members_of, organiser_programmes
from bot.store.models import Group, Member, Programme
from bot.wording import plural, prose_date


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("program", program, organiser_only=True))
    flows.commands.add(CommandSpec("invite", invite, args="name", organiser_only=True))


async def program(ctx: Ctx, _args: str) -> None:
    for programme in await organiser_programmes(ctx.session, ctx.person.id):
        ctx.reply(await programme_status(ctx, programme), private=True)


async def programme_status(ctx: Ctx, programme: Programme) -> str:
    groups = list(
        (
            await ctx.session.scalars(
                select(Group).where(Group.programme_id == programme.id).order_by(Group.id)
            )
        ).all()
    )
    lines = [
        ctx.t(
            "organiser.program.head",
            name=programme.name,
            start=prose_date(ctx.lang, programme.start_date),
            end=prose_date(ctx.lang, programme.end_date),
            groups=plural(ctx.content, ctx.lang, "report.count.groups", len(groups)),
            active=sum(1 for g in groups if g.status == "active"),
        )
    ]
    for group in groups:
        seats = await members_of(ctx.session, group.id)
        joined = sum(1 for s in seats if s.person_id is not None)
        line = ctx.t(
            "organiser.program.group",
            name=group.name,
            kind=ctx.t(f"organiser.kind.{group.kind}"),
            joined=joined,
            total=len(seats),
            status=ctx.t(f"organiser.status.{group.status}"),
            agreement=await agreement_status(ctx, group),
        )
        waiting = [s.name for s in seats if s.person_id is None]
        if waiting and group.status not in ("completed", "ended"):
            line += ctx.t("organiser.program.waiting", names=", ".join(waiting))
        lines.append(line)
    return "\n".join(lines)


async def agreement_status(ctx: Ctx, group: Group) -> str:
    """ "klar (v2)", "6 av 10 punkter", or "inte påbörjad" — counts only, no answers."""
    from bot.flows.agreement_view import current_agreement, view_of

    agreement = await current_agreement(ctx.session, group.id)
    if agreement is None:
        return ctx.t("organiser.agreement.none")
    if agreement.status == "complete":
        return ctx.t("organiser.agreement.complete", version=agreement.version)
    view = await view_of(ctx.session, ctx.content, agreement)
    agreed = sum(1 for i in view.items if view.status(i.id) == "agreed")
    return ctx.t("organiser.agreement.open", agreed=agreed, total=len(view.items))


async def invite(ctx: Ctx, args: str) -> None:
    name = " ".join(args.split())
    if not name:
        ctx.say("organiser.invite.usage", private=True)
        return
    programme_ids = [p.id for p in await organiser_programmes(ctx.session, ctx.person.id)]
    seats = list(
        (
            await ctx.session.scalars(
                select(Member).where(
                    Member.programme_id.in_(programme_ids),
                    Member.left_at.is_(None),
                )
            )
        ).all()
    )
    matches = [s for s in seats if s.name.casefold() == name.casefold()]
    if not matches:
        ctx.say("organiser.invite.nobody", name=name, private=True)
        return
    open_seats = [s for s in matches if s.person_id is None]
    if not open_seats:
        ctx.say("organiser.invite.joined", name=name, private=True)
        return
    if len(open_seats) > 1:
        ctx.say("organiser.invite.ambiguous", name=name, count=len(open_seats), private=True)
        return
    issued = await issue_invite(ctx.session, open_seats[0], ctx.now, ctx.settings.invite_days)
    link = deep_link(ctx.settings.telegram_username, issued.code)
    ctx.say(
        "organiser.invite.issued",
        name=issued.name,
        code=issued.code,
        days=ctx.settings.invite_days,
        link=link or "–",
        private=True,
    )
