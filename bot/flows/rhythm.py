"""The meeting-rhythm agreement (guide section 5).

Each member proposes how often, how long, how (online, face to face,
hybrid) and when suits them.  When every proposal is in, everyone sees them
side by side with a suggested compromise; when all accept it, the rhythm is
agreed, the agreement's rhythm item is filled in, and scheduling starts.  The
compromise stays inside the programme's frame wherever somebody's wish allows;
a rhythm outside it waits for an organiser's yes (:mod:`bot.flows.rhythm_frame`).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, func, select

from bot.core.choice_ids import parse_id, parse_int
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows.registry import Flows
from bot.flows.rhythm_frame import (
    applied,
    ask_organisers,
    changed,
    decide,
    describe,
    describe_rhythm,
    frame_text,
    outside_frame,
    settle,
    signature,
    suggest,
)
from bot.flows.rhythm_words import parse_days, parse_minutes
from bot.store.db import to_db
from bot.store.groups import group_and_programme, members_of
from bot.store.models import Group, Member, Person, Rhythm, RhythmProposal
from bot.store.session import forget_seats
from bot.wording import join_names

__all__ = ["ask_proposal", "describe_rhythm", "register"]

CONV = "rhythm"
FREQUENCIES = {"weekly": 7, "biweekly": 14, "monthly": 30}
MINUTES = (20, 30, 45, 60)
MODES = ("online", "face_to_face", "hybrid")


def register(flows: Flows) -> None:
    flows.on_choice("rhy", choose)
    flows.on_text(CONV, text)
    flows.on_choice("rfr", decide)


# -- asking ----------------------------------------------------------------------
async def ask_proposal(ctx: Ctx, group: Group, member: Member) -> bool:
    """Start (or resume) this member's proposal; False if they already proposed."""
    proposal = await ctx.session.get(RhythmProposal, (group.id, member.id))
    if proposal is not None and proposal.when_text is not None:
        return False
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go("freq", group_id=group.id)
    _, programme = await group_and_programme(ctx.session, group.id)
    ctx.say(
        "rhythm.intro",
        frame=frame_text(ctx, ctx.lang, programme),
    )
    await ask(ctx, dialog)
    return True


async def ask(ctx: Ctx, dialog: Dialog, *, replace: bool = False) -> None:
    g = dialog.data["group_id"]
    step = dialog.step
    if step == "freq":
        choices = [ctx.choice(f"rhy:{g}:freq:{k}", f"rhythm.button.{k}") for k in FREQUENCIES]
        choices.append(ctx.choice(f"rhy:{g}:freq:custom", "rhythm.custom"))
        ctx.say("rhythm.ask.freq", choices, replace=replace)
    elif step == "minutes":
        choices = [Choice(f"rhy:{g}:minutes:{m}", ctx.t("rhythm.minutes", n=m)) for m in MINUTES]
        choices.append(ctx.choice(f"rhy:{g}:minutes:custom", "rhythm.custom"))
        ctx.say("rhythm.ask.minutes", choices, replace=replace)
    elif step == "mode":
        choices = [ctx.choice(f"rhy:{g}:mode:{m}", f"agreement.mode.{m}") for m in MODES]
        ctx.say("rhythm.ask.mode", choices, replace=replace)
    elif step == "when":
        ctx.say(
            "rhythm.ask.when", [ctx.choice(f"rhy:{g}:when:any", "rhythm.any_time")], replace=replace
        )
    elif step in ("freq_custom", "minutes_custom"):
        ctx.say(f"rhythm.ask.{step}", replace=replace)


async def _member(ctx: Ctx, group_id: int) -> tuple[Group, Member] | None:
    """The group, locked, and the actor's seat in it (None if they have none).

    The lock serialises the members of one group: on PostgreSQL two members
    sending their last answer (or accepting) at the same moment would each
    see the other as not done yet, and the rhythm would never be agreed.
    """
    params = {"group_id": group_id, "person_id": ctx.person.id}
    row = (await ctx.session.execute(_group_and_seat(), params)).first()
    forget_seats(ctx.session, locked=True)  # (the group's row lock)
    if row is None or row[1] is None:
        return None
    return row[0], row[1]


