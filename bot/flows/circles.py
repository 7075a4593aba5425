"""Group circles in a shared chat (guide section 6: peers as a source of support).

A circle (one mentor, two to eight mentees) — or a pair that prefers a
group chat — is bound to a Telegram group or Discord channel with
``/bind``.  There the circle answers its agreement together, picks its
meeting time by a poll of proposed times (``/poll time; time; time``), and
before each session gets a peer-sharing activity from content.  Private
things (feedback, notes) stay in each member's private chat.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.choice_ids import parse_id
from bot.core.commands import GROUP, CommandSpec
from bot.core.context import Ctx, Work
from bot.core.types import Address, Choice, Reply
from bot.flows import attention
from bot.flows.registry import Flows
from bot.store.db import from_db, to_db
from bot.store.groups import group_and_programme, members_of
from bot.store.jobs import schedule
from bot.store.models import Group, Identity, Job, Meeting, Member, Rhythm
from bot.wording import join_names

MAX_OPTIONS = 5
PRIVATE_WORDS = ("private", "privat", "new", "ny")
ACTIVITY_HOURS_BEFORE = 24


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("bind", bind, args="private", where=GROUP))
    flows.commands.add(CommandSpec("poll", poll, args="times", where=GROUP))
    flows.on_choice("poll", vote)
    flows.on_job("circle_activity", activity)
    flows.meeting_planned.append(plan_activity)


def chat_address(group: Group) -> Address | None:
    if group.chat_platform is None or group.chat_id is None:
        return None
    return Address(group.chat_platform, group.chat_id, None, "group")


async def group_for_chat(ctx: Ctx) -> Group | None:
    return await ctx.session.scalar(
        select(Group).where(
            Group.chat_platform == ctx.address.platform, Group.chat_id == ctx.address.chat_id
        )
    )


async def _seat(ctx: Ctx, group: Group) -> Member | None:
    return await ctx.session.scalar(
        select(Member).where(
            Member.group_id == group.id, Member.person_id == ctx.person.id, Member.left_at.is_(None)
        )
    )


async def bind(ctx: Ctx, args: str) -> None:
    """Make this chat the circle's meeting place (the mentor, or any member).

    ``/bind private`` asks the platform for a new members-only chat instead
    (a Discord channel only the circle can see) when the bot has the right;
    otherwise this chat is bound and the member is told why.
    """
    bound = await group_for_chat(ctx)
    if bound is not None:
        if await _seat(ctx, bound) is None:
            ctx.say("circles.not_member", private=True)
        else:
            ctx.say("circles.already_bound", name=bound.name)
        return
    seats = list(
        (
            await ctx.session.scalars(
                select(Member)
                .where(
                    Member.person_id == ctx.person.id,
                    Member.group_id.is_not(None),
                    Member.left_at.is_(None),
                )
                .order_by(Member.role.desc())
            )
        ).all()
    )
    groups = [await ctx.session.get(Group, s.group_id) for s in seats]
    free = [g for g in groups if g is not None and g.chat_id is None]
    free.sort(key=lambda g: g.kind != "circle")
    if not free:
        ctx.say("circles.nothing_to_bind", private=True)
        return
    group = free[0]
    names = join_names(ctx.lang, [m.name for m in await members_of(ctx.session, group.id)])
    if args.strip().lower() in PRIVATE_WORDS:
        created = await _create_private_chat(ctx, group)
        if created is not None:
            group.chat_platform, group.chat_id = created.platform, created.chat_id
            ctx.say("circles.created", name=group.name)
            lang = (await group_and_programme(ctx.session, group.id))[1].language
            text = ctx.t_for(lang, "circles.bound", name=group.name, members=names)
            await ctx.post(created, Reply(text), key=f"circle:{group.id}:welcome")
            return
        ctx.say("circles.cannot_create")
    group.chat_platform = ctx.address.platform
    group.chat_id = ctx.address.chat_id
    ctx.say("circles.bound", name=group.name, members=names)


async def _create_private_chat(ctx: Ctx, group: Group) -> Address | None:
    factory = ctx.chats.get(ctx.address.platform)
    if factory is None:
        return None
    user_ids = []
    for seat in await members_of(ctx.session, group.id):
        if seat.person_id is None:
            continue
        ident = await ctx.session.scalar(
            select(Identity).where(
                Identity.person_id == seat.person_id, Identity.platform == ctx.address.platform
            )
        )
        if ident is not None:
            user_ids.append(ident.user_id)
    created: Address | None = await factory.create_group_chat(ctx.address, group.name, user_ids)
    return created


# -- the poll ------------------------------------------------------------------
async def poll(ctx: Ctx, args: str) -> None:
    # the date grammars load after ready (bot.cli's warm-up), or here on first use
    from bot.time.parsing import OneOff, ParseFailure, Recurring, parse_when

    group = await group_for_chat(ctx)
    seat = await _seat(ctx, group) if group else None
    if group is None or seat is None:
        ctx.say("circles.bind_first" if group is None else "circles.not_member", private=True)
        return
    texts = [t.strip() for t in args.replace("\n", ";").split(";") if t.strip()]
    if not 2 <= len(texts) <= MAX_OPTIONS:
        ctx.say("circles.poll_usage", max=MAX_OPTIONS)
        return
    _, programme = await group_and_programme(ctx.session, group.id)
    rhythm = await ctx.session.get(Rhythm, group.id)
    poll_id = uuid.uuid4().hex[:8]
    options: list[Meeting] = []
    for number, text in enumerate(texts, 1):
        result = parse_when(text, now=ctx.now, tz=ctx.person.timezone, lang=ctx.lang)
        if isinstance(result, ParseFailure) or not result.has_time:
            reason = result.reason if isinstance(result, ParseFailure) else "ambiguous"
            ctx.say(
                "circles.poll_bad_option",
                number=number,
                text=text[:60],
                reason=ctx.t(f"meetings.parse.{reason}"),
            )
            return
        start = result.start if isinstance(result, OneOff) else result.first
        option = Meeting(
            group_id=group.id,
            uid=uuid.uuid4().hex,
            series_uid=uuid.uuid4().hex,
            starts_at=to_db(start),
            minutes=rhythm.minutes if rhythm else programme.max_minutes,
            mode=rhythm.mode if rhythm else programme.mode,
            rrule=result.rrule if isinstance(result, Recurring) else None,
            tz=result.tz if isinstance(result, Recurring) else ctx.person.timezone,
            status="option",
            proposed_by=seat.id,
            sequence=0,
            data={"poll": poll_id, "number": number, "votes": []},
            created_at=to_db(ctx.now),
            updated_at=to_db(ctx.now),
        )
        ctx.session.add(option)
        options.append(option)
    await ctx.session.flush()
    lang = programme.language
    ctx.reply(await _poll_text(ctx, group, options, lang), _poll_choices(ctx, options, lang))


async def _options(ctx: Work, group_id: int, poll_id: str) -> list[Meeting]:
    rows = await ctx.session.scalars(
        select(Meeting).where(Meeting.group_id == group_id, Meeting.status == "option")
    )
    return sorted(
        (m for m in rows if m.data.get("poll") == poll_id), key=lambda m: m.data["number"]
    )


def _poll_choices(ctx: Ctx, options: list[Meeting], lang: str) -> list[Choice]:
    return [
        Choice(f"poll:{m.id}", ctx.t_for(lang, "circles.vote_button", number=m.data["number"]))
        for m in options
    ]


def _option_when(ctx: Work, option: Meeting, lang: str) -> str:
    from bot.time import formatting as timefmt

    when = timefmt.when(ctx.content, lang, from_db(option.starts_at), option.tz)
    if option.rrule:
        rule = timefmt.describe_rule(ctx.content, lang, option.rrule)
        when = ctx.t_for(lang, "meetings.series", rule=rule, first=when)
    return f"{when} ({option.tz})"


async def _poll_text(ctx: Ctx, group: Group, options: list[Meeting], lang: str) -> str:
    """The poll as the group sees it: in the programme's language, each time in the
    proposer's zone, which is named so nobody is misled."""
    seats = {m.id: m.name for m in await members_of(ctx.session, group.id)}
    lines = [ctx.t_for(lang, "circles.poll_head")]
    for option in options:
        voters = [seats.get(v, "?") for v in option.data.get("votes", [])]
        lines.append(
            ctx.t_for(
                lang,
                "circles.poll_line",
                number=option.data["number"],
                when=_option_when(ctx, option, lang),
                votes=len(voters),
                names=", ".join(voters) or "–",
            )
        )
    lines.append(ctx.t_for(lang, "circles.poll_foot"))
    return "\n".join(lines)


