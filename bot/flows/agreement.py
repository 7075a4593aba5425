"""The mentoring agreement: the first-meeting expectations checklist.

Every member walks the checklist in a private chat (or answers together in a
bound group chat): for each item *agree*, *discuss at the meeting* or
*change* (which proposes new wording to the others).  An item is agreed when
every member agrees; "discuss" puts it on the next meeting's agenda.  When all
items are agreed the agreement is complete: shown as text and sent as a file
to everyone.  ``/agreement`` shows it any time; a revision is a new version
that needs everyone again, and earlier versions are kept.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from bot.content import LANGUAGES, ChecklistItem
from bot.core.commands import CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.types import Attachment, Choice, Reply
from bot.flows.agreement_view import (
    MARKS,
    AgreementView,
    current_agreement,
    load_view,
    view_of,
)
from bot.flows.registry import Flows
from bot.store.db import from_db, to_db
from bot.store.groups import memberships
from bot.store.jobs import schedule
from bot.store.models import (
    AgendaItem,
    Agreement,
    AgreementAnswer,
    Group,
    Job,
    Member,
    Programme,
)

CONV = "agreement"
ANSWERS = ("agree", "discuss", "change")
MAX_GOALS = 3
DEFAULT_REMIND_DAYS = 7
SNAPSHOT = "text"  # key in Agreement.items: the agreed text per language


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("agreement", agreement_command))
    flows.on_choice("agr", choose)
    flows.on_text(CONV, text)
    flows.group_complete.append(on_group_complete)
    flows.rhythm_agreed.append(rhythm_agreed)
    flows.rhythm_proposed.append(resume_after_rhythm)
    flows.on_job("agr_remind", remind)


# -- starting ---------------------------------------------------------------
async def on_group_complete(ctx: Ctx, group: Group) -> None:
    programme = await ctx.session.get(Programme, group.programme_id)
    assert programme is not None
    agreement = await create_version(ctx, group, programme, version=1)
    view = await view_of(ctx.session, ctx.content, agreement)
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


async def send_to_all(ctx: Ctx, view: AgreementView, intro_key: str) -> None:
    """Tell every member the agreement starts, each with their first item."""
    for member in view.members:
        lang = view.lang_of(member)
        intro = ctx.t_for(lang, intro_key, programme=view.programme.name, count=len(view.items))
        replies = [Reply(intro)]
        nxt = view.next_for(member)
        if nxt is not None:
            replies.append(item_reply(ctx, view, nxt, member, lang))
        for n, reply in enumerate(replies):
            if member.person_id == ctx.person.id:
                ctx.replies.append(ctx.out(reply))
            elif member.person_id is not None:
                await ctx.tell(
                    member.person_id,
                    reply,
                    key=f"agr:{view.agreement.id}:start:{member.id}:{n}",
                )


# -- rendering --------------------------------------------------------------
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
        end_date=view.programme.end_date.isoformat(),
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
                date=from_db(view.agreement.completed_at).date().isoformat(),
            )
        )
    return "\n".join(lines)


def document(ctx: Work, view: AgreementView, lang: str) -> Attachment:
    name = ctx.t_for(lang, "agreement.doc.filename", version=view.agreement.version)
    return Attachment(name, render(ctx, view, lang).encode("utf-8"), "text/plain")


# -- answering --------------------------------------------------------------
async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) < 2 or not parts[0].isdigit():
        ctx.say("basics.stale_button", private=True)
        return
    view = await load_view(ctx.session, ctx.content, int(parts[0]), lock=True)
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
    current = await current_agreement(ctx.session, view.group.id)
    if view.agreement.status != "open" or current is None or current.id != view.agreement.id:
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


async def set_answer(
    ctx: Work, view: AgreementView, member: Member, item_id: str, value: str
) -> None:
    await ctx.session.execute(
        delete(AgreementAnswer).where(
            AgreementAnswer.agreement_id == view.agreement.id,
            AgreementAnswer.item_id == item_id,
            AgreementAnswer.member_id == member.id,
        )
    )
    ctx.session.add(
        AgreementAnswer(
            agreement_id=view.agreement.id,
            item_id=item_id,
            member_id=member.id,
            answer=value,
            updated_at=to_db(ctx.now),
        )
    )
    view.answers[(item_id, member.id)] = value


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
        answer=ctx.t(f"agreement.answered.{value}"),
        replace=True,
    )
    await after_answer(ctx, view, member)


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
        ctx.say("agreement.walk_done_waiting", names=", ".join(waiting_on))
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
        answer=ctx.t("agreement.answered.agree"),
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


# -- completing, showing, revising --------------------------------------------
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
    shown = False
    for seat in await memberships(ctx.session, ctx.person.id):
        assert seat.group_id is not None
        agreement = await current_agreement(ctx.session, seat.group_id)
        if agreement is None:
            continue
        view = await view_of(ctx.session, ctx.content, agreement)
        member = view.member_of(ctx.person.id)
        if member is not None:
            await show(ctx, view, member)
            shown = True
    if not shown:
        ctx.say("agreement.none")


async def show(ctx: Ctx, view: AgreementView, member: Member) -> None:
    """One version: a draft leads back into the checklist (and, during a
    revision, to the version still in force); a completed one comes with its
    file, and the current one can be revised."""
    aid = view.agreement.id
    text = render(ctx, view, ctx.lang)
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


# -- reminders ------------------------------------------------------------------
async def remind(work: Work, job: Job) -> None:
    view = await load_view(work.session, work.content, int(job.payload["agreement_id"]))
    if view is None or view.agreement.status != "open":
        return
    current = await current_agreement(work.session, view.group.id)
    if current is None or current.id != view.agreement.id or view.group.status != "active":
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


# -- the rhythm item ---------------------------------------------------------------
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
        for m in view.members:
            if view.answers.get((item.id, m.id)) != "agree":
                await set_answer(ctx, view, m, item.id, "agree")
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
