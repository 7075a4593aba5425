"""The agreement as one written document, and what happens when it is complete.

The agreed text is kept per language in the agreement's items (a snapshot), so
the document reads the same later even if the checklist's wording changes."""

from __future__ import annotations

from sqlalchemy import update

from bot.content import LANGUAGES
from bot.core.context import Ctx, Work
from bot.core.types import Attachment, Reply
from bot.flows.agreement_render import item_text
from bot.flows.agreement_view import (
    MARKS,
    AgreementView,
)
from bot.store.db import from_db, to_db
from bot.store.models import (
    Agreement,
)
from bot.wording import prose_date

SNAPSHOT = "text"  # key in Agreement.items: the agreed text per language


def render(ctx: Work, view: AgreementView, lang: str) -> str:
    """The agreement as text.  A completed version is read back as it was
    written when it was agreed, so that later changes (the programme's goal or
    end date, a new rhythm) never rewrite what the members agreed to."""
    if view.agreement.status != "open":
        stored = view.agreement.items.get(SNAPSHOT, {}).get(lang)
        if stored:
            return str(stored)
    status = "draft" if view.agreement.completed_at is None else "complete"
    lines = [
        ctx.t_for(
            lang,
            f"agreement.doc.title_{status}",
            programme=view.programme.name,
            version=view.agreement.version,
        ),
        ", ".join(f"{m.name} ({ctx.t_for(lang, 'roles.' + m.role)})" for m in view.members),
        "",
    ]
    for n, item in enumerate(view.items, 1):
        lines.append(f"{n}. {MARKS[view.status(item.id)]} {item.title(lang)}")
        lines.extend("   " + line for line in item_text(ctx, view, item, lang).splitlines())
    lines.append("")
    lines.append(ctx.t_for(lang, "agreement.doc.legend"))
    if view.agreement.completed_at is not None:
        lines.append(
            ctx.t_for(
                lang,
                "agreement.doc.agreed_on",
                date=prose_date(lang, from_db(view.agreement.completed_at).date()),
            )
        )
    return "\n".join(lines)


def document(ctx: Work, view: AgreementView, lang: str) -> Attachment:
    name = ctx.t_for(lang, "agreement.doc.filename", version=view.agreement.version)
    return Attachment(name, render(ctx, view, lang).encode("utf-8"), "text/plain")


async def complete(ctx: Work, view: AgreementView) -> None:
    agreement = view.agreement
    agreement.status = "complete"
    agreement.completed_at = to_db(ctx.now)
    agreement.items = {
        **agreement.items,
        SNAPSHOT: {lang: render(ctx, view, lang) for lang in LANGUAGES},
    }
    await ctx.session.execute(
        update(Agreement)
        .where(
            Agreement.group_id == view.group.id,
            Agreement.id != agreement.id,
            Agreement.status == "complete",
        )
        .values(status="superseded")
    )
    for member in view.members:
        if member.person_id is None:
            continue
        lang = view.lang_of(member)
        reply = Reply(
            ctx.t_for(lang, "agreement.complete") + "\n\n" + render(ctx, view, lang),
            attachments=(document(ctx, view, lang),),
        )
        if isinstance(ctx, Ctx) and member.person_id == ctx.person.id and not ctx.in_group:
            ctx.replies.append(ctx.out(reply))
        else:
            await ctx.tell(member.person_id, reply, key=f"agr:{agreement.id}:done:{member.id}")
    for hook in ctx.flows.agreement_complete if ctx.flows else []:
        await hook(ctx, view.group)
