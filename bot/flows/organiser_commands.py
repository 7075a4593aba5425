"""The organisers' commands in chat: ``/report`` and ``/broadcast``.

Split from :mod:`bot.flows.health` (which watches the pairs): these only read
the report and write to every member, in each person's language.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from bot.core.commands import CommandSpec
from bot.core.context import Ctx
from bot.core.types import Attachment, Reply
from bot.flows.registry import Flows
from bot.store.groups import organiser_programmes
from bot.store.models import Member, Person


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("report", report_command, organiser_only=True))
    flows.commands.add(
        CommandSpec(
            "broadcast", broadcast_command, args="all|mentors|mentees text", organiser_only=True
        )
    )


async def report_command(ctx: Ctx, _args: str) -> None:
    """The report in chat: the table, with the HTML (charts) and CSV files attached."""
    from bot.organiser.reports import build_report, render_csv, render_html, render_table

    for programme in await organiser_programmes(ctx.session, ctx.person.id):
        report = await build_report(ctx.session, ctx.content, programme, ctx.now, ctx.lang)
        stem = f"report-{programme.slug}-{ctx.now.date().isoformat()}"
        ctx.reply(
            render_table(report, ctx.content),
            private=True,
            attachments=(
                Attachment(f"{stem}.html", render_html(report, ctx.content).encode(), "text/html"),
                Attachment(f"{stem}.csv", render_csv(report).encode(), "text/csv"),
            ),
        )


AUDIENCES = {"all": ("mentor", "mentee"), "mentors": ("mentor",), "mentees": ("mentee",)}
AUDIENCE_WORDS = {"alla": "all", "mentorer": "mentors", "adepter": "mentees"}


async def broadcast_command(ctx: Ctx, args: str) -> None:
    """One message to every member of the organiser's programmes (or mentors/mentees only).

    Each copy goes through the outbox with its own idempotency key, so a retry
    never sends twice; the platform adapters pace delivery within rate limits.
    """
    first, _, rest = args.partition(" ")
    audience = AUDIENCE_WORDS.get(first.lower(), first.lower())
    if audience in AUDIENCES:
        message = rest.strip()
    else:
        audience, message = "all", args.strip()
    if not message:
        ctx.say("health.broadcast.usage", private=True)
        return
    roles = AUDIENCES[audience]
    stamp = hashlib.sha256(f"{ctx.person.id}|{ctx.now.isoformat()}|{args}".encode()).hexdigest()
    sent, unreachable, seen = 0, 0, set()
    for programme in await organiser_programmes(ctx.session, ctx.person.id):
        seats = await ctx.session.scalars(
            select(Member)
            .where(
                Member.programme_id == programme.id,
                Member.role.in_(roles),
                Member.person_id.is_not(None),
                Member.left_at.is_(None),
            )
            .order_by(Member.id)
        )
        for seat in list(seats):
            if seat.person_id in seen or seat.person_id == ctx.person.id:
                continue
            seen.add(seat.person_id)
            person = await ctx.session.get(Person, seat.person_id)
            if person is None or person.consent_at is None:
                continue
            if person.unreachable_at is not None:
                unreachable += 1
                continue
            text = ctx.t_for(
                person.language,
                "health.broadcast.message",
                programme=programme.name,
                text=message,
            )
            await ctx.tell(person.id, Reply(text), key=f"bc:{stamp[:16]}:{person.id}")
            sent += 1
    ctx.say("health.broadcast.sent", count=sent, unreachable=unreachable, private=True)