async def vote(ctx: Ctx, parts: list[str]) -> None:
    option_id = parse_id(parts[0]) if len(parts) == 1 else None
    if option_id is None:
        ctx.say("basics.stale_button", private=True)
        return
    option = await ctx.session.get(Meeting, option_id)
    group = await ctx.session.get(Group, option.group_id) if option else None
    seat = await _seat(ctx, group) if group else None
    if option is None or group is None or seat is None:
        ctx.say("basics.not_yours", private=True)
        return
    _, programme = await group_and_programme(ctx.session, group.id)
    lang = programme.language
    if option.status != "option":
        ctx.say("circles.poll_closed", private=True)
        return
    votes = list(option.data.get("votes", []))
    if seat.id in votes:
        votes.remove(seat.id)
    else:
        votes.append(seat.id)
    option.data = {**option.data, "votes": votes}
    options = await _options(ctx, group.id, option.data["poll"])
    seats = await members_of(ctx.session, group.id)
    voted = {v for o in options for v in o.data.get("votes", [])}
    if all(s.id in voted for s in seats):
        await _decide(ctx, group, options, lang)
        return
    ctx.reply(
        await _poll_text(ctx, group, options, lang), _poll_choices(ctx, options, lang), replace=True
    )


async def _decide(ctx: Ctx, group: Group, options: list[Meeting], lang: str) -> None:
    """Everyone has voted: the option with most votes (earliest on a tie) is booked."""
    from bot.flows.meetings import plan

    winner = max(
        options, key=lambda o: (len(o.data.get("votes", [])), -from_db(o.starts_at).timestamp())
    )
    for option in options:
        if option.id != winner.id:
            option.status = "replaced"
    new_rhythm = await ctx.session.get(Rhythm, group.id) is None
    if new_rhythm:
        ctx.session.add(
            Rhythm(
                group_id=group.id,
                frequency_days=_interval(winner),
                minutes=winner.minutes,
                mode=winner.mode,
                when_text="",
                outside_frame=False,
                agreed_at=to_db(ctx.now),
            )
        )
    winner.data = {k: v for k, v in winner.data.items() if k not in ("poll", "votes", "number")}
    ctx.reply(
        ctx.t_for(lang, "circles.poll_decided", when=_option_when(ctx, winner, lang)), replace=True
    )
    await plan(ctx, winner, group)
    if new_rhythm:  # the poll settled the circle's rhythm: its agreement item too
        await ctx.session.flush()
        seat = await _seat(ctx, group)
        if seat is not None:
            for hook in ctx.flows.rhythm_agreed if ctx.flows else []:
                await hook(ctx, group, seat)


