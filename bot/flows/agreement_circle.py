"""A circle's agreement: the items the circle answers together in its group chat.

The group items are shown one at a time in the chat; the private ones go to
each member's DM.  The chat's language is the programme's."""

from __future__ import annotations

from bot.content import ChecklistItem
from bot.core.context import Ctx, Work
from bot.core.types import Reply
from bot.flows.agreement_document import complete
from bot.flows.agreement_render import CONV, item_reply
from bot.flows.agreement_view import (
    AgreementView,
)


def group_lang(view: AgreementView) -> str:
    """A shared chat speaks the programme's language."""
    return view.programme.language


def _group_item(view: AgreementView) -> ChecklistItem | None:
    """The first item the circle answers together that someone has not answered."""
    for item in view.items:
        if item.kind in ("support", "goals", "rhythm") or view.status(item.id) == "agreed":
            continue
        if any((item.id, m.id) not in view.answers for m in view.members):
            return item
    return None


def _group_item_reply(ctx: Work, view: AgreementView, item: ChecklistItem) -> Reply:
    """An item as the whole circle sees it: everyone's answers, one set of buttons."""
    lang = group_lang(view)
    mentor = next((m for m in view.members if m.role == "mentor"), view.members[0])
    return item_reply(ctx, view, item, mentor, lang)


async def group_answered(ctx: Ctx, view: AgreementView, item: ChecklistItem) -> None:
    """Someone answered in the circle's chat: update that message, then go on."""
    if view.complete:
        await complete(ctx, view)
        ctx.reply(ctx.t_for(group_lang(view), "agreement.complete_group"), replace=True)
        return
    everyone = all((item.id, m.id) in view.answers for m in view.members)
    current = _group_item_reply(ctx, view, item)
    if not everyone:
        ctx.reply(current.text, current.choices, replace=True)
        return
    ctx.reply(current.text, replace=True)  # settled for now: no buttons left on it
    await group_next(ctx, view)


async def _send_private_items(ctx: Ctx, view: AgreementView) -> None:
    """The points each member answers alone go to their private chats, once each."""
    for member in view.members:
        item = view.next_for(member)
        if item is None or member.person_id is None:
            continue
        if item.kind == "goals" and member.role == "mentee" and view.proposal(item.id) is None:
            await ctx.set_dialog_of(
                member.person_id, CONV, "goals", {"agreement_id": view.agreement.id}
            )
        lang = view.lang_of(member)
        await ctx.tell(
            member.person_id,
            item_reply(ctx, view, item, member, lang),
            key=f"agr:{view.agreement.id}:private:{member.id}:{item.id}",
        )


async def group_next(ctx: Ctx, view: AgreementView, *, always: bool = False) -> None:
    """In a group chat: post the next item to answer together, or where things stand."""
    lang = group_lang(view)
    if view.complete:
        if view.agreement.status == "open":
            await complete(ctx, view)
        ctx.reply(ctx.t_for(lang, "agreement.complete_group"))
        return
    item = _group_item(view)
    if item is not None:
        reply = _group_item_reply(ctx, view, item)
        ctx.reply(reply.text, reply.choices)
        return
    private = [
        i.title(lang)
        for i in view.items
        if i.kind in ("support", "goals", "rhythm") and view.status(i.id) != "agreed"
    ]
    talk = [
        i.title(lang)
        for i in view.items
        if i.kind not in ("support", "goals", "rhythm") and view.status(i.id) != "agreed"
    ]
    if talk:
        ctx.reply(ctx.t_for(lang, "agreement.group_open", items="\n".join(f"• {t}" for t in talk)))
    if private:
        ctx.reply(
            ctx.t_for(lang, "agreement.group_private", items="\n".join(f"• {t}" for t in private))
        )
        await _send_private_items(ctx, view)
