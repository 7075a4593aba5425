"""The programme's frame around a pair's rhythm (guide section 5).

"Naturally the programme's frame must be respected": the organisers set how
often and how long meetings should be.  The rhythm step suggests a compromise
inside that frame whenever somebody's wish allows it; when everyone wants
something outside it, the rhythm only applies once an organiser of the
programme has said yes.  The request is asked with buttons in each organiser's
language; the pair waits for the answer, and after a no it is asked again.

The same holds for a change asked for with ``/rhythm``: the agreed rhythm stays
in force until an organiser approves the new one.  The state of a request
lives in the proposals: every member has accepted the suggestion
(``confirmed``) and the group's :class:`Rhythm` is not (yet) that suggestion.
"""

from __future__ import annotations

import hashlib
import math
from statistics import mean

from sqlalchemy import select

from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.store.db import to_db
from bot.store.groups import group_and_programme, lock_group, members_of, organisers_of
from bot.store.models import Group, Member, Person, Programme, Rhythm, RhythmProposal
from bot.wording import frequency_phrase, join_names

Suggestion = tuple[int, int, str, str]
STANDARD_DAYS = (7, 14, 21, 30, 42, 60)
COMMON_MINUTES = (20, 30, 45, 60, 75, 90, 120)


# -- describing ----------------------------------------------------------------
def describe(work: Work, lang: str, days: int, minutes: int, mode: str, when: str) -> str:
    text = work.t_for(
        lang,
        "rhythm.summary",
        freq=frequency_phrase(work.content, lang, days),
        minutes=minutes,
        mode=work.t_for(lang, f"agreement.mode.{mode}"),
    )
    return f"{text} · {when}" if when else text


def describe_rhythm(work: Work, rhythm: Rhythm, lang: str) -> str:
    text = describe(
        work, lang, rhythm.frequency_days, rhythm.minutes, rhythm.mode, rhythm.when_text
    )
    if rhythm.outside_frame:
        text += "\n" + work.t_for(lang, "rhythm.outside_note")
    return text


def frame_text(work: Work, lang: str, programme: Programme) -> str:
    return work.t_for(
        lang,
        "rhythm.frame",
        freq=frequency_phrase(work.content, lang, programme.frequency_days),
        min=programme.min_minutes,
        max=programme.max_minutes,
    )


# -- the frame -----------------------------------------------------------------
def frequency_bounds(programme: Programme) -> tuple[int, int]:
    """From half the recommended interval to one and a half times it."""
    return math.ceil(programme.frequency_days / 2), math.floor(programme.frequency_days * 1.5)


def outside_frame(programme: Programme, freq: int, minutes: int) -> bool:
    low, high = frequency_bounds(programme)
    return not low <= freq <= high or not programme.min_minutes <= minutes <= programme.max_minutes


def within_frame(
    programme: Programme, suggestion: Suggestion, proposals: list[RhythmProposal]
) -> Suggestion:
    """Pull the suggestion into the frame on each measure somebody's wish lies inside.

    Someone asking for 45 minutes and someone for 90 meet at 60 in a 20–60
    frame, not at 75; only when every wish lies outside does the suggestion
    stay outside (and need the organisers' yes).
    """
    freq, minutes, mode, when = suggestion
    low, high = frequency_bounds(programme)
    if not low <= freq <= high and any(low <= (p.frequency_days or 0) <= high for p in proposals):
        candidates = {programme.frequency_days, 7, 14, 21, 30, 42, 60}
        inside = [d for d in candidates if low <= d <= high]
        freq = min(inside, key=lambda d: (abs(d - freq), -d))
    lo_min, hi_min = programme.min_minutes, programme.max_minutes
    if not lo_min <= minutes <= hi_min and any(
        lo_min <= (p.minutes or 0) <= hi_min for p in proposals
    ):
        minutes = max(lo_min, min(hi_min, minutes))
    return freq, minutes, mode, when


def compromise(proposals: list[RhythmProposal]) -> Suggestion:
    """Middle ground: the mean interval and the mean length, each rounded to a
    common value (the longer one on a tie), one shared mode or else hybrid."""
    days = mean(p.frequency_days or 30 for p in proposals)
    freq = min(STANDARD_DAYS, key=lambda d: (abs(d - days), -d))
    exact = {p.frequency_days for p in proposals}
    if len(exact) == 1:
        freq = exact.pop() or 30
    wanted = mean(p.minutes or 30 for p in proposals)
    minutes = min(COMMON_MINUTES, key=lambda m: (abs(m - wanted), -m))
    if len({p.minutes for p in proposals}) == 1:
        minutes = proposals[0].minutes or minutes
    modes = {p.mode for p in proposals}
    mode = modes.pop() if len(modes) == 1 else "hybrid"
    whens = [p.when_text for p in proposals if p.when_text]
    return freq, minutes, mode or "online", " / ".join(dict.fromkeys(whens))