@cache
def _group_and_seat() -> Select[Group, Member, RhythmProposal]:
    """Built once: the group (locked on PostgreSQL), the actor's seat in it and
    the seat's proposal, in one query, for every rhythm press (the proposal,
    when there is one, is then in the session for :func:`_proposal`)."""
    return (
        select(Group, Member, RhythmProposal)
        .outerjoin(
            Member,
            (Member.group_id == Group.id) & (Member.person_id == bindparam("person_id")),
        )
        .outerjoin(
            RhythmProposal,
            (RhythmProposal.group_id == Group.id) & (RhythmProposal.member_id == Member.id),
        )
        .where(Group.id == bindparam("group_id"))
        .with_for_update(of=Group)
    )


async def _proposal(ctx: Work, group: Group, member: Member) -> RhythmProposal:
    proposal = await ctx.session.get(RhythmProposal, (group.id, member.id))
    if proposal is None:
        proposal = RhythmProposal(
            group_id=group.id, member_id=member.id, confirmed=False, updated_at=to_db(ctx.now)
        )
        ctx.session.add(proposal)
    return proposal


async def choose(ctx: Ctx, parts: list[str]) -> None:
    group_id = parse_id(parts[0]) if len(parts) >= 2 else None
    if group_id is None:
        ctx.say("basics.stale_button", private=True)
        return
    found = await _member(ctx, group_id)
    if found is None:
        ctx.say("basics.not_yours", private=True)
        return
    group, member = found
    action = parts[1:]
    if action[0] == "accept" and len(action) == 2:
        await accept(ctx, group, member, action[1])
        return
    if action == ["redo"]:
        if await ctx.session.get(Rhythm, group.id) is not None and not await renegotiating(
            ctx, group
        ):
            ctx.say("rhythm.already_agreed", private=True)
            return
        proposal = await _proposal(ctx, group, member)
        proposal.when_text = None
        await ask_proposal(ctx, group, member)
        return
    dialog = await ctx.dialog(CONV)
    if dialog.data.get("group_id") != group.id or dialog.step != action[0] or len(action) != 2:
        ctx.say("basics.stale_button", private=True)
        return
    proposal = await _proposal(ctx, group, member)
    step, value = action
    if value == "custom" and step in ("freq", "minutes"):
        dialog.go(f"{step}_custom")
    elif step == "freq" and value in FREQUENCIES:
        proposal.frequency_days = FREQUENCIES[value]
        dialog.go("minutes")
    elif step == "minutes" and parse_int(value) in MINUTES:
        proposal.minutes = int(value)
        dialog.go("mode")
    elif step == "mode" and value in MODES:
        proposal.mode = value
        dialog.go("when")
    elif step == "when" and value == "any":
        await _proposed(ctx, dialog, group, member, proposal, "")
        return
    else:
        ctx.say("basics.stale_button", private=True)
        return
    await ask(ctx, dialog, replace=True)


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    found = await _member(ctx, int(dialog.data.get("group_id", 0)))
    if found is None:
        dialog.reset()
        ctx.say("basics.fallback")
        return
    group, member = found
    proposal = await _proposal(ctx, group, member)
    if dialog.step == "freq_custom":
        days = parse_days(message)
        if days is None:
            ctx.say("rhythm.bad_freq")
            return
        proposal.frequency_days = days
        dialog.go("minutes")
    elif dialog.step == "minutes_custom":
        minutes = parse_minutes(message)
        if minutes is None:
            ctx.say("rhythm.bad_minutes")
            return
        proposal.minutes = minutes
        dialog.go("mode")
    elif dialog.step == "when":
        await _proposed(ctx, dialog, group, member, proposal, message[:200])
        return
    else:
        ctx.say("onboarding.use_buttons")
    await ask(ctx, dialog)


async def _proposed(
    ctx: Ctx, dialog: Dialog, group: Group, member: Member, proposal: RhythmProposal, when: str
) -> None:
    # read before the proposal changes: its changes then go in one UPDATE
    latest = await ctx.session.scalar(
        select(func.max(RhythmProposal.seq)).where(RhythmProposal.group_id == group.id)
    )
    proposal.when_text = when
    proposal.updated_at = to_db(ctx.now)
    proposal.seq = (latest or 0) + 1
    dialog.reset()
    await ctx.session.flush()
    proposals = await _all_proposals(ctx, group)
    seats = await members_of(ctx.session, group.id)
    complete = [p for p in proposals if p.when_text is not None]
    if len(complete) < len(seats):
        waiting = [s.name for s in seats if s.id not in {p.member_id for p in complete}]
        ctx.say("rhythm.proposed_waiting", names=join_names(ctx.lang, waiting))
        await _continue_agreement(ctx, group, member)
        return
    await present(ctx, group, seats, complete)


