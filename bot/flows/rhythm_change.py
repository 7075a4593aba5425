"""``/rhythm``: a pair or circle changes its agreed rhythm, at any time.

Lives change: a new job, a move, exams.  The same proposal and compromise
flow as the first time (:mod:`bot.flows.rhythm`) runs again: the one who asks
proposes, the others are asked to, the bot suggests a middle ground, and when
all accept the group's :class:`Rhythm` row takes the new values.  The old
rhythm stays in force until then.  Everything that reads the rhythm follows
at once: health checks (the registry's ``rhythm_changed`` hook), the length
of new meetings, and the rhythm item of an open agreement.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.flows.registry import Flows
from bot.flows.rhythm import CONV, FREQUENCIES, ask_proposal, describe_rhythm
from bot.flows.which import my_groups, pick
from bot.store.groups import seats_with_people
from bot.store.models import Agreement, Group, Member, Rhythm, RhythmProposal

LIVE = ("active", "paused")


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("rhythm", rhythm_command, where=DM))
    flows.on_choice("rchg", choose)
    flows.rhythm_changed.append(agreement_follows)
    flows.rhythm_change_asked.append(from_agreement)


async def rhythm_command(ctx: Ctx, args: str) -> None:
    groups = await my_groups(ctx, LIVE)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = await pick(ctx, "rhythm", args, groups)
    if group is None:
        return
    rhythm = await ctx.session.get(Rhythm, group.id)
    if rhythm is None:
        ctx.say("lifecycle.rhythm.none")
        return
    ctx.say(
        "lifecycle.rhythm.ask",
        [
            ctx.choice(f"rchg:{group.id}:start", "lifecycle.rhythm.start"),
            ctx.choice(f"rchg:{group.id}:keep", "lifecycle.rhythm.keep"),
        ],
        rhythm=describe_rhythm(ctx, rhythm, ctx.lang),
    )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in ("start", "keep"):
        ctx.say("basics.stale_button", private=True)
        return
    group = await ctx.session.get(Group, int(parts[0]))
    seats = await seats_with_people(ctx.session, group.id) if group else []
    mine = next((s for s, p in seats if p.id == ctx.person.id), None)
    if group is None or mine is None or group.status not in LIVE:
        ctx.say("basics.not_yours", private=True)
        return
    rhythm = await ctx.session.get(Rhythm, group.id)
    if parts[1] == "keep" or rhythm is None:
        ctx.say("lifecycle.rhythm.kept", replace=True)
        return
    await restart(ctx, group, mine, rhythm)


async def from_agreement(ctx: Ctx, group: Group, member: Member) -> None:
    """ "Change" on the agreement's rhythm item renegotiates the rhythm itself."""
    rhythm = await ctx.session.get(Rhythm, group.id)
    if rhythm is None or group.status not in LIVE:
        ctx.say("lifecycle.rhythm.none")
        return
    await restart(ctx, group, member, rhythm)


async def restart(ctx: Ctx, group: Group, member: Member, rhythm: Rhythm) -> None:
    """Everyone proposes afresh; the agreed rhythm holds until the new one is agreed."""
    await ctx.session.execute(delete(RhythmProposal).where(RhythmProposal.group_id == group.id))
    await ask_proposal(ctx, group, member)
    for seat, person in await seats_with_people(ctx.session, group.id):
        if seat.id == member.id:
            continue
        await ask_other(ctx, group, member, person.id, person.language, rhythm, seat)


async def ask_other(
    work: Work,
    group: Group,
    by: Member,
    person_id: int,
    lang: str,
    rhythm: Rhythm,
    seat: Member,
) -> None:
    await work.set_dialog_of(person_id, CONV, "freq", {"group_id": group.id})
    choices = [
        Choice(f"rhy:{group.id}:freq:{k}", work.t_for(lang, f"rhythm.button.{k}"))
        for k in FREQUENCIES
    ]
    choices.append(Choice(f"rhy:{group.id}:freq:custom", work.t_for(lang, "rhythm.custom")))
    text = (
        work.t_for(
            lang,
            "lifecycle.rhythm.started_other",
            name=by.name,
            rhythm=describe_rhythm(work, rhythm, lang),
        )
        + "\n\n"
        + work.t_for(lang, "rhythm.ask.freq")
    )
    await work.tell(
        person_id,
        Reply(text, tuple(choices)),
        key=f"rchg:{group.id}:{work.now.isoformat()}:{seat.id}",
    )


async def agreement_follows(work: Work, group: Group) -> None:
    """An open agreement's rhythm item shows the rhythm itself again, not an older
    proposed wording (a completed version stays as it was agreed)."""
    agreement = await work.session.scalar(
        select(Agreement)
        .where(Agreement.group_id == group.id)
        .order_by(Agreement.version.desc())
        .limit(1)
    )
    if agreement is None or agreement.status != "open":
        return
    changes = dict(agreement.items.get("changes", {}))
    rhythm_items = {i.id for i in work.content.agreement.items if i.kind == "rhythm"}
    if rhythm_items & changes.keys():
        for item in rhythm_items:
            changes.pop(item, None)
        agreement.items = {**agreement.items, "changes": changes}