def suggest(programme: Programme, proposals: list[RhythmProposal]) -> Suggestion:
    return within_frame(programme, compromise(proposals), proposals)


def signature(suggestion: Suggestion) -> str:
    return hashlib.sha1(repr(suggestion).encode()).hexdigest()[:8]


async def current_suggestion(
    work: Work, group: Group, programme: Programme
) -> tuple[Suggestion | None, str, bool]:
    """The suggestion from the proposals as they stand, its signature, and
    whether every member has accepted it (None while someone has not proposed)."""
    proposals = list(
        (
            await work.session.scalars(
                select(RhythmProposal).where(RhythmProposal.group_id == group.id)
            )
        ).all()
    )
    seats = await members_of(work.session, group.id)
    complete = [p for p in proposals if p.when_text is not None]
    if not complete or len(complete) < len(seats):
        return None, "", False
    suggestion = suggest(programme, complete)
    return suggestion, signature(suggestion), all(p.confirmed for p in complete)


def applied(rhythm: Rhythm, suggestion: Suggestion) -> bool:
    """Whether ``rhythm`` is already what the members agreed (an approved or
    inside-the-frame suggestion), as against one still waiting for an organiser."""
    return (rhythm.frequency_days, rhythm.minutes, rhythm.mode, rhythm.when_text) == suggestion


# -- agreeing ------------------------------------------------------------------
async def settle(ctx: Ctx, group: Group, member: Member | None, suggestion: Suggestion) -> None:
    """The rhythm applies: store it, tell everyone, and let the other flows go on."""
    _, programme = await group_and_programme(ctx.session, group.id)
    freq, minutes, mode, when = suggestion
    rhythm = Rhythm(
        group_id=group.id,
        frequency_days=freq,
        minutes=minutes,
        mode=mode,
        when_text=when,
        outside_frame=outside_frame(programme, freq, minutes),
        agreed_at=to_db(ctx.now),
    )
    ctx.session.add(rhythm)
    await ctx.session.flush()
    seats = await members_of(ctx.session, group.id)
    for seat in seats:
        if seat.person_id is None:
            continue
        person = await ctx.session.get(Person, seat.person_id)
        lang = person.language if person else programme.language
        reply = Reply(ctx.t_for(lang, "rhythm.agreed", text=describe_rhythm(ctx, rhythm, lang)))
        if seat.person_id == ctx.person.id:
            ctx.replies.append(ctx.out(Reply(reply.text, replace=True)))
        else:
            await ctx.tell(seat.person_id, reply, key=f"rhy:{group.id}:agreed:{seat.id}")
    first = member or next((s for s in seats if s.person_id is not None), None)
    if first is None:
        return
    for hook in ctx.flows.rhythm_agreed if ctx.flows else []:
        await hook(ctx, group, first)


async def changed(
    ctx: Ctx,
    group: Group,
    rhythm: Rhythm,
    suggestion: tuple[int, int, str, str],
    outside: bool,
) -> None:
    """A renegotiated rhythm replaces the agreed one; whatever reads it follows."""
    rhythm.frequency_days, rhythm.minutes, rhythm.mode, rhythm.when_text = suggestion
    rhythm.outside_frame = outside
    rhythm.agreed_at = to_db(ctx.now)
    await ctx.session.flush()
    _, programme = await group_and_programme(ctx.session, group.id)
    for seat in await members_of(ctx.session, group.id):
        if seat.person_id is None:
            continue
        person = await ctx.session.get(Person, seat.person_id)
        lang = person.language if person else programme.language
        text = ctx.t_for(lang, "lifecycle.rhythm.changed", text=describe_rhythm(ctx, rhythm, lang))
        if seat.person_id == ctx.person.id:
            ctx.replies.append(ctx.out(Reply(text, replace=True)))
        else:
            await ctx.tell(
                seat.person_id, Reply(text), key=f"rhy:{group.id}:changed:{ctx.now}:{seat.id}"
            )
    for hook in ctx.flows.rhythm_changed if ctx.flows else []:
        await hook(ctx, group)


