"""What organisers see of programme health: the alert, ``/report`` and ``/broadcast``.

An alert names the group and the reason in the organiser's language; only
aggregates reach an organiser (see :mod:`bot.organiser.reports`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.core.context import Ctx, Work
from bot.core.types import Attachment, Reply
from bot.flows import attention
from bot.store.db import from_db, to_db
from bot.store.groups import members_of, organiser_programmes, organisers_of
from bot.store.models import Group, Member, Person, Programme, RiskFlag
from bot.wording import frequency_phrase, join_names, prose_date

#: reasons raised by a private answer: nobody in the group was nudged or told
PRIVATE_REASONS = ("match",)


async def alert(work: Work, group: Group, programme: Programme, flag: RiskFlag) -> None:
    """Tell the organisers, in their language, which group needs help and why."""
    flag.alerted_at = to_db(work.now)
    names = [s.name for s in await members_of(work.session, group.id)]
    unanswered = await attention.unanswered(work, group.id)
    quiet = unanswered >= attention.quiet_after(programme)
    for organiser in await organisers_of(work.session, programme.id):
        lang = organiser.language
        params = in_words(work, lang, reason_params(flag, work.now))
        reason = work.t_for(lang, f"health.reason.{flag.reason}", **params)
        text = work.t_for(
            lang,
            "health.alert_private" if flag.reason in PRIVATE_REASONS else "health.alert",
            programme=programme.name,
            group=group.name or join_names(lang, names),
            reason=reason,
            since=prose_date(lang, from_db(flag.raised_at).date()),
        )
        if quiet:  # the pair stopped answering; its reminders are paused
            text += " " + work.t_for(lang, "health.alert_quiet", count=unanswered)
        await work.tell(organiser.id, Reply(text), key=f"health:alert:{flag.id}:{organiser.id}")


def in_words(work: Work, lang: str, params: dict[str, object]) -> dict[str, object]:
    """A rhythm stored as days ("frequency": 21) becomes words: "var tredje vecka"."""
    days = params.get("frequency")
    if isinstance(days, int) and days > 0:
        return {**params, "frequency": frequency_phrase(work.content, lang, days)}
    return params


def reason_params(flag: RiskFlag, now: datetime) -> dict[str, object]:
    """Words for the alert; "no meeting for N days" counts up to the alert's day."""
    detail = flag.detail or {}
    days = detail.get("days", "")
    if "since" in detail:
        days = (now - datetime.fromisoformat(str(detail["since"]))).days
    return {
        "days": days,
        "frequency": detail.get("frequency", ""),
        "name": detail.get("name", ""),
    }


async def report_command(ctx: Ctx, _args: str) -> None:
    """The report in chat: the table, with the HTML (charts) and CSV files attached."""
    from bot.organiser.report_html import render_html
    from bot.organiser.reports import build_report, render_csv, render_table

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
    import hashlib

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
