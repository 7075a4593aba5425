"""The mentor primer: a short tour of the mentor guide, one section at a time.

When a mentor has joined, they are offered the tour; nothing is pushed.  Each
press of "next" sends the next of the guide's eight sections in a few warm
sentences of our own (``primer.section.<n>`` in content/).  ``/guide``
starts it again at any time, for anyone.  The section to show travels in the
button, so an old button shows its own section again and nothing is lost.
"""

from __future__ import annotations

from bot.core.commands import CommandSpec
from bot.core.context import Ctx
from bot.flows.registry import Flows
from bot.store.models import Group, Member

SECTIONS = 8
#: the pages as they travel in a button (ASCII digits only: "٣" is no page)
PAGES = {str(n) for n in range(1, SECTIONS + 1)}


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("guide", guide_command))
    flows.on_choice("gde", choose)
    flows.member_joined.append(offer)


async def offer(ctx: Ctx, _group: Group, member: Member) -> None:
    """A mentor who has just joined may take the tour now, or later with /guide."""
    if member.role != "mentor":
        return
    ctx.say(
        "primer.offer",
        [ctx.choice("gde:1", "primer.start"), ctx.choice("gde:later", "primer.later")],
        lapses=True,  # /guide stays; the offer gives way to the next real question
    )


async def guide_command(ctx: Ctx, _args: str) -> None:
    show(ctx, 1)


def show(ctx: Ctx, number: int) -> None:
    """Section ``number`` with a "next" button; the last one ends the tour."""
    text = ctx.t("primer.page", n=number, total=SECTIONS, text=ctx.t(f"primer.section.{number}"))
    if number < SECTIONS:
        ctx.reply(text, [ctx.choice(f"gde:{number + 1}", "primer.next")])
    else:
        ctx.reply(text + "\n\n" + ctx.t("primer.done"))


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if parts == ["later"]:
        ctx.say("primer.later_ok", replace=True)
        return
    if len(parts) != 1 or parts[0] not in PAGES:
        ctx.say("basics.stale_button", private=True)
        return
    show(ctx, int(parts[0]))
