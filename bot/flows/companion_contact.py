"""``/contact``: a confidential word with the organisers (guide section 4).

The message goes to the organisers of the person's programme and never to a
partner; one written before any organiser has joined waits, and is forwarded
when an organiser starts the bot."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows.companion_seats import (
    CONV,
    start_step,
)
from bot.store.db import to_db
from bot.store.groups import members_of, organisers_of
from bot.store.models import (
    Group,
    Member,
    OrganiserMessage,
    OutboxMessage,
    Programme,
)
from bot.store.spent import SENT


async def programmes_of(ctx: Ctx) -> list[Programme]:
    # (no DISTINCT over programme rows: PostgreSQL cannot compare their JSON column)
    mine = select(Member.programme_id).where(
        Member.person_id == ctx.person.id, Member.left_at.is_(None)
    )
    rows = await ctx.session.scalars(
        select(Programme).where(Programme.id.in_(mine)).order_by(Programme.id)
    )
    return list(rows.all())


async def contact_command(ctx: Ctx, args: str) -> None:
    programmes = await programmes_of(ctx)
    if not programmes:
        ctx.say("companion.contact.no_programme")
        return
    dialog = await ctx.dialog(CONV)
    if not args:
        only = programmes[0].id if len(programmes) == 1 else None
        start_step(dialog, ctx.now, "contact", programme_id=only)
        ctx.say("companion.contact.ask", [ctx.choice("cmp:cancel", "companion.buttons.cancel")])
        return
    await contact_text(ctx, dialog, programmes, args)


async def contact_text(ctx: Ctx, dialog: Dialog, programmes: list[Programme], message: str) -> None:
    chosen = dialog.data.get("programme_id")
    programme = next((p for p in programmes if p.id == chosen), None)
    if programme is None and len(programmes) == 1:
        programme = programmes[0]
    if programme is None:
        start_step(dialog, ctx.now, "contact_pick", pending=message)
        ctx.say(
            "companion.contact.pick",
            [Choice(f"cmp:org:{p.id}", p.name[:64]) for p in programmes],
        )
        return
    dialog.reset()
    await deliver_to_organisers(ctx, programme, message)


async def deliver_to_organisers(ctx: Ctx, programme: Programme, message: str) -> None:
    """Store the message and send it to the programme's organisers, and nobody else.

    An organiser who is also in one of the sender's own groups is left out:
    the message may be about that very match.
    """
    record = OrganiserMessage(
        programme_id=programme.id,
        person_id=ctx.person.id,
        text=message,
        created_at=to_db(ctx.now),
    )
    ctx.session.add(record)
    await ctx.session.flush()
    recipients = await forward_contact(ctx, programme, record)
    key = "companion.contact.sent" if recipients else "companion.contact.no_organiser"
    ctx.say(key, programme=programme.name)


async def forward_contact(
    work: Work, programme: Programme, record: OrganiserMessage, *, only: int | None = None
) -> int:
    """Send a stored /contact message to the programme's organisers (or just to
    organiser ``only``), leaving out any who share a group with the sender.
    Returns how many it went to."""
    if record.person_id is None:
        return 0
    own = list(
        (
            await work.session.scalars(
                select(Member)
                .where(
                    Member.person_id == record.person_id,
                    Member.programme_id == programme.id,
                    Member.left_at.is_(None),
                )
                .order_by(Member.group_id.is_(None), Member.id)
            )
        ).all()
    )
    if not own:
        return 0
    partners = {record.person_id}
    groups: list[Group] = []
    for seat in own:
        group = await work.session.get(Group, seat.group_id) if seat.group_id else None
        if group is not None:
            groups.append(group)
            partners.update(
                m.person_id for m in await members_of(work.session, group.id) if m.person_id
            )
    recipients = [
        p
        for p in await organisers_of(work.session, programme.id)
        if p.id not in partners and (only is None or p.id == only)
    ]
    sender = own[0]
    for person in recipients:
        lang = person.language
        reply = Reply(
            work.t_for(
                lang,
                "companion.contact.to_organiser",
                programme=programme.name,
                name=sender.name,
                role=work.t_for(lang, f"roles.{sender.role}"),
                group=groups[0].name if groups else programme.name,
                text=record.text,
            )
        )
        await work.tell(person.id, reply, key=f"contact:{record.id}:{person.id}")
    return len(recipients)


async def forward_waiting_contacts(work: Work, programme: Programme, organiser_id: int) -> None:
    """An organiser who just joined gets the /contact messages that reached no
    organiser (sent while none had joined, or only to ones who since left)."""
    records = (
        await work.session.scalars(
            select(OrganiserMessage)
            .where(OrganiserMessage.programme_id == programme.id)
            .order_by(OrganiserMessage.id)
        )
    ).all()
    for record in records:
        prefix = f"contact:{record.id}:"
        # a delivered copy may have moved to the slim table (bot.store.spent)
        reached = await work.session.scalar(
            select(OutboxMessage.idem_key)
            .where(OutboxMessage.idem_key.startswith(prefix))
            .union_all(select(SENT.c.idem_key).where(SENT.c.idem_key.startswith(prefix)))
            .limit(1)
        )
        if reached is None:
            await forward_contact(work, programme, record, only=organiser_id)
