"""How the agreement's checklist reads: each item's text, the answers so far, its buttons.

Pure rendering over an :class:`AgreementView`; the dialog's name lives here too,
so that every part of the agreement flow can use it without a cycle."""

from __future__ import annotations

from bot.content import ChecklistItem
from bot.core.context import Work
from bot.core.types import Choice, Reply
from bot.flows.agreement_view import (
    AgreementView,
)
from bot.store.models import (
    Member,
)
from bot.wording import prose_date

CONV = "agreement"


ANSWERS = ("agree", "discuss", "change")


MAX_GOALS = 3


def item_text(ctx: Work, view: AgreementView, item: ChecklistItem, lang: str) -> str:
    change = view.proposal(item.id)
    if change is not None:
        return change["text"]
    if item.kind == "support":
        chosen = [
            f"{m.name}: {support_labels(ctx, view, m, lang)}"
            for m in view.mentees
            if (item.id, m.id) in view.answers
        ]
        return "\n".join(chosen) or item.text(lang)
    if item.kind == "goals":
        lines = []
        for m in view.mentees:
            goals = view.goals(m)
            if goals:
                lines.append(f"{m.name}:\n" + "\n".join(f"  • {g}" for g in goals))
        return "\n".join(lines) or item.text(lang)
    if item.kind == "rhythm" and view.rhythm is not None:
        from bot.flows.rhythm import describe_rhythm

        return describe_rhythm(ctx, view.rhythm, lang)
    mode = view.rhythm.mode if view.rhythm else view.programme.mode
    return item.text(lang).format(
        goal=view.programme.goal or ctx.t_for(lang, "agreement.no_goal"),
        format=ctx.t_for(lang, f"agreement.format.{view.programme.format}"),
        mode=ctx.t_for(lang, f"agreement.mode.{mode}"),
        end_date=prose_date(lang, view.programme.end_date),
    )


def support_labels(ctx: Work, view: AgreementView, member: Member, lang: str) -> str:
    names = {o.id: o.text(lang) for o in ctx.content.agreement.support_options}
    chosen = [names.get(c, c) for c in view.chosen_support(member)]
    return ", ".join(chosen) or "–"


def answers_line(ctx: Work, view: AgreementView, item: ChecklistItem, lang: str) -> str:
    parts = []
    for m in view.members:
        answer = view.answers.get((item.id, m.id))
        label = ctx.t_for(lang, f"agreement.answered.{answer or 'none'}")
        parts.append(f"{m.name}: {label}")
    return " · ".join(parts)


def item_reply(
    ctx: Work,
    view: AgreementView,
    item: ChecklistItem,
    member: Member,
    lang: str,
    *,
    replace: bool = False,
) -> Reply:
    aid = view.agreement.id
    head = ctx.t_for(
        lang,
        "agreement.item_head",
        n=view.number(item.id),
        total=len(view.items),
        title=item.title(lang),
    )
    body = [head, item_text(ctx, view, item, lang)]
    question = f"agreement.question.{item.id}"
    if view.proposal(item.id) is None and ctx.content.has(question):
        body.append(ctx.t_for(lang, question))
    body.append("💡 " + item.why(lang))
    if member.role == "mentee" and item.kind == "support" and view.proposal(item.id) is None:
        body.append(ctx.t_for(lang, "agreement.support.pick"))
        chosen = set(view.chosen_support(member))
        toggles = [
            Choice(f"agr:{aid}:support:t:{o.id}", ("✓ " if o.id in chosen else "") + o.text(lang))
            for o in ctx.content.agreement.support_options
        ]
        toggles.append(Choice(f"agr:{aid}:support:done", ctx.t_for(lang, "agreement.done")))
        return Reply("\n".join(body), tuple(toggles), replace=replace)
    if member.role == "mentee" and item.kind == "goals" and view.proposal(item.id) is None:
        body.append(ctx.t_for(lang, "agreement.goals.ask", max=MAX_GOALS))
        # "ask:" = answer in free text (a form on Discord; elsewhere just type)
        buttons = [Choice("ask:goal", ctx.t_for(lang, "agreement.goals.write"))]
        if view.goals(member):
            buttons.append(Choice(f"agr:{aid}:goals:done", ctx.t_for(lang, "agreement.done")))
        return Reply("\n".join(body), tuple(buttons), replace=replace)
    body.append(answers_line(ctx, view, item, lang))
    choices = tuple(
        Choice(f"agr:{aid}:{item.id}:{a}", ctx.t_for(lang, f"agreement.buttons.{a}"))
        for a in ANSWERS
    )
    return Reply("\n".join(body), choices, replace=replace)
