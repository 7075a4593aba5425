"""Each member's walk through the checklist, and the rhythm item in the middle of it.

A member sees one item at a time; an answer moves them on.  Reaching the rhythm
item hands over to the rhythm flow (through the registry's hooks), and its
agreement brings every member back here."""

from __future__ import annotations

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.content import ChecklistItem
from bot.core.context import Ctx, Work
from bot.flows.agreement_document import complete
from bot.flows.agreement_render import CONV, item_reply
from bot.flows.agreement_view import (
    AgreementView,
    current_agreement,
    load_view,
    view_of,
)
from bot.store.db import to_db
from bot.store.inserts import dialect_of, upsert_statement
from bot.store.models import (
    AgendaItem,
    AgreementAnswer,
    Group,
    Member,
)
from bot.wording import join_names

ANSWERS: Table = AgreementAnswer.__table__  # type: ignore[assignment]


async def set_answer(
    ctx: Work, view: AgreementView, member: Member, item_id: str, value: str
) -> None:
    """A member's answer to an item, replacing an earlier one: one upsert
    (the common case of an item answered for the first time and a changed
    answer alike).  A copy of the row the session already holds (read with
    the view) is brought up to date, as the database now has it."""
    await set_answers(ctx, view, [member], item_id, value)


async def set_answers(
    ctx: Work, view: AgreementView, members: list[Member], item_id: str, value: str
) -> None:
    """:func:`set_answer` for several members at once, in one statement."""
    if not members:
        return
    stamp = to_db(ctx.now)
    rows = [
        {
            "agreement_id": view.agreement.id,
            "item_id": item_id,
            "member_id": member.id,
            "answer": value,
            "updated_at": stamp,
        }
        for member in members
    ]
    await ctx.session.execute(
        upsert_statement(ANSWERS, dialect_of(ctx.session)), rows if len(rows) > 1 else rows[0]
    )
    sync = ctx.session.sync_session
    for member in members:
        held = sync.identity_map.get(
            identity_key(AgreementAnswer, (view.agreement.id, item_id, member.id))
        )
        if held is not None:
            set_committed_value(held, "answer", value)
            set_committed_value(held, "updated_at", stamp)
        view.answers[(item_id, member.id)] = value


async def add_to_agenda(ctx: Ctx, view: AgreementView, member: Member, item: ChecklistItem) -> None:
    """Put the item on the agenda once, in the words of the member who raised it."""
    title = item.title(ctx.lang)
    exists = await ctx.session.scalar(
        select(AgendaItem.id).where(
            AgendaItem.group_id == view.group.id,
            AgendaItem.source == "agreement",
            AgendaItem.text.in_({item.title(lang) for lang in ("sv", "en")}),
            AgendaItem.done_at.is_(None),
        )
    )
    if exists is None:
        ctx.session.add(
            AgendaItem(
                group_id=view.group.id,
                member_id=member.id,
                text=title,
                source="agreement",
                created_at=to_db(ctx.now),
            )
        )


async def close_agenda(ctx: Work, view: AgreementView, item: ChecklistItem) -> None:
    """An item agreed after all: it no longer needs discussing at the meeting."""
    await ctx.session.execute(
        update(AgendaItem)
        .where(
            AgendaItem.group_id == view.group.id,
            AgendaItem.source == "agreement",
            AgendaItem.text.in_({item.title(lang) for lang in ("sv", "en")}),
            AgendaItem.done_at.is_(None),
        )
        .values(done_at=to_db(ctx.now))
    )


async def after_answer(ctx: Ctx, view: AgreementView, member: Member) -> None:
    if view.complete:
        await complete(ctx, view)
        return
    await continue_walk(ctx, view, member)


