"""``/forget``: erase a person so that nothing of them is left in the database file.

Forgetting keeps the programme's statistics whole but anonymous: the seat
stays (so counts and ratings still add up) with no name and no person behind
it.  Everything the person typed is deleted where it is theirs alone (notes,
agenda points, next steps, proposals, messages to organisers, feedback texts,
their raw updates) and rewritten where it is shared history: a completed agreement keeps
its agreed text, with the person's name replaced by their role ("the mentee",
in the text's own language) and their own words by a neutral mark.  Finally
every other table is searched for the person's names and typed texts
(:func:`bot.store.scrub.scrub_tables`), so copies in alerts, group names and
queued messages go too.

Deleting a row in SQLite leaves its bytes in free pages and in the WAL; the
database runs with ``secure_delete`` (freed content is zeroed) and the
transaction asks for a ``wal_checkpoint(TRUNCATE)`` after it commits.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, func, select

from bot.core.context import Ctx, Work
from bot.core.types import Reply
from bot.organiser.lifecycle import leave
from bot.store.db import WIPE_WAL, from_db, to_db
from bot.store.groups import members_of, organisers_of
from bot.store.models import (
    AgendaItem,
    Agreement,
    Base,
    DialogState,
    FeedbackAnswer,
    Group,
    Identity,
    Job,
    Member,
    Note,
    OrganiserMessage,
    OutboxMessage,
    Person,
    Rhythm,
    RhythmProposal,
)
from bot.store.retention import STRANGER_DAYS, plan_stranger_purge
from bot.store.scrub import Needles, delete_rows_sent_by, scrub_tables
from bot.store.steps_model import NextStep

#: the agreed text of a completed version, per language (see flows.agreement)
SNAPSHOT = "text"

#: tables that name people on purpose; their rows for this person are handled
#: one by one, and a name shared with someone else must not touch theirs; the
#: slim key tables hold only keys made of row ids and fixed words (no words of
#: anyone's), and a rewritten key would no longer keep its message or job unique
NOT_SCANNED = {
    "people",
    "identities",
    "members",
    "alembic_version",
    "outbox_sent",
    "job_keys",
    "job_kinds",  # the names of job kinds, fixed words
}


async def erase(ctx: Ctx) -> None:
    """Delete the person; anonymise their seats; tell the others (without a name)."""
    s = ctx.session
    person = ctx.person
    seats = list((await s.scalars(select(Member).where(Member.person_id == person.id))).all())
    identities = list(
        (await s.scalars(select(Identity).where(Identity.person_id == person.id))).all()
    )
    needles = Needles(
        names={
            person.display_name,
            *(m.name for m in seats),
            # a chat user name ("bea"); numeric platform ids would match numbers
            *(i.user_id for i in identities if any(ch.isalpha() for ch in i.user_id)),
        },
        texts=await typed_texts(ctx, seats),
    )
    for hook in ctx.flows.erase_person if ctx.flows is not None else []:
        await hook(ctx, seats, set(needles.names))
    partners: set[int] = set()
    for seat in seats:
        if seat.group_id is not None:
            # /forget implies leaving: the group is told (without a name), its
            # meetings cancelled, and it waits, flagged, for a new member
            await leave(ctx, seat, forgetting=True)
        else:
            await _tell_left(ctx, seat)
        if seat.group_id is not None:
            partners |= {m.person_id for m in await members_of(s, seat.group_id) if m.person_id}
            rhythm = await s.get(Rhythm, seat.group_id)
            if rhythm is not None:
                rhythm.when_text = ""  # built from the members' own words
            group = await s.get(Group, seat.group_id)
            if group is not None and group.meeting_link_by == seat.id:
                # perhaps the person's own video room: it goes with them
                group.meeting_link = group.meeting_link_by = None
    partners.discard(person.id)
    for seat in seats:
        await s.execute(delete(AgendaItem).where(AgendaItem.member_id == seat.id))
        await s.execute(delete(RhythmProposal).where(RhythmProposal.member_id == seat.id))
        for answer in await s.scalars(
            select(FeedbackAnswer).where(FeedbackAnswer.member_id == seat.id)
        ):
            answer.text = None  # ratings stay, as anonymous aggregates
            answer.shared = False
        if seat.group_id is not None:
            await _scrub_agreements(ctx, seat, needles)
        seat.person_id = None
        seat.left_at = to_db(ctx.now)
        seat.name = "–"
    await s.execute(delete(OrganiserMessage).where(OrganiserMessage.person_id == person.id))
    if partners:
        # delivered messages to the partners may quote the person: history nobody needs
        await s.execute(
            delete(OutboxMessage).where(
                OutboxMessage.person_id.in_(partners),
                OutboxMessage.sent_at.is_not(None) | OutboxMessage.failed_at.is_not(None),
            )
        )
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_SCANNED]
    await delete_rows_sent_by(s, tables, [(i.platform, i.user_id) for i in identities])
    await s.flush()
    await s.delete(person)  # identities, dialogs, notes, coaching log, own outbox: cascade
    await s.flush()
    await scrub_tables(s, tables, needles)
    if ctx.hold is not None:
        ctx.hold.stale()  # held messages may have been scrubbed: read them back
    s.expire_all()
    s.info[WIPE_WAL] = True
    ctx._dialogs.clear()
    ctx._dialog_rows.clear()
    ctx.questions.forget()  # the person's questions went with them
    ctx.memo.clear()  # and anything read about them in this transaction


async def typed_texts(ctx: Ctx, seats: list[Member]) -> set[str]:
    """Everything the person wrote that the bot kept, wherever it is stored."""
    s = ctx.session
    seat_ids = [m.id for m in seats]
    names = {m.name for m in seats}
    texts: set[str] = set()
    texts |= set(await s.scalars(select(Note.text).where(Note.person_id == ctx.person.id)))
    texts |= set(
        await s.scalars(
            select(OrganiserMessage.text).where(OrganiserMessage.person_id == ctx.person.id)
        )
    )
    if not seat_ids:
        return texts
    texts |= set(await s.scalars(select(AgendaItem.text).where(AgendaItem.member_id.in_(seat_ids))))
    texts |= set(await s.scalars(select(NextStep.text).where(NextStep.member_id.in_(seat_ids))))
    texts |= {
        t
        for t in await s.scalars(
            select(RhythmProposal.when_text).where(RhythmProposal.member_id.in_(seat_ids))
        )
        if t
    }
    texts |= {
        t
        for t in await s.scalars(
            select(FeedbackAnswer.text).where(FeedbackAnswer.member_id.in_(seat_ids))
        )
        if t
    }
    group_ids = {m.group_id for m in seats if m.group_id is not None}
    if group_ids:
        texts |= {
            link
            for link in await s.scalars(
                select(Group.meeting_link).where(
                    Group.id.in_(group_ids), Group.meeting_link_by.in_(seat_ids)
                )
            )
            if link
        }
        for agreement in await s.scalars(
            select(Agreement).where(Agreement.group_id.in_(group_ids))
        ):
            items = agreement.items or {}
            for seat_id in seat_ids:
                texts |= {str(g) for g in items.get("goals", {}).get(str(seat_id), [])}
            texts |= {
                str(change.get("text", ""))
                for change in items.get("changes", {}).values()
                if isinstance(change, dict) and change.get("by") in names
            }
    return texts


async def _scrub_agreements(ctx: Ctx, seat: Member, needles: Needles) -> None:
    """Drop the person's own entries; keep each agreed text with the person
    written as their role and their words as a neutral mark."""
    for agreement in await ctx.session.scalars(
        select(Agreement).where(Agreement.group_id == seat.group_id)
    ):
        items = json.loads(json.dumps(agreement.items))
        for key in ("support", "goals"):
            items.get(key, {}).pop(str(seat.id), None)
        items["changes"] = {
            k: v for k, v in items.get("changes", {}).items() if v.get("by") != seat.name
        }
        snapshot = items.get(SNAPSHOT)
        if isinstance(snapshot, dict):
            items[SNAPSHOT] = {
                lang: needles.sub(
                    str(text),
                    ctx.t_for(lang, f"roles.{seat.role}"),
                    ctx.t_for(lang, "privacy.erased_words"),
                )
                for lang, text in snapshot.items()
            }
        agreement.items = items


async def _tell_left(ctx: Ctx, seat: Member) -> None:
    role = seat.role
    if seat.group_id is not None:
        for other in await members_of(ctx.session, seat.group_id):
            if other.id == seat.id or other.person_id is None:
                continue
            person = await ctx.session.get(Person, other.person_id)
            if person is None:
                continue
            text = ctx.t_for(
                person.language,
                "privacy.partner_left",
                role=ctx.t_for(person.language, f"roles.{role}"),
            )
            await ctx.tell(person.id, Reply(text), key=f"left:{seat.id}:{other.id}")
    for organiser in await organisers_of(ctx.session, seat.programme_id):
        if organiser.id == ctx.person.id:
            continue
        text = ctx.t_for(
            organiser.language,
            "privacy.organiser_left",
            role=ctx.t_for(organiser.language, f"roles.{role}"),
            group=seat.group_id or "-",
        )
        await ctx.tell(organiser.id, Reply(text), key=f"left:{seat.id}:org:{organiser.id}")


async def purge_stranger(work: Work, job: Job) -> None:
    """Delete someone who wrote to the bot but never redeemed an invite nor
    consented, 30 days after they were last active; someone still active is
    checked again 30 days after their last activity."""
    person_id = (job.payload or {}).get("person_id")
    person = await work.session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None or person.consent_at is not None:
        return
    seat = await work.session.scalar(select(Member.id).where(Member.person_id == person.id))
    if seat is not None:
        return  # redeemed an invite: a participant, not a stranger
    last = await work.session.scalar(
        select(func.max(DialogState.updated_at)).where(DialogState.person_id == person.id)
    )
    active = max(from_db(person.created_at), from_db(last) if last else from_db(person.created_at))
    if work.now < active + STRANGER_DAYS:
        await plan_stranger_purge(work.session, person.id, active + STRANGER_DAYS)
        return
    await work.session.delete(person)  # identities, dialogs, jobs, outbox: cascade
    await work.session.flush()
    work.session.info[WIPE_WAL] = True
