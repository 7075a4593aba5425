"""The mentoring agreement: the first-meeting expectations checklist.

Every member walks the checklist in a private chat (or answers together in a
bound group chat): for each item *agree*, *discuss at the meeting* or
*change* (which proposes new wording to the others).  An item is agreed when
every member agrees; "discuss" puts it on the next meeting's agenda.  When all
items are agreed the agreement is complete: shown as text and sent as a file
to everyone.  ``/agreement`` shows it any time; a revision is a new version
that needs everyone again, and earlier versions are kept.

This module takes the buttons, the typed text and ``/agreement``; the parts:
``agreement_view`` (reading it), ``agreement_render`` (how items read),
``agreement_walk`` (each member's way through the items, the rhythm item),
``agreement_circle`` (a circle answering in its chat), ``agreement_document``
(the written agreement, completion) and ``agreement_versions`` (versions,
revisions, reminders).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.content import ChecklistItem
from bot.core.choice_ids import parse_id
from bot.core.commands import CommandSpec
from bot.core.context import Ctx, Dialog
from bot.core.types import Choice, Reply
from bot.flows.agreement_circle import group_answered, group_next
from bot.flows.agreement_document import document, render
from bot.flows.agreement_render import ANSWERS, CONV, MAX_GOALS, item_reply
from bot.flows.agreement_versions import on_group_complete, remind, revise
from bot.flows.agreement_view import (
    AgreementView,
    current_agreement,
    is_current,
    load_view,
    view_of,
)
from bot.flows.agreement_walk import (
    add_to_agenda,
    after_answer,
    close_agenda,
    continue_walk,
    resume_after_rhythm,
    review,
    rhythm_agreed,
    set_answer,
)
from bot.flows.goal_progress import progress_block
from bot.flows.registry import Flows
from bot.flows.which import my_groups, pick
from bot.organiser.lifecycle import OPEN
from bot.store.models import (
    Agreement,
    AgreementAnswer,
    Member,
)


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("agreement", agreement_command))
    flows.on_choice("agr", choose)
    flows.on_text(CONV, text)
    flows.group_complete.append(on_group_complete)
    flows.rhythm_agreed.append(rhythm_agreed)
    flows.rhythm_proposed.append(resume_after_rhythm)
    flows.on_job("agr_remind", remind)


# -- answering --------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    agreement_id = parse_id(parts[0]) if len(parts) >= 2 else None
    if agreement_id is None:
        ctx.say("basics.stale_button", private=True)
        return
    view = await load_view(ctx.session, ctx.content, agreement_id, lock=True)
    member = view.member_of(ctx.person.id) if view else None
    if view is None or member is None:
        ctx.say("basics.not_yours", private=True)
        return
    action = parts[1:]
    if action == ["show"]:
        await show(ctx, view, member)
        return
    if action == ["revise"]:
        await revise(ctx, view, member)
        return
    if view.agreement.status != "open" or not await is_current(ctx.session, view):
        ctx.say("agreement.closed", private=True)
        return
    if action == ["next"]:
        await continue_walk(ctx, view, member)
    elif action == ["review"]:
        await review(ctx, view, member)
    elif action[:2] == ["support", "t"] and len(action) == 3:
        await toggle_support(ctx, view, member, action[2])
    elif action == ["support", "done"]:
        await finish_subjective(ctx, view, member, "support")
    elif action == ["goals", "done"]:
        await finish_subjective(ctx, view, member, "goals")
    elif len(action) == 2 and action[1] in ANSWERS and view.item(action[0]) is not None:
        await answer(ctx, view, member, view.item(action[0]), action[1])  # type: ignore[arg-type]
    else:
        ctx.say("basics.stale_button", private=True)


async def answer(
    ctx: Ctx, view: AgreementView, member: Member, item: ChecklistItem, value: str
) -> None:
    if view.waiting(item, member) or (
        member.role == "mentee"
        and item.kind in ("support", "goals")
        and view.proposal(item.id) is None
        and value == "agree"
        and (item.id, member.id) not in view.answers
    ):
        ctx.say("basics.stale_button", private=True)
        return
    if value == "change" and item.kind == "rhythm" and view.rhythm is not None:
        # a new rhythm is agreed the way the first was, so that reminders and
        # health checks follow it, not just the item's words
        for hook in ctx.flows.rhythm_change_asked if ctx.flows else []:
            await hook(ctx, view.group, member)
        return
    if value == "change":
        dialog = await ctx.dialog(CONV)
        dialog.reset()
        dialog.go("change", agreement_id=view.agreement.id, item=item.id)
        if ctx.in_group:  # the new wording is typed in the private chat
            ctx.say("agreement.change.ask_private", title=item.title(ctx.lang), private=True)
            await ctx.tell(
                ctx.person.id,
                Reply(ctx.t("agreement.change.ask", title=item.title(ctx.lang))),
                key=f"agr:{view.agreement.id}:chgask:{member.id}:{ctx.now.isoformat()}",
            )
            return
        ctx.say("agreement.change.ask", title=item.title(ctx.lang), replace=True)
        return
    await set_answer(ctx, view, member, item.id, value)
    if value == "discuss":
        await add_to_agenda(ctx, view, member, item)
    elif view.status(item.id) == "agreed":
        await close_agenda(ctx, view, item)
    if ctx.in_group:
        await group_answered(ctx, view, item)
        return
    ctx.say(
        "agreement.recorded",
        title=item.title(ctx.lang),
        answer=ctx.t(f"agreement.yours.{value}"),
        replace=True,
    )
    await after_answer(ctx, view, member)


async def toggle_support(ctx: Ctx, view: AgreementView, member: Member, option: str) -> None:
    item = next(i for i in view.items if i.kind == "support")
    valid = {o.id for o in ctx.content.agreement.support_options}
    if member.role != "mentee" or option not in valid or (item.id, member.id) in view.answers:
        ctx.say("basics.stale_button", private=True)
        return
    support = dict(view.agreement.items.get("support", {}))
    chosen = list(support.get(str(member.id), []))
    chosen.remove(option) if option in chosen else chosen.append(option)
    support[str(member.id)] = chosen
    view.agreement.items = {**view.agreement.items, "support": support}
    ctx.replies.append(ctx.out(item_reply(ctx, view, item, member, ctx.lang, replace=True)))


async def finish_subjective(ctx: Ctx, view: AgreementView, member: Member, kind: str) -> None:
    item = next(i for i in view.items if i.kind == kind)
    has = view.chosen_support(member) if kind == "support" else view.goals(member)
    if member.role != "mentee" or (item.id, member.id) in view.answers:
        ctx.say("basics.stale_button", private=True)
        return
    if not has:
        ctx.say(f"agreement.{kind}.empty", private=True)
        return
    dialog = await ctx.dialog(CONV)
    if dialog.step == "goals":
        dialog.reset()
    await set_answer(ctx, view, member, item.id, "agree")
    ctx.say(
        "agreement.recorded",
        title=item.title(ctx.lang),
        answer=ctx.t("agreement.yours.agree"),
        replace=kind == "support",
    )
    mentor_ready = not any((item.id, m.id) not in view.answers for m in view.mentees)
    if mentor_ready:
        for m in view.members:
            if m.role == "mentor" and m.person_id is not None:
                lang = view.lang_of(m)
                # No idempotency key: after a review the mentee may finish
                # again, and the mentor must then see the new choice.
                intro = ctx.t_for(lang, f"agreement.{kind}.partner_done", name=member.name)
                shown = item_reply(ctx, view, item, m, lang)
                await ctx.tell(m.person_id, Reply(f"{intro}\n\n{shown.text}", shown.choices))
    await after_answer(ctx, view, member)


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    view = await load_view(
        ctx.session, ctx.content, int(dialog.data.get("agreement_id", 0)), lock=True
    )
    member = view.member_of(ctx.person.id) if view else None
    if view is None or member is None or view.agreement.status != "open":
        dialog.reset()
        ctx.say("agreement.closed")
        return
    message = message.strip()
    if not message:
        ctx.say("agreement.empty_text")
        return
    if dialog.step == "goals":
        await add_goal(ctx, dialog, view, member, message)
    elif dialog.step == "change":
        await propose_change(ctx, dialog, view, member, message)
    else:
        dialog.reset()
        ctx.say("basics.fallback")


async def add_goal(
    ctx: Ctx, dialog: Dialog, view: AgreementView, member: Member, message: str
) -> None:
    goals_all = dict(view.agreement.items.get("goals", {}))
    goals = list(goals_all.get(str(member.id), []))
    goals.append(message[:300])
    goals_all[str(member.id)] = goals
    view.agreement.items = {**view.agreement.items, "goals": goals_all}
    if len(goals) >= MAX_GOALS:
        await finish_subjective(ctx, view, member, "goals")
        return
    ctx.say(
        "agreement.goals.more",
        [
            Choice("ask:goal", ctx.t("agreement.goals.write")),
            Choice(f"agr:{view.agreement.id}:goals:done", ctx.t("agreement.done")),
        ],
        n=len(goals),
        max=MAX_GOALS,
    )


async def propose_change(
    ctx: Ctx, dialog: Dialog, view: AgreementView, member: Member, message: str
) -> None:
    item = view.item(str(dialog.data.get("item")))
    dialog.reset()
    if item is None:
        ctx.say("basics.stale_button")
        return
    changes = dict(view.agreement.items.get("changes", {}))
    changes[item.id] = {"text": message[:1000], "by": member.name}
    view.agreement.items = {**view.agreement.items, "changes": changes}
    await ctx.session.execute(
        delete(AgreementAnswer).where(
            AgreementAnswer.agreement_id == view.agreement.id, AgreementAnswer.item_id == item.id
        )
    )
    view.answers = {k: v for k, v in view.answers.items() if k[0] != item.id}
    await set_answer(ctx, view, member, item.id, "agree")
    ctx.say("agreement.change.sent", title=item.title(ctx.lang))
    for m in view.members:
        if m.id == member.id or m.person_id is None:
            continue
        # One message: who proposes what, with the item and its buttons.  No
        # idempotency key: every proposal is news, even a second one on the
        # same item (a retried event rolls its outbox rows back anyway).
        lang = view.lang_of(m)
        notice = ctx.t_for(
            lang, "agreement.change.notice", name=member.name, title=item.title(lang)
        )
        shown = item_reply(ctx, view, item, m, lang)
        await ctx.tell(m.person_id, Reply(f"{notice}\n\n{shown.text}", shown.choices))
    await continue_walk(ctx, view, member)


# -- showing ---------------------------------------------------------------------


async def agreement_command(ctx: Ctx, _args: str) -> None:
    if ctx.in_group:
        from bot.flows.circles import group_for_chat

        group = await group_for_chat(ctx)
        agreement = await current_agreement(ctx.session, group.id) if group else None
        if agreement is None:
            ctx.say("agreement.none")
            return
        view = await view_of(ctx.session, ctx.content, agreement)
        if view.member_of(ctx.person.id) is None:
            ctx.say("circles.not_member", private=True)  # a command, not a button
            return
        await group_next(ctx, view, always=True)
        return
    with_agreement = []
    for group in await my_groups(ctx, OPEN):
        if await current_agreement(ctx.session, group.id) is not None:
            with_agreement.append(group)
    chosen = await pick(ctx, "agreement", _args, with_agreement)
    if chosen is None:
        if not with_agreement:
            ctx.say("agreement.none")
        return  # none, or asked which
    agreement = await current_agreement(ctx.session, chosen.id)
    assert agreement is not None
    view = await view_of(ctx.session, ctx.content, agreement)
    member = view.member_of(ctx.person.id)
    if member is None:
        ctx.say("agreement.none")
        return
    await show(ctx, view, member)


async def show(ctx: Ctx, view: AgreementView, member: Member) -> None:
    """One version: a draft leads back into the checklist (and, during a
    revision, to the version still in force); a completed one comes with its
    file, and the current one can be revised."""
    aid = view.agreement.id
    text = render(ctx, view, ctx.lang)
    progress = await progress_block(ctx, view.group.id, member.id, member.role, ctx.lang)
    if progress is not None:  # how far the mentee has come (goal follow-up)
        text += "\n\n" + progress
    if view.agreement.status == "open":
        choices = [ctx.choice(f"agr:{aid}:next", "agreement.buttons.continue")]
        in_force = await ctx.session.scalar(
            select(Agreement.id).where(
                Agreement.group_id == view.group.id, Agreement.status == "complete"
            )
        )
        if in_force is not None:
            choices.append(ctx.choice(f"agr:{in_force}:show", "agreement.buttons.in_force"))
        ctx.reply(text, choices)
        return
    current = await current_agreement(ctx.session, view.group.id)
    choices = []
    if current is not None and current.id == aid:
        choices.append(ctx.choice(f"agr:{aid}:revise", "agreement.buttons.revise"))
    elif current is not None and view.agreement.status == "superseded":
        text = ctx.t("agreement.superseded_note", version=current.version) + "\n\n" + text
    ctx.reply(text, choices, attachments=(document(ctx, view, ctx.lang),))