async def ask_organisers(ctx: Ctx, group: Group, suggestion: Suggestion, sig: str) -> None:
    """Everyone accepted a rhythm outside the frame: ask the organisers, tell the pair."""
    _, programme = await group_and_programme(ctx.session, group.id)
    seats = await members_of(ctx.session, group.id)
    organisers = [o for o in await organisers_of(ctx.session, programme.id) if o.id]
    if not organisers:
        await send_back(ctx, group, programme, seats, "rhythm.frame_no_organiser")
        return
    names = [s.name for s in seats]
    for organiser in organisers:
        lang = organiser.language
        text = ctx.t_for(
            lang,
            "rhythm.frame_request",
            names=join_names(lang, names),
            programme=programme.name,
            text=describe(ctx, lang, *suggestion),
            frame=frame_text(ctx, lang, programme),
        )
        choices = (
            Choice(f"rfr:{group.id}:{sig}:yes", ctx.t_for(lang, "rhythm.frame_approve")),
            Choice(f"rfr:{group.id}:{sig}:no", ctx.t_for(lang, "rhythm.frame_decline")),
        )
        await ctx.tell(
            organiser.id, Reply(text, choices), key=f"rfr:{group.id}:{sig}:{organiser.id}"
        )
    for seat in seats:
        if seat.person_id is None:
            continue
        person = await ctx.session.get(Person, seat.person_id)
        lang = person.language if person else programme.language
        reply = Reply(ctx.t_for(lang, "rhythm.frame_waiting"), replace=True)
        if seat.person_id == ctx.person.id:
            ctx.replies.append(ctx.out(reply))
        else:
            await ctx.tell(
                seat.person_id, Reply(reply.text), key=f"rfr:{group.id}:{sig}:w{seat.id}"
            )


async def send_back(
    ctx: Ctx, group: Group, programme: Programme, seats: list[Member], key: str
) -> None:
    """Start the proposals over, and ask each member again, within the frame."""
    proposals = await ctx.session.scalars(
        select(RhythmProposal).where(RhythmProposal.group_id == group.id)
    )
    for proposal in proposals:
        proposal.confirmed = False
        proposal.when_text = None
    stamp = ctx.now.strftime("%Y%m%d%H%M%S")
    for seat in seats:
        if seat.person_id is None:
            continue
        person = await ctx.session.get(Person, seat.person_id)
        lang = person.language if person else programme.language
        reply = Reply(
            ctx.t_for(lang, key, frame=frame_text(ctx, lang, programme)),
            (Choice(f"rhy:{group.id}:redo", ctx.t_for(lang, "rhythm.propose_again")),),
        )
        if seat.person_id == ctx.person.id:
            ctx.replies.append(ctx.out(reply))
        else:
            await ctx.tell(seat.person_id, reply, key=f"rfr:{group.id}:back:{stamp}:{seat.id}")


async def is_organiser(ctx: Ctx, programme: Programme) -> bool:
    seat = await ctx.session.scalar(
        select(Member.id).where(
            Member.programme_id == programme.id,
            Member.role == "organiser",
            Member.person_id == ctx.person.id,
            Member.left_at.is_(None),
        )
    )
    return seat is not None


async def decide(ctx: Ctx, parts: list[str]) -> None:
    """An organiser's yes or no to a rhythm outside the frame (``rfr:<group>:<sig>:yes``)."""
    if len(parts) != 3 or not parts[0].isdigit() or parts[2] not in ("yes", "no"):
        ctx.say("basics.stale_button", private=True)
        return
    group = await lock_group(ctx.session, int(parts[0]))
    if group is None:
        ctx.say("basics.stale_button", private=True)
        return
    _, programme = await group_and_programme(ctx.session, group.id)
    if not await is_organiser(ctx, programme):
        ctx.say("basics.not_yours", private=True)
        return
    suggestion, sig, all_confirmed = await current_suggestion(ctx, group, programme)
    rhythm = await ctx.session.get(Rhythm, group.id)
    if suggestion is None or not all_confirmed or sig != parts[1]:
        ctx.say("rhythm.frame_decided", private=True)
        return
    if rhythm is not None and applied(rhythm, suggestion):
        ctx.say("rhythm.frame_decided", private=True)
        return
    names = join_names(ctx.lang, [s.name for s in await members_of(ctx.session, group.id)])
    if parts[2] == "yes":
        ctx.say("rhythm.frame_approved", names=names, replace=True)
        if rhythm is None:
            await settle(ctx, group, None, suggestion)
        else:  # a change asked for with /rhythm: the new one replaces the agreed one
            await changed(ctx, group, rhythm, suggestion, True)
    else:
        ctx.say("rhythm.frame_declined", names=names, replace=True)
        seats = await members_of(ctx.session, group.id)
        await send_back(ctx, group, programme, seats, "rhythm.frame_no")
