"""Joining a programme: ``/start <code>`` (``/join`` on Discord) and onboarding.

Steps (one dialog, ``onboarding``): language → time zone (suggested,
confirmed, or typed as a city or zone) → the role explained → privacy notice
with consent.  When the last member of a pair or circle has consented, every
member is told and the group's completion hooks (the agreement) start.

Whoever waits for a partner is kept informed: each newcomer of a circle is
announced to those already there, and when the organisers' never-joined
digest has told them about an empty seat (the ``absentees_reported`` hook),
the waiting members hear so, once per seat.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, select

from bot.core.choice_ids import parse_id
from bot.core.commands import CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows import basics
from bot.flows.companion_contact import forward_waiting_contacts
from bot.flows.registry import Flows
from bot.organiser.programmes import check_invite
from bot.store.db import to_db
from bot.store.groups import group_and_programme, members_of, memberships, organiser_programmes
from bot.store.jobs import gathered
from bot.store.models import Group, Invite, Member, Person, Programme
from bot.time.zones import resolve_zone
from bot.wording import join_names

CONV = "onboarding"


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("start", start, args="code"))
    flows.commands.add(CommandSpec("join", start, args="code"))
    flows.on_choice("onb", choose)
    flows.on_text(CONV, text)
    flows.absentees_reported.append(tell_waiting)


async def start(ctx: Ctx, args: str) -> None:
    code = args.strip()
    if not code:
        await _welcome_back_or_new(ctx)
        return
    invite, problem = await check_invite(ctx.session, code, ctx.now)
    if problem == "used" and invite is not None:
        member = await ctx.session.get(Member, invite.member_id)
        if member is not None and member.person_id == ctx.person.id:
            await _resume(ctx, member)
            return
    if problem == "unknown":
        for hook in ctx.flows.code_redeem if ctx.flows is not None else []:
            found = await hook(ctx, code)
            if isinstance(found, Member):
                await _claim(ctx, None, found)
                return
            if found:
                return
    if problem is not None or invite is None:
        ctx.say(f"onboarding.invite.{problem}", private=True)
        return
    member = await _seat_with_programme(ctx, invite.member_id)
    if member is None or member.person_id is not None:
        ctx.say("onboarding.invite.used", private=True)
        return
    if member.group_id is not None and await _already_in_group(ctx, member.group_id):
        ctx.say("onboarding.invite.same_group", private=True)
        return
    await _claim(ctx, invite, member)


@cache
def _seat_and_programme() -> Select[Member, Programme]:
    return (
        select(Member, Programme)
        .join(Programme, Programme.id == Member.programme_id)
        .where(Member.id == bindparam("member_id"))
    )


async def _seat_with_programme(ctx: Ctx, member_id: int) -> Member | None:
    """The invited seat, its programme read along (claiming the seat needs
    it): one query where ``session.get`` of each took two."""
    row = (await ctx.session.execute(_seat_and_programme(), {"member_id": member_id})).first()
    return row[0] if row is not None else None


async def _already_in_group(ctx: Ctx, group_id: int) -> bool:
    found = await ctx.session.scalar(
        select(Member.id).where(Member.group_id == group_id, Member.person_id == ctx.person.id)
    )
    return found is not None


async def _claim(ctx: Ctx, invite: Invite | None, member: Member) -> None:
    if invite is not None:
        invite.used_at = to_db(ctx.now)
    member.person_id = ctx.person.id
    member.joined_at = to_db(ctx.now)
    programme = await ctx.session.get(Programme, member.programme_id)
    assert programme is not None
    if ctx.person.onboarded_at is None:
        # Someone new is greeted in the programme's language; the first
        # question then lets them choose their own.
        ctx.person.language = programme.language
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go("lang", member_id=member.id)
    ctx.say(
        "onboarding.greet",
        _language_choices(member.id),
        name=member.name,
        programme=programme.name,
        role=ctx.t(f"roles.{member.role}"),
    )


async def _resume(ctx: Ctx, member: Member) -> None:
    dialog = await ctx.dialog(CONV)
    if ctx.person.onboarded_at is not None and dialog.step is None:
        ctx.say("onboarding.invite.already_joined", private=True)
        return
    await _ask(ctx, dialog, member)


async def _welcome_back_or_new(ctx: Ctx) -> None:
    seats = await memberships(ctx.session, ctx.person.id)
    organises = await organiser_programmes(ctx.session, ctx.person.id)
    applied = await ctx.session.scalar(  # signed up, waiting for a match
        select(Member.id).where(Member.person_id == ctx.person.id, Member.left_at.is_(None))
    )
    if not seats and not organises and applied is None:
        await basics.welcome(ctx)
        return
    dialog = await ctx.dialog(CONV)
    if dialog.step is not None:
        member = await ctx.session.get(Member, dialog.data.get("member_id", 0))
        if member is not None:
            await _ask(ctx, dialog, member)
            return
    ctx.say("onboarding.welcome_back", basics.menu_choices(ctx), name=ctx.person.display_name)


def _language_choices(member_id: int) -> list[Choice]:
    return [
        Choice(f"onb:{member_id}:lang:sv", "Svenska"),
        Choice(f"onb:{member_id}:lang:en", "English"),
    ]


async def _ask(ctx: Ctx, dialog: Dialog, member: Member, *, replace: bool = False) -> None:
    """(Re)ask the question of the current step."""
    mid = member.id
    step = dialog.step
    if step == "lang":
        programme = await ctx.session.get(Programme, member.programme_id)
        ctx.say(
            "onboarding.greet",
            _language_choices(mid),
            name=member.name,
            programme=programme.name if programme else "",
            role=ctx.t(f"roles.{member.role}"),
        )
    elif step == "tz":
        ctx.say(
            "onboarding.tz.ask",
            [
                ctx.choice(f"onb:{mid}:tz:ok", "onboarding.tz.yes"),
                ctx.choice(f"onb:{mid}:tz:other", "onboarding.tz.other"),
            ],
            replace=replace,
            zone=ctx.person.timezone,
        )
    elif step == "tz_typed":
        ctx.say("onboarding.tz.type", replace=replace)
    elif step == "role":
        ctx.say(
            f"onboarding.role.{member.role}",
            [ctx.choice(f"onb:{mid}:role:ok", "onboarding.role.ok")],
            replace=replace,
        )
    elif step == "privacy":
        ctx.say(
            "onboarding.privacy.notice",
            [
                ctx.choice(f"onb:{mid}:privacy:yes", "onboarding.privacy.yes"),
                ctx.choice(f"onb:{mid}:privacy:no", "onboarding.privacy.no"),
            ],
            replace=replace,
        )


async def choose(ctx: Ctx, parts: list[str]) -> None:
    member_id = parse_id(parts[0]) if len(parts) == 3 else None
    if member_id is None:
        ctx.say("basics.stale_button", private=True)
        return
    member = await ctx.session.get(Member, member_id)
    if member is None or member.person_id != ctx.person.id:
        ctx.say("basics.not_yours", private=True)
        return
    step, value = parts[1], parts[2]
    dialog = await ctx.dialog(CONV)
    if dialog.step != step or dialog.data.get("member_id") != member.id:
        ctx.say("basics.stale_button", private=True)
        return
    if step == "lang" and value in ("sv", "en"):
        ctx.person.language = value
        dialog.go("tz")
        await _ask(ctx, dialog, member, replace=True)
    elif step == "tz" and value == "ok":
        dialog.go("role")
        await _ask(ctx, dialog, member, replace=True)
    elif step == "tz" and value == "other":
        dialog.go("tz_typed")
        await _ask(ctx, dialog, member, replace=True)
    elif step == "role" and value == "ok":
        dialog.go("privacy")
        await _ask(ctx, dialog, member, replace=True)
    elif step == "privacy" and value == "yes":
        dialog.reset()
        await _finish(ctx, member)
    elif step == "privacy" and value == "no":
        ctx.say(
            "onboarding.privacy.declined",
            [ctx.choice(f"onb:{member.id}:privacy:yes", "onboarding.privacy.changed_mind")],
            replace=True,
        )
    else:
        ctx.say("basics.stale_button", private=True)


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    member = await ctx.session.get(Member, dialog.data.get("member_id", 0))
    if member is None or member.person_id != ctx.person.id:
        dialog.reset()
        ctx.say("basics.fallback", basics.menu_choices(ctx))
        return
    if dialog.step == "tz_typed":
        zone = resolve_zone(message)
        if zone is None:
            ctx.say("onboarding.tz.unknown", text=message[:64])
            return
        ctx.person.timezone = zone
        dialog.go("role")
        ctx.say("onboarding.tz.set", zone=zone)
        await _ask(ctx, dialog, member)
        return
    ctx.say("onboarding.use_buttons")
    await _ask(ctx, dialog, member)


async def _finish(ctx: Ctx, member: Member) -> None:
    ctx.person.consent_at = to_db(ctx.now)
    ctx.person.onboarded_at = to_db(ctx.now)
    if member.role == "organiser":
        programme = await ctx.session.get(Programme, member.programme_id)
        ctx.say("onboarding.done.organiser", programme=programme.name if programme else "")
        if programme is not None:
            await forward_waiting_contacts(ctx, programme, ctx.person.id)
        return
    if member.group_id is None:  # an application: the matching flow takes over
        for hook in ctx.flows.seat_ready if ctx.flows is not None else []:
            await hook(ctx, member)
        return
    group, programme = await group_and_programme(ctx.session, member.group_id)
    seats = await members_of(ctx.session, group.id)
    ready: list[tuple[Member, Person]] = []
    for seat in seats:
        person = await ctx.session.get(Person, seat.person_id) if seat.person_id else None
        if person is not None and person.consent_at is not None:
            ready.append((seat, person))
    waiting = [s.name for s in seats if s.id not in {m.id for m, _ in ready}]
    if waiting:
        key = "onboarding.done.waiting_pair" if group.kind == "pair" else "onboarding.done.waiting"
        ctx.say(key, names=join_names(ctx.lang, waiting))
        for seat, person in ready:  # those already waiting hear of the newcomer
            if person.id != ctx.person.id:
                text = ctx.t_for(
                    person.language,
                    "onboarding.newcomer",
                    name=member.name,
                    names=join_names(person.language, waiting),
                )
                await ctx.tell(person.id, Reply(text), key=f"newcomer:{member.id}:{seat.id}")
        await _joined(ctx, group, member)
        return
    # before the agreement starts, so that its first item is the newest question
    await _joined(ctx, group, member)
    await _complete(ctx, group, programme, ready)


async def _joined(ctx: Ctx, group: Group, member: Member) -> None:
    for joined in ctx.flows.member_joined if ctx.flows is not None else []:
        await joined(ctx, group, member)


async def _complete(
    ctx: Ctx, group: Group, programme: Programme, ready: list[tuple[Member, Person]]
) -> None:
    # A seat filled again after someone left: the others meet their new partner.
    again = group.status == "incomplete"
    group.status = "active"
    group.completed_at = to_db(ctx.now)
    newcomer = next((m for m, p in ready if p.id == ctx.person.id), None)
    for seat, person in ready:
        others = join_names(person.language, [m.name for m, _ in ready if m.id != seat.id])
        key = f"onboarding.complete.{group.kind}"
        if again and newcomer is not None and seat.id != newcomer.id:
            key, others = f"lifecycle.rejoined.{group.kind}", newcomer.name
        text = ctx.t_for(person.language, key, others=others, programme=programme.name)
        if person.id == ctx.person.id:
            ctx.reply(text)
        else:
            dedupe = f"complete:{group.id}:{seat.id}" + (
                f":{newcomer.id}" if again and newcomer else ""
            )
            await ctx.tell(person.id, Reply(text), key=dedupe)
    # the jobs the hooks plan (agreement reminder, check-ins, evaluations,
    # follow-ups, health, the programme's close) go in one statement at the
    # end: no hook reads a pending job another one plans
    async with gathered(ctx.session):
        for hook in ctx.flows.group_complete if ctx.flows is not None else []:
            await hook(ctx, group)


async def tell_waiting(work: Work, group: Group, absent: list[Member]) -> None:
    """The organisers were told these seats are still empty: tell whoever waits,
    once per empty seat (a weekly digest does not repeat the news)."""
    empty = [seat for seat in absent if seat.person_id is None and seat.left_at is None]
    if not empty:
        return
    names = ", ".join(seat.name for seat in empty)
    stamp = "-".join(str(seat.id) for seat in empty)
    for seat in await members_of(work.session, group.id):
        person = await work.session.get(Person, seat.person_id) if seat.person_id else None
        if person is None or person.consent_at is None or person.unreachable_at is not None:
            continue
        text = work.t_for(person.language, f"onboarding.waiting_told.{group.kind}", names=names)
        await work.tell(person.id, Reply(text), key=f"waiting:{group.id}:{stamp}:{seat.id}")