async def _all_proposals(ctx: Work, group: Group) -> list[RhythmProposal]:
    return list(
        (
            await ctx.session.scalars(
                select(RhythmProposal).where(RhythmProposal.group_id == group.id)
            )
        ).all()
    )


async def present(
    ctx: Ctx, group: Group, seats: list[Member], proposals: list[RhythmProposal]
) -> None:
    _, programme = await group_and_programme(ctx.session, group.id)
    suggestion = suggest(programme, proposals)
    sig = signature(suggestion)
    for p in proposals:
        p.confirmed = False
    by_member = {p.member_id: p for p in proposals}
    # Every presentation is news: after "I want to change my suggestion" the
    # same compromise may come out again, and everyone must accept it again.
    round_ = max(p.seq or 0 for p in proposals)
    for seat in seats:
        if seat.person_id is None:
            continue
        person = await ctx.session.get(Person, seat.person_id)
        lang = person.language if person else programme.language
        lines = [ctx.t_for(lang, "rhythm.side_by_side")]
        for other in seats:
            p = by_member[other.id]
            lines.append(
                f"• {other.name}: "
                + describe(
                    ctx,
                    lang,
                    p.frequency_days or 30,
                    p.minutes or 30,
                    p.mode or "online",
                    p.when_text or "",
                )
            )
        lines.append(ctx.t_for(lang, "rhythm.suggestion", text=describe(ctx, lang, *suggestion)))
        if outside_frame(programme, suggestion[0], suggestion[1]):
            lines.append(ctx.t_for(lang, "rhythm.outside", frame=frame_text(ctx, lang, programme)))
        reply = Reply(
            "\n".join(lines),
            (
                Choice(f"rhy:{group.id}:accept:{sig}", ctx.t_for(lang, "rhythm.accept")),
                Choice(f"rhy:{group.id}:redo", ctx.t_for(lang, "rhythm.redo")),
            ),
        )
        if seat.person_id == ctx.person.id:
            ctx.replies.append(ctx.out(reply))
        else:
            await ctx.tell(seat.person_id, reply, key=f"rhy:{group.id}:{sig}:{round_}:{seat.id}")


async def renegotiating(ctx: Work, group: Group) -> bool:
    """A rhythm is agreed and someone asked to change it (``/rhythm``): proposals
    are missing or not all accepted yet, or all accepted a rhythm outside the
    frame that waits for an organiser's yes."""
    proposals = await _all_proposals(ctx, group)
    seats = await members_of(ctx.session, group.id)
    if len(proposals) < len(seats) or not all(p.confirmed for p in proposals):
        return True
    rhythm = await ctx.session.get(Rhythm, group.id)
    if rhythm is None or any(p.when_text is None for p in proposals):
        return False
    _, programme = await group_and_programme(ctx.session, group.id)
    return not applied(rhythm, suggest(programme, proposals))


async def accept(ctx: Ctx, group: Group, member: Member, sig: str) -> None:
    current = await ctx.session.get(Rhythm, group.id)
    if current is not None and not await renegotiating(ctx, group):
        ctx.say("rhythm.already_agreed", private=True)
        return
    proposals = await _all_proposals(ctx, group)
    seats = await members_of(ctx.session, group.id)
    if len([p for p in proposals if p.when_text is not None]) < len(seats):
        ctx.say("basics.stale_button", private=True)
        return
    _, programme = await group_and_programme(ctx.session, group.id)
    suggestion = suggest(programme, proposals)
    if signature(suggestion) != sig:
        ctx.say("rhythm.changed", private=True)
        return
    if all(p.confirmed for p in proposals):  # already asked the organisers
        ctx.say("rhythm.frame_waiting", private=True)
        return
    mine = next(p for p in proposals if p.member_id == member.id)
    mine.confirmed = True
    if not all(p.confirmed for p in proposals):
        waiting = [
            s.name for s in seats if not next(p for p in proposals if p.member_id == s.id).confirmed
        ]
        ctx.say("rhythm.accepted_waiting", names=join_names(ctx.lang, waiting), replace=True)
        return
    if outside_frame(programme, suggestion[0], suggestion[1]):
        # a first rhythm, or a change, outside the frame waits for an organiser's yes
        await ask_organisers(ctx, group, suggestion, sig)
        return
    if current is not None:
        await changed(ctx, group, current, suggestion, False)
        return
    await settle(ctx, group, member, suggestion)


async def _continue_agreement(ctx: Ctx, group: Group, member: Member) -> None:
    for hook in ctx.flows.rhythm_proposed if ctx.flows else []:
        await hook(ctx, group, member)
