"""The mentee's companion: agenda, private journal, toolbox, a word with the organisers.

The guide puts the mentee in the driving seat: she decides what to talk about
(``/agenda``; her mentor sees the points in the coaching nudge), she gets a
preparation prompt before each meeting, keeps a private journal (``/note``),
finds the guide's toolbox (``/resources``) and can reach the organisers
confidentially when the match is not working or something is not okay
(``/contact``, guide section 4) without her partner ever seeing it.
Mentors can use all of it too.

``companion_seats`` knows which groups a person is in; ``companion_contact``
carries ``/contact`` to the organisers.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import func, select, update

from bot.core.choice_ids import parse_id
from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Choice, Reply
from bot.flows import attention
from bot.flows.coaching import expired, fall_through, log_shown, shown_to
from bot.flows.coaching_choice import next_in_cycle
from bot.flows.companion_contact import (
    contact_command,
    contact_text,
    deliver_to_organisers,
    programmes_of,
)
from bot.flows.companion_seats import (
    CONV,
    STEP_FOR,
    group_buttons,
    partner_names,
    seat_in,
    seats_of,
    start_step,
)
from bot.flows.meeting_facts import (
    MeetingFacts,
    facts_of,
    hours_setting,
    occurrence,
    open_agenda,
    schedule_before,
)
from bot.flows.registry import Flows
from bot.store.db import from_db, to_db
from bot.store.groups import group_and_programme, members_of
from bot.store.models import (
    AgendaItem,
    Group,
    Job,
    Meeting,
    Member,
    Note,
    Person,
)
from bot.wording import join_names

JOB = "coach_prep"
#: the mentee hears about the meeting before her mentor's nudge, so her points make it in
DEFAULT_PREP_HOURS = 48.0
MAX_OPEN_POINTS = 20
MAX_POINT = 500
NOTES_SHOWN = 8
NOTE_PREVIEW = 350


def register(flows: Flows) -> None:
    add = flows.commands.add
    add(CommandSpec("agenda", agenda_command, where=DM, args="text"))
    add(CommandSpec("note", note_command, where=DM, args="text"))
    add(CommandSpec("resources", resources_command))
    add(CommandSpec("contact", contact_command, where=DM, args="text"))
    flows.on_choice("cmp", choose)
    flows.on_text(CONV, text)
    flows.on_job(JOB, prep_job)
    flows.meeting_planned.append(plan_prep)
    flows.meeting_held.append(close_agenda)


# -- /agenda ---------------------------------------------------------------------
async def agenda_command(ctx: Ctx, args: str) -> None:
    seats = await seats_of(ctx, ctx.person.id)
    if not seats:
        ctx.say("companion.no_group")
        return
    dialog = await ctx.dialog(CONV)
    if len(seats) > 1:
        start_step(dialog, ctx.now, "agenda_pick", pending=args[:MAX_POINT])
        ctx.say("companion.pick_group", group_buttons(ctx, "agenda", seats))
        return
    seat, group = seats[0]
    if args:
        dialog.reset()
        if await _add_point(ctx, seat, group, args):
            await _say_added(ctx, group, "companion.agenda.added")
        return
    await _ask_for_points(ctx, dialog, group)


async def _ask_for_points(ctx: Ctx, dialog: Dialog, group: Group) -> None:
    start_step(dialog, ctx.now, "agenda", group_id=group.id)
    names = await partner_names(ctx, group.id, ctx.person.id)
    listing = await _agenda_listing(ctx, ctx.lang, group)
    ctx.reply(
        listing + "\n\n" + ctx.t("companion.agenda.ask", names=names),
        [ctx.choice("cmp:done", "companion.buttons.done")],
    )


async def _agenda_listing(work: Work, lang: str, group: Group) -> str:
    agenda = await open_agenda(work.session, group.id)
    if not agenda:
        return work.t_for(lang, "companion.agenda.empty")
    names = {m.id: m.name for m in await members_of(work.session, group.id)}
    lines = [work.t_for(lang, "companion.agenda.head")]
    for item in agenda:
        if item.source == "agreement":
            author = work.t_for(lang, "companion.agenda.from_agreement")
        else:
            author = names.get(item.member_id or 0, "")
        key = "companion.agenda.item_by" if author else "companion.agenda.item"
        lines.append(work.t_for(lang, key, text=item.text, name=author))
    return "\n".join(lines)


async def _add_point(ctx: Ctx, seat: Member, group: Group, point: str) -> bool:
    count = len(await open_agenda(ctx.session, group.id))
    if count >= MAX_OPEN_POINTS:
        ctx.say("companion.agenda.full", count=count)
        return False
    ctx.session.add(
        AgendaItem(
            group_id=group.id,
            member_id=seat.id,
            text=point[:MAX_POINT],
            source="member",
            created_at=to_db(ctx.now),
        )
    )
    await ctx.session.flush()
    return True


async def _say_added(ctx: Ctx, group: Group, key: str, choices: list[Choice] | None = None) -> None:
    names = await partner_names(ctx, group.id, ctx.person.id)
    listing = await _agenda_listing(ctx, ctx.lang, group)
    ctx.reply(ctx.t(key, names=names) + "\n\n" + listing, choices or [])


async def close_agenda(work: Work, meeting: Meeting) -> None:
    """The meeting took place: the points raised before it count as talked about."""
    end = from_db(meeting.starts_at) + timedelta(minutes=meeting.minutes)
    await work.session.execute(
        update(AgendaItem)
        .where(
            AgendaItem.group_id == meeting.group_id,
            AgendaItem.source == "member",
            AgendaItem.done_at.is_(None),
            AgendaItem.created_at <= to_db(end),
        )
        .values(done_at=to_db(work.now))
        .execution_options(synchronize_session=False)
    )


# -- /note ---------------------------------------------------------------------
async def note_command(ctx: Ctx, args: str) -> None:
    if args:
        (await ctx.dialog(CONV)).reset()
        await _save_note(ctx, args)
        return
    total = await ctx.session.scalar(
        select(func.count(Note.id)).where(Note.person_id == ctx.person.id)
    )
    write = [ctx.choice("cmp:note", "companion.buttons.write_note")]
    if not total:
        ctx.say("companion.note.empty", write)
        return
    latest = list(
        (
            await ctx.session.scalars(
                select(Note)
                .where(Note.person_id == ctx.person.id)
                .order_by(Note.created_at.desc(), Note.id.desc())
                .limit(NOTES_SHOWN)
            )
        ).all()
    )
    lines = [ctx.t("companion.note.head")]
    if total > len(latest):
        lines.append(ctx.t("companion.note.more", shown=len(latest), count=total))
    pattern = ctx.t("companion.note.date_format")
    zone = ZoneInfo(ctx.person.timezone)
    for note in reversed(latest):
        date = format_datetime(from_db(note.created_at).astimezone(zone), pattern, locale=ctx.lang)
        body = note.text if len(note.text) <= NOTE_PREVIEW else note.text[:NOTE_PREVIEW] + "…"
        key = "companion.note.reflection" if note.kind == "reflection" else "companion.note.item"
        lines.append(ctx.t(key, date=date, text=body))
    ctx.reply("\n\n".join(lines), write)


async def _save_note(ctx: Ctx, body: str) -> None:
    seats = await seats_of(ctx, ctx.person.id)
    ctx.session.add(
        Note(
            person_id=ctx.person.id,
            group_id=seats[0][1].id if len(seats) == 1 else None,
            kind="note",
            prompt_id=None,
            text=body,
            created_at=to_db(ctx.now),
        )
    )
    ctx.say("companion.note.saved")


# -- /resources ----------------------------------------------------------------
async def resources_command(ctx: Ctx, _args: str) -> None:
    lines = [ctx.t("companion.resources.intro")]
    for resource in ctx.content.resources.resources:
        lines.append(
            ctx.t("companion.resources.item", text=resource.text(ctx.lang), url=resource.url)
        )
    ctx.reply("\n".join(lines))


# -- buttons and typed answers -----------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    action = parts[0] if parts else ""
    target = parse_id(parts[1]) if len(parts) == 2 else None
    if len(parts) == 2 and target is None:
        ctx.say("basics.stale_button", private=True)
        return
    dialog = await ctx.dialog(CONV)
    if action == "agenda" and target is not None:
        found = await seat_in(ctx, target)
        if found is None:
            ctx.say("basics.not_yours", private=True)
            return
        seat, group = found
        pending = dialog.data.get("pending") if dialog.step == "agenda_pick" else None
        if pending:
            dialog.reset()
            if await _add_point(ctx, seat, group, str(pending)):
                await _say_added(ctx, group, "companion.agenda.added")
            return
        await _ask_for_points(ctx, dialog, group)
    elif action == "org" and target is not None and dialog.step == "contact_pick":
        programme = next((p for p in await programmes_of(ctx) if p.id == target), None)
        if programme is None:
            ctx.say("basics.not_yours", private=True)
            return
        pending = str(dialog.data.get("pending") or "")
        dialog.reset()
        await deliver_to_organisers(ctx, programme, pending)
    elif action == "note" and target is None:
        start_step(dialog, ctx.now, "note")
        ctx.say("companion.note.ask", [ctx.choice("cmp:cancel", "companion.buttons.cancel")])
    elif action == "done" and target is None:
        group_id = dialog.data.get("group_id") if dialog.step == "agenda" else None
        dialog.reset()
        names = await partner_names(ctx, int(group_id), ctx.person.id) if group_id else ""
        ctx.say("companion.agenda.done", names=names)
    elif action == "cancel" and target is None:
        was_contact = (dialog.step or "").startswith("contact")
        dialog.reset()
        ctx.say("companion.contact.cancelled" if was_contact else "companion.cancelled")
    else:
        ctx.say("basics.stale_button", private=True)


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    if expired(dialog, ctx.now, STEP_FOR) or not message:
        dialog.reset()
        await fall_through(ctx, message)
        return
    step = dialog.step
    if step == "agenda":
        found = await seat_in(ctx, int(dialog.data.get("group_id") or 0))
        if found is None:
            dialog.reset()
            await fall_through(ctx, message)
            return
        seat, group = found
        if await _add_point(ctx, seat, group, message):
            dialog.go("agenda", since=ctx.now.isoformat())
            await _say_added(
                ctx,
                group,
                "companion.agenda.added_more",
                [ctx.choice("cmp:done", "companion.buttons.done")],
            )
    elif step == "note":
        dialog.reset()
        await _save_note(ctx, message)
    elif step == "contact":
        await contact_text(ctx, dialog, await programmes_of(ctx), message)
    else:  # a pick is waiting for a button; typed text is something else
        dialog.reset()
        await fall_through(ctx, message)


# -- before each meeting: the mentee's preparation -----------------------------------
async def plan_prep(work: Work, meeting: Meeting) -> None:
    _, programme = await group_and_programme(work.session, meeting.group_id)
    hours = hours_setting(programme, "prep_hours", DEFAULT_PREP_HOURS)
    await schedule_before(work, meeting, JOB, hours, meeting.group_id)


async def prep_job(work: Work, job: Job) -> None:
    facts = await facts_of(work, int(job.payload["meeting_id"]))
    if facts is None or not await attention.may_send(work, facts.group):
        return
    for seat, person in facts.mentees:
        reply = await _prep(work, facts, person)
        await work.tell(person.id, reply, key=f"job:{job.id}:{seat.id}")


async def _prep(work: Work, facts: MeetingFacts, person: Person) -> Reply:
    lang = person.language
    mentor_names = join_names(lang, [m.name for m, _ in facts.mentors]) or facts.names_except(
        person.id
    )
    parts = [
        work.t_for(
            lang,
            "companion.prep.intro",
            names=facts.names_except(person.id),
            details=occurrence(work, facts.meeting, person),
        )
    ]
    shown = [r.item_id for r in await shown_to(work.session, person.id, "prep")]
    prompt = next_in_cycle(work.content.prompts.mentee_prep, shown)
    if prompt is not None:
        await log_shown(work, person.id, facts.group.id, "prep", prompt.id)
        parts.append(work.t_for(lang, "companion.prep.prompt", prompt=prompt.text(lang)))
    icebreaker = facts.icebreaker(work.content)
    if icebreaker is not None:
        parts.append(work.t_for(lang, "companion.prep.icebreaker", prompt=icebreaker.text(lang)))
    bonding = facts.bonding(work.content)
    if bonding is not None:
        mode = work.t_for(lang, f"agreement.mode_met.{facts.meeting.mode}")
        parts.append(
            work.t_for(lang, "companion.prep.bonding", mode=mode, prompt=bonding.text(lang))
        )
    parts.append(await _agenda_listing(work, lang, facts.group))
    parts.append(work.t_for(lang, "companion.prep.add", names=mentor_names))
    choices = (
        Choice(f"cmp:agenda:{facts.group.id}", work.t_for(lang, "companion.buttons.add_agenda")),
    )
    return Reply("\n\n".join(parts), choices)