def _interval(meeting: Meeting) -> int:
    rule = meeting.rrule or ""
    interval = 1
    for part in rule.split(";"):
        if part.startswith("INTERVAL="):
            interval = int(part.split("=", 1)[1] or 1)
    if "FREQ=WEEKLY" in rule:
        return 7 * interval
    if "FREQ=DAILY" in rule:
        return interval
    return 30 * interval


# -- peer-sharing activities -------------------------------------------------------
async def plan_activity(work: Work, meeting: Meeting) -> None:
    group = await work.session.get(Group, meeting.group_id)
    if group is None or chat_address(group) is None:
        return
    due = from_db(meeting.starts_at) - timedelta(hours=ACTIVITY_HOURS_BEFORE)
    await schedule(
        work.session,
        "circle_activity",
        max(due, work.now),
        key=f"circle:{meeting.id}:activity",
        group_id=group.id,
        payload={"meeting_id": meeting.id},
    )


async def activity(work: Work, job: Job) -> None:
    meeting = await work.session.get(Meeting, int(job.payload["meeting_id"]))
    group = await work.session.get(Group, job.group_id) if job.group_id else None
    address = chat_address(group) if group else None
    if meeting is None or group is None or address is None or meeting.status != "planned":
        return
    if group.status == "paused" or not await attention.may_send(work, group):
        return
    done = await work.session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.group_id == group.id, Job.kind == "circle_activity", Job.done_at.is_not(None))
    )
    bank = work.content.prompts.circle_activities
    item = bank[int(done or 0) % len(bank)]
    _, programme = await group_and_programme(work.session, group.id)
    lang = programme.language
    text = work.t_for(lang, "circles.activity", title=item.title(lang), text=item.text(lang))
    await work.post(address, Reply(text), key=f"circle:{meeting.id}:activity")
