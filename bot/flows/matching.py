"""``/match`` for organisers: suggested matches with approve and skip buttons.

The suggestions are computed afresh on each ``/match`` (nothing but the
organiser's decisions is stored).  A button carries the exact people it was
shown with (``mt:a:<mentor seat>:<mentee seats>``), and approval re-checks
every hard constraint against the current state, so a stale button gets a
clear answer instead of a wrong pair.  Skipping forbids that pair, so it is
not suggested again.  The ``match_start`` job runs the usual start of a
complete group (agreement, feedback rounds, health) once approval committed.

The solver's modules are imported when ``/match`` is used, not at start-up:
numpy and scipy cost more to load than the rest of the bot together, and
most processes never suggest a match.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Work
from bot.core.types import Choice
from bot.flows.registry import Flows
from bot.matching.models import MatchRule
from bot.matching.store import load_pool
from bot.organiser.programmes import SetupError
from bot.store.db import to_db
from bot.store.groups import organiser_programmes
from bot.store.models import Group, Job, Member


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("match", match, where=DM, organiser_only=True))
    flows.on_choice("mt", choose)
    flows.on_job("match_start", start_group)


async def match(ctx: Ctx, _args: str) -> None:
    from bot.matching.report import (
        head_text,
        match_text,
        suggest,
        suggestion_data,
        unmatched_text,
        weights_for,
    )

    programmes = await organiser_programmes(ctx.session, ctx.person.id)
    if not programmes:
        ctx.say("matching.suggest.no_programme", private=True)
        return
    for programme in programmes:
        pool = await load_pool(ctx.session, programme)
        data = suggestion_data(pool, suggest(pool, weights_for(programme)), ctx.content, ctx.lang)
        ctx.reply(head_text(ctx.content, ctx.lang, programme.name, data), private=True)
        for item in data["matches"]:
            ids = ".".join(str(p["mentee_id"]) for p in item["pairs"])
            tail = f"{item['mentor_id']}:{ids}"
            ctx.reply(
                match_text(ctx.content, ctx.lang, item),
                [
                    Choice(f"mt:a:{tail}", ctx.t("matching.suggest.approve")),
                    Choice(f"mt:s:{tail}", ctx.t("matching.suggest.skip")),
                ],
                private=True,
            )
        rest = unmatched_text(ctx.content, ctx.lang, data)
        if rest:
            ctx.reply(rest, private=True)


def _parse(parts: list[str]) -> tuple[str, int, list[int]] | None:
    if len(parts) != 3 or parts[0] not in ("a", "s") or not parts[1].isdigit():
        return None
    mentees = parts[2].split(".")
    if not mentees or not all(m.isdigit() for m in mentees):
        return None
    return parts[0], int(parts[1]), [int(m) for m in mentees]


async def choose(ctx: Ctx, parts: list[str]) -> None:
    from bot.matching.approve import approve
    from bot.matching.report import weights_for

    parsed = _parse(parts)
    if parsed is None:
        ctx.say("basics.stale_button", private=True)
        return
    action, mentor_id, mentee_ids = parsed
    seat = await ctx.session.get(Member, mentor_id)
    mine = {p.id: p for p in await organiser_programmes(ctx.session, ctx.person.id)}
    programme = mine.get(seat.programme_id) if seat is not None else None
    if programme is None:
        ctx.say("basics.not_yours", private=True)
        return
    pool = await load_pool(ctx.session, programme)
    if action == "s":
        for mentee_id in mentee_ids:
            await forbid(ctx, programme.id, mentor_id, mentee_id)
        ctx.say("matching.suggest.skipped", replace=True)
        return
    try:
        done = await approve(ctx, pool, mentor_id, mentee_ids, weights_for(programme))
    except SetupError:
        ctx.say("matching.suggest.stale", replace=True)
        return
    names = "; ".join(f"{a.mentor.name} – {', '.join(m.name for m in a.mentees)}" for a in done)
    ctx.say("matching.suggest.approved", replace=True, names=names)


async def forbid(work: Work, programme_id: int, mentor_id: int, mentee_id: int) -> None:
    """Record (or turn a pin into) a forbid for this pair."""
    rule = await work.session.scalar(
        select(MatchRule).where(
            MatchRule.mentor_member_id == mentor_id, MatchRule.mentee_member_id == mentee_id
        )
    )
    if rule is None:
        mentee = await work.session.get(Member, mentee_id)
        if mentee is None or mentee.programme_id != programme_id:
            return
        rule = MatchRule(
            programme_id=programme_id,
            mentor_member_id=mentor_id,
            mentee_member_id=mentee_id,
            created_at=to_db(work.now),
        )
        work.session.add(rule)
    rule.rule = "forbid"


async def start_group(work: Work, job: Job) -> None:
    """An approved match: the usual start of a complete group, through the hooks."""
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    if group is None or group.status != "active" or work.flows is None:
        return
    for hook in work.flows.group_complete:
        await hook(work, group)