async def continue_walk(ctx: Ctx, view: AgreementView, member: Member) -> None:
    """Show the member's next item, or where things stand when they are through.

    Reaching the rhythm item before the rhythm is agreed starts the member's
    rhythm proposal; after it, the walk comes back here.
    """
    for item in view.items:
        if (item.id, member.id) in view.answers:
            continue
        if item.kind == "rhythm" and view.rhythm is None:
            from bot.flows.rhythm import ask_proposal

            if await ask_proposal(ctx, view.group, member):
                return
            continue
        if view.waiting(item, member):
            continue
        if item.kind == "goals" and member.role == "mentee" and view.proposal(item.id) is None:
            dialog = await ctx.dialog(CONV)
            dialog.reset()
            dialog.go("goals", agreement_id=view.agreement.id)
        ctx.replies.append(ctx.out(item_reply(ctx, view, item, member, ctx.lang)))
        return
    waiting_on = [
        m.name for m in view.members if m.id != member.id and view.next_for(m) is not None
    ]
    open_items = [i.title(ctx.lang) for i in view.items if view.status(i.id) != "agreed"]
    if view.rhythm is None:
        ctx.say("agreement.walk_done_rhythm")
    elif waiting_on:
        ctx.say("agreement.walk_done_waiting", names=join_names(ctx.lang, waiting_on))
    elif open_items:
        ctx.say(
            "agreement.walk_done_open",
            [ctx.choice(f"agr:{view.agreement.id}:review", "agreement.buttons.review")],
            items="\n".join(f"• {t}" for t in open_items),
        )


async def review(ctx: Ctx, view: AgreementView, member: Member) -> None:
    """Answer again the items not agreed yet (e.g. after discussing them)."""
    for item in view.items:
        if view.status(item.id) != "agreed" and (item.id, member.id) in view.answers:
            if item.kind == "rhythm":
                continue
            await ctx.session.execute(
                delete(AgreementAnswer).where(
                    AgreementAnswer.agreement_id == view.agreement.id,
                    AgreementAnswer.item_id == item.id,
                    AgreementAnswer.member_id == member.id,
                )
            )
            del view.answers[(item.id, member.id)]
    await continue_walk(ctx, view, member)


async def rhythm_agreed(ctx: Ctx, group: Group, member: Member) -> None:
    """Everyone accepted the rhythm: the rhythm item is agreed for all.

    The agreement row is locked like any answer's, so that a member answering
    the last other item at the same moment cannot miss the completion.
    """
    agreement = await current_agreement(ctx.session, group.id)
    view = None
    if agreement is not None and agreement.status == "open":
        view = await load_view(ctx.session, ctx.content, agreement.id, lock=True)
    if view is not None and view.agreement.status == "open":
        item = next(i for i in view.items if i.kind == "rhythm")
        pending = [m for m in view.members if view.answers.get((item.id, m.id)) != "agree"]
        await set_answers(ctx, view, pending, item.id, "agree")
        if view.complete:
            await complete(ctx, view)
        else:
            await _continue_everyone(ctx, view)


async def resume_after_rhythm(ctx: Ctx, group: Group, member: Member) -> None:
    agreement = await current_agreement(ctx.session, group.id)
    if agreement is not None and agreement.status == "open":
        view = await view_of(ctx.session, ctx.content, agreement)
        await continue_walk(ctx, view, member)


async def _continue_everyone(ctx: Ctx, view: AgreementView) -> None:
    """The side-by-side proposals interrupted everyone's walk through the
    checklist (they are the newest message with buttons), so each member is
    shown the item they are at again; the one who accepted last directly."""
    for member in view.members:
        if member.person_id is None:
            continue
        if member.person_id == ctx.person.id and not ctx.in_group:
            await continue_walk(ctx, view, member)
            continue
        # everyone else, and the actor when the rhythm was settled in a group
        # chat (a /poll vote): privately, in their own language
        item = view.next_for(member)
        if item is None:
            continue
        lang = view.lang_of(member)
        await ctx.tell(
            member.person_id,
            item_reply(ctx, view, item, member, lang),
            key=f"agr:{view.agreement.id}:after_rhythm:{member.id}",
        )
