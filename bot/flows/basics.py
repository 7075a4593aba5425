"""Basics every person can use: /start without a code, /help, /about, /language.

Unexpected text in a private chat gets a friendly pointer instead of silence;
in a group the bot stays quiet unless spoken to with a command.
"""

from __future__ import annotations

from bot.core.commands import CommandSpec
from bot.core.context import Ctx, Dialog, Work
from bot.core.engine import is_organiser
from bot.core.types import Choice, Reply
from bot.flows.registry import Flows
from bot.store.models import Job, Person

LANGUAGES = ("sv", "en")


def register(flows: Flows) -> None:
    add = flows.commands.add
    add(CommandSpec("help", help_))
    add(CommandSpec("about", about))
    add(CommandSpec("language", language, args="sv|en"))
    flows.on_choice("lang", choose_language)
    flows.on_choice("menu", menu)
    flows.on_choice("ask", type_your_answer)
    flows.on_text("*", unexpected_text)
    flows.on_job("notice", notice)


def menu_choices(ctx: Ctx) -> list[Choice]:
    return [
        ctx.choice("menu:help", "basics.buttons.help"),
        ctx.choice("menu:about", "basics.buttons.about"),
    ]


async def welcome(ctx: Ctx) -> None:
    """``/start`` with no code from somebody not in any programme yet."""
    ctx.say("basics.start.welcome", menu_choices(ctx), name=ctx.person.display_name)


async def help_(ctx: Ctx, _args: str) -> None:
    organiser = await is_organiser(ctx)
    lines = [ctx.t("basics.help.intro")]
    for spec in ctx.commands.all():
        if spec.organiser_only and not organiser:
            continue
        if ctx.address.kind not in spec.where:  # only what works in this chat
            continue
        desc = (spec.description or {}).get(ctx.lang, "")
        lines.append(f"/{spec.name} — {desc}")
    lines.append(ctx.t("basics.help.outro"))
    ctx.reply("\n".join(lines))


async def about(ctx: Ctx, _args: str) -> None:
    ctx.say("basics.about", [ctx.choice("menu:help", "basics.buttons.help")])


async def language(ctx: Ctx, args: str) -> None:
    wanted = args.strip().lower()[:2]
    if wanted in LANGUAGES:
        await _set_language(ctx, wanted)
        return
    ctx.say(
        "basics.language.ask",
        [Choice("lang:sv", "Svenska"), Choice("lang:en", "English")],
    )


async def choose_language(ctx: Ctx, parts: list[str]) -> None:
    if not parts or parts[0] not in LANGUAGES:
        ctx.say("basics.stale_button", private=True)
        return
    await _set_language(ctx, parts[0], replace=True)


async def _set_language(ctx: Ctx, lang: str, *, replace: bool = False) -> None:
    ctx.person.language = lang
    ctx.say("basics.language.set", menu_choices(ctx), replace=replace)


async def menu(ctx: Ctx, parts: list[str]) -> None:
    target = parts[0] if parts else ""
    if target == "help":
        await help_(ctx, "")
    elif target == "about":
        await about(ctx, "")
    else:
        ctx.say("basics.stale_button", private=True)


async def type_your_answer(ctx: Ctx, _parts: list[str]) -> None:
    """An ``ask:`` button means "answer in free text".  Discord opens a form for
    it; on other platforms the press lands here, and the answer is simply typed."""
    ctx.say("basics.type_answer", private=True)


async def unexpected_text(ctx: Ctx, _dialog: Dialog, _text: str) -> None:
    if ctx.in_group:
        return
    ctx.say("basics.fallback", menu_choices(ctx))


async def notice(work: Work, job: Job) -> None:
    """A one-off message from content to one person (``payload.key``, ``payload.params``)."""
    if job.person_id is None:
        return
    person = await work.session.get(Person, job.person_id)
    if person is None:
        return
    text = work.t_for(person.language, job.payload["key"], **job.payload.get("params", {}))
    await work.tell(person.id, Reply(text), key=f"job:{job.id}")
