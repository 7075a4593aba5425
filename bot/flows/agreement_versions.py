"""Versions of the agreement: the first one when a group is complete, revisions, reminders.

A revision is a new version that starts from the agreed text of the one before;
the reminder nudges whoever has items left after ``remind_days``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot.core.context import Ctx, Work
from bot.core.types import Choice, Reply
from bot.flows import attention
from bot.flows.agreement_render import item_reply
from bot.flows.agreement_view import (
    AgreementView,
    current_agreement,
    load_view,
    view_of,
)
from bot.store.db import to_db
from bot.store.jobs import schedule
from bot.store.models import (
    Agreement,
    Group,
    Job,
    Member,
    Programme,
)

DEFAULT_REMIND_DAYS = 7


async def on_group_complete(ctx: Work, group: Group) -> None:
    programme = await ctx.session.get(Programme, group.programme_id)
    assert programme is not None
    # After a new member took an empty seat the agreement starts again, as a new version.
    latest = await ctx.session.scalar(
        select(func.max(Agreement.version)).where(Agreement.group_id == group.id)
    )
    await ctx.session.execute(
        update(Agreement)
        .where(Agreement.group_id == group.id, Agreement.status.in_(("open", "complete")))
        .values(status="superseded")
    )
    agreement = await create_version(ctx, group, programme, version=(latest or 0) + 1)
    view = await view_of(ctx.session, ctx.content, agreement, new=True)
    await send_to_all(ctx, view, "agreement.intro")


async def create_version(
    work: Work, group: Group, programme: Programme, *, version: int, items: dict | None = None
) -> Agreement:
    agreement = Agreement(
        group_id=group.id,
        version=version,
        status="open",
        items=items or {"support": {}, "goals": {}, "changes": {}},
        created_at=to_db(work.now),
    )
    work.session.add(agreement)
    await work.session.flush()
    days = int(programme.settings.get("agreement_days", DEFAULT_REMIND_DAYS))
    await schedule(
        work.session,
        "agr_remind",
        work.now + timedelta(days=days),
        key=f"agr_remind:{agreement.id}",
        group_id=group.id,
        payload={"agreement_id": agreement.id},
    )
    return agreement


async def send_to_all(ctx: Work, view: AgreementView, intro_key: str) -> None:
    """Tell every member the agreement starts, each with their first item."""
    for member in view.members:
        lang = view.lang_of(member)
        intro = ctx.t_for(lang, intro_key, programme=view.programme.name, count=len(view.items))
        replies = [Reply(intro)]
        nxt = view.next_for(member)
        if nxt is not None:
            replies.append(item_reply(ctx, view, nxt, member, lang))
        for n, reply in enumerate(replies):
            if isinstance(ctx, Ctx) and member.person_id == ctx.person.id:
                ctx.replies.append(ctx.out(reply))
            elif member.person_id is not None:
                await ctx.tell(
                    member.person_id,
                    reply,
                    key=f"agr:{view.agreement.id}:start:{member.id}:{n}",
                )


async def revise(ctx: Ctx, view: AgreementView, member: Member) -> None:
    current = await current_agreement(ctx.session, view.group.id)
    if current is not None and current.status == "open":
        ctx.say("agreement.revision_open")
        return
    if current is None or current.id != view.agreement.id:
        ctx.say("agreement.closed", private=True)
        return
    items = {
        "support": dict(view.agreement.items.get("support", {})),
        "goals": dict(view.agreement.items.get("goals", {})),
        "changes": dict(view.agreement.items.get("changes", {})),
    }
    new = await create_version(
        ctx, view.group, view.programme, version=view.agreement.version + 1, items=items
    )
    fresh = await view_of(ctx.session, ctx.content, new)
    for other in fresh.members:
        if other.id != member.id and other.person_id is not None:
            lang = fresh.lang_of(other)
            await ctx.tell(
                other.person_id,
                Reply(
                    ctx.t_for(
                        lang, "agreement.revision_started", name=member.name, version=new.version
                    )
                ),
                key=f"agr:{new.id}:rev:{other.id}",
            )
    await send_to_all(ctx, fresh, "agreement.revision_intro")


async def remind(work: Work, job: Job) -> None:
    view = await load_view(work.session, work.content, int(job.payload["agreement_id"]))
    if view is None or view.agreement.status != "open":
        return
    current = await current_agreement(work.session, view.group.id)
    if current is None or current.id != view.agreement.id or view.group.status != "active":
        return
    if not await attention.may_send(work, view.group):
        return
    for member in view.members:
        if member.person_id is None:
            continue
        lang = view.lang_of(member)
        open_items = [i.title(lang) for i in view.items if view.status(i.id) != "agreed"]
        key = "agreement.reminder_one" if len(open_items) == 1 else "agreement.reminder"
        await work.tell(
            member.person_id,
            Reply(
                work.t_for(
                    lang,
                    key,
                    count=len(open_items),
                    items="\n".join(f"• {t}" for t in open_items),
                ),
                (
                    Choice(
                        f"agr:{view.agreement.id}:next",
                        work.t_for(lang, "agreement.buttons.continue"),
                    ),
                ),
            ),
            key=f"agr_remind:{view.agreement.id}:{member.id}",
        )
