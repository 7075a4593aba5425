"""Sign-up and intake in chat (guide section 4: learn the mentee's needs).

Someone who starts with a programme's sign-up code gets an application seat
in that role, goes through onboarding, and then answers the intake here —
buttons first, typed text only for the city, hopes and names to avoid.  The
answers are saved after every step (a person can stop and come back), and
``/profile`` shows them with a button to change each one.  The answers are
seen by the person and the programme's organisers only; ``/mydata`` exports
them and ``/forget`` erases them (the privacy flow calls the hooks below).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from bot.core.commands import DM, CommandSpec
from bot.core.context import Ctx, Dialog
from bot.core.types import Choice
from bot.flows.registry import Flows
from bot.matching.models import Intake, MatchRule
from bot.matching.profile import (
    CHAT_LANGUAGES,
    GROUP_PREFERENCES,
    MAX_CAPACITY,
    MIN_CAPACITY,
    MODES,
    STAGES,
    fold,
    language_name,
)
from bot.matching.signup import find_signup, programme_fields
from bot.store.db import to_db
from bot.store.models import Member, Programme

CONV = "intake"
MULTI = ("languages", "support")
TYPED = {"city": 80, "hopes": 1000, "avoid": 500}


def register(flows: Flows) -> None:
    flows.commands.add(CommandSpec("profile", profile, where=DM))
    flows.on_choice("itk", choose)
    flows.on_text(CONV, text)
    flows.code_redeem.append(redeem_signup)
    flows.seat_ready.append(seat_ready)
    flows.export_person.append(export)
    flows.erase_person.append(erase)


# -- sign-up --------------------------------------------------------------
async def redeem_signup(ctx: Ctx, code: str) -> Member | bool:
    """A sign-up code: a fresh application seat to claim (or True when answered here)."""
    programme, role = await find_signup(ctx.session, code)
    if programme is None:
        if role == "closed":
            ctx.say("matching.intake.closed", private=True)
            return True
        return False
    seat = await ctx.session.scalar(
        select(Member).where(
            Member.programme_id == programme.id,
            Member.person_id == ctx.person.id,
            Member.group_id.is_(None),
            Member.role.in_(("mentor", "mentee")),
        )
    )
    if seat is not None:
        ctx.say("matching.intake.already", programme=programme.name, private=True)
        return True
    seat = Member(programme_id=programme.id, name=ctx.person.display_name[:128], role=role)
    ctx.session.add(seat)
    await ctx.session.flush()
    return seat


async def seat_ready(ctx: Ctx, seat: Member) -> None:
    """Onboarding is done for an application seat: the intake (unless imported)."""
    intake = await ctx.session.get(Intake, seat.id)
    if intake is not None and intake.status != "draft":
        ctx.say("matching.intake.imported")
        return
    if intake is None:
        intake = Intake(
            member_id=seat.id,
            programme_id=seat.programme_id,
            answers={},
            status="draft",
            updated_at=to_db(ctx.now),
        )
        ctx.session.add(intake)
    ctx.say("matching.intake.start")
    dialog = await ctx.dialog(CONV)
    dialog.reset()
    dialog.go("languages", member_id=seat.id, edit=False)
    await _ask(ctx, seat, intake, "languages")


# -- the questions ----------------------------------------------------------
async def _programme(ctx: Ctx, seat: Member) -> Programme:
    programme = await ctx.session.get(Programme, seat.programme_id)
    assert programme is not None
    return programme


def steps_for(seat: Member, programme: Programme, answers: dict[str, Any]) -> list[str]:
    steps = ["languages", "mode"]
    if answers.get("mode", "online") != "online":
        steps.append("city")
    if programme_fields(programme):
        steps.append("field")
    steps += ["stage", "support"]
    if seat.role == "mentor":
        steps.append("capacity")
    elif programme.format != "one_to_one":
        steps.append("group")
    return [*steps, "hopes", "avoid"]


def _options(ctx: Ctx, step: str, programme: Programme) -> list[tuple[str, str]]:
    """(value, label) of a step's buttons."""
    if step == "languages":
        return [(c, language_name(c, c).capitalize()) for c in CHAT_LANGUAGES]
    if step == "mode":
        return [(m, ctx.t(f"matching.mode.{m}").capitalize()) for m in MODES]
    if step == "field":
        return [(str(n), f) for n, f in enumerate(programme_fields(programme))]
    if step == "stage":
        return [(s, ctx.t(f"matching.stage.{s}").capitalize()) for s in STAGES]
    if step == "support":
        return [(o.id, o.text(ctx.lang)) for o in ctx.content.agreement.support_options]
    if step == "capacity":
        return [(str(n), str(n)) for n in range(MIN_CAPACITY, MAX_CAPACITY + 1)]
    if step == "group":
        return [(g, ctx.t(f"matching.intake.group.{g}")) for g in GROUP_PREFERENCES]
    return []


async def _ask(ctx: Ctx, seat: Member, intake: Intake, step: str, *, replace: bool = False) -> None:
    programme = await _programme(ctx, seat)
    prefix = f"itk:{seat.id}:{step}:"
    key = f"matching.intake.{step}.ask"
    if step in ("languages", "support"):
        key += f"_{seat.role}"
    chosen = set(intake.answers.get(step) or ())
    choices = [
        Choice(prefix + value, ("✓ " if value in chosen else "") + label)
        for value, label in _options(ctx, step, programme)
    ]
    if step in MULTI:
        choices.append(ctx.choice(prefix + "done", "matching.intake.done"))
    elif step == "hopes":
        choices.append(ctx.choice(prefix + "skip", "matching.intake.skip"))
    elif step == "avoid":
        choices.append(ctx.choice(prefix + "skip", "matching.intake.nobody"))
    ctx.say(key, choices, replace=replace)


async def _seat(ctx: Ctx, member_id: object) -> tuple[Member, Intake] | None:
    seat = await ctx.session.get(Member, member_id) if isinstance(member_id, int) else None
    if seat is None or seat.person_id != ctx.person.id:
        return None
    intake = await ctx.session.get(Intake, seat.id)
    return (seat, intake) if intake is not None else None


async def choose(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 3 or not parts[0].isdigit():
        ctx.say("basics.stale_button", private=True)
        return
    found = await _seat(ctx, int(parts[0]))
    if found is None:
        ctx.say("basics.not_yours", private=True)
        return
    seat, intake = found
    step, value = parts[1], parts[2]
    dialog = await ctx.dialog(CONV)
    if step == "edit":
        dialog.reset()
        dialog.go(value, member_id=seat.id, edit=True)
        await _ask(ctx, seat, intake, value)
        return
    if dialog.step != step or dialog.data.get("member_id") != seat.id:
        ctx.say("basics.stale_button", private=True)
        return
    programme = await _programme(ctx, seat)
    answers = dict(intake.answers)
    if step in MULTI and value != "done":
        valid = {v for v, _ in _options(ctx, step, programme)}
        if value in valid:
            chosen = list(answers.get(step) or [])
            chosen = [c for c in chosen if c != value] if value in chosen else [*chosen, value]
            answers[step] = chosen
            _save(ctx, intake, answers)
        await _ask(ctx, seat, intake, step, replace=True)
        return
    if step in MULTI:
        if step == "languages" and not answers.get("languages"):
            ctx.say("matching.intake.languages.need_one", private=True)
            return
    elif step in ("hopes", "avoid") and value == "skip":
        answers[step] = "" if step == "hopes" else []
    else:
        options = dict(_options(ctx, step, programme))
        if value not in options:
            ctx.say("basics.stale_button", private=True)
            return
        if step == "field":
            answers[step] = options[value]
        elif step == "capacity":
            answers[step] = int(value)
        elif step == "group":
            answers["prefers_group"] = value
        else:
            answers[step] = value
        if step == "mode" and value == "online":
            answers["city"] = ""
    _save(ctx, intake, answers)
    await _advance(ctx, dialog, seat, intake, step)


async def text(ctx: Ctx, dialog: Dialog, message: str) -> None:
    found = await _seat(ctx, dialog.data.get("member_id"))
    if found is None:
        dialog.reset()
        return
    seat, intake = found
    step = dialog.step or ""
    if step not in TYPED:
        ctx.say("matching.intake.use_buttons")
        await _ask(ctx, seat, intake, step)
        return
    message = " ".join(message.split()) if step != "hopes" else message.strip()
    if len(message) > TYPED[step]:
        ctx.say(f"matching.intake.{step}.too_long")
        return
    answers = dict(intake.answers)
    if step == "avoid":
        answers[step] = [n.strip() for n in message.replace(",", ";").split(";") if n.strip()]
    else:
        answers[step] = message
    _save(ctx, intake, answers)
    await _advance(ctx, dialog, seat, intake, step)


def _save(ctx: Ctx, intake: Intake, answers: dict[str, Any]) -> None:
    answers["timezone"] = ctx.person.timezone
    intake.answers = answers
    intake.updated_at = to_db(ctx.now)


async def _advance(ctx: Ctx, dialog: Dialog, seat: Member, intake: Intake, step: str) -> None:
    programme = await _programme(ctx, seat)
    steps = steps_for(seat, programme, intake.answers)
    following = steps[steps.index(step) + 1 :] if step in steps else []
    if dialog.data.get("edit"):
        # a change of mode to face-to-face needs the city, if there is none yet
        if step == "mode" and "city" in following[:1] and not intake.answers.get("city"):
            dialog.go("city")
            await _ask(ctx, seat, intake, "city")
            return
        dialog.reset()
        ctx.say("matching.profile.saved")
        await show_profile(ctx, seat, intake)
        return
    if following:
        dialog.go(following[0])
        await _ask(ctx, seat, intake, following[0])
        return
    dialog.reset()
    intake.status = "waiting"
    ctx.say("matching.intake.finished", name=seat.name)


# -- /profile ---------------------------------------------------------------
async def profile(ctx: Ctx, _args: str) -> None:
    seats = list(
        (
            await ctx.session.scalars(
                select(Member)
                .join(Intake, Intake.member_id == Member.id)
                .where(Member.person_id == ctx.person.id)
                .order_by(Member.id)
            )
        ).all()
    )
    if not seats:
        ctx.say("matching.profile.none")
        return
    for seat in seats:
        intake = await ctx.session.get(Intake, seat.id)
        assert intake is not None
        await show_profile(ctx, seat, intake)


def _value(ctx: Ctx, step: str, answers: dict[str, Any]) -> str:
    value = answers.get("prefers_group" if step == "group" else step)
    if step == "languages":
        return ", ".join(language_name(c, ctx.lang) for c in value or ())
    if step == "support":
        labels = {o.id: o.text(ctx.lang) for o in ctx.content.agreement.support_options}
        return ", ".join(labels.get(v, v) for v in value or ())
    if step in ("mode", "stage") and value:
        return ctx.t(f"matching.{step}.{value}")
    if step == "group" and value:
        return ctx.t(f"matching.intake.group.{value}")
    if step == "avoid":
        return "; ".join(value or ())
    return str(value) if value not in (None, "") else ctx.t("matching.profile.empty")


async def show_profile(ctx: Ctx, seat: Member, intake: Intake) -> None:
    programme = await _programme(ctx, seat)
    steps = steps_for(seat, programme, intake.answers)
    lines = [
        ctx.t("matching.profile.head", programme=programme.name, role=ctx.t(f"roles.{seat.role}"))
    ]
    for step in steps:
        label = ctx.t(f"matching.profile.label.{step}")
        value = _value(ctx, step, intake.answers)
        lines.append(ctx.t("matching.profile.line", label=label, value=value))
    if intake.status == "matched":
        lines.append(ctx.t("matching.profile.matched"))
    choices = [
        ctx.choice(
            f"itk:{seat.id}:edit:{step}",
            "matching.profile.edit",
            label=ctx.t(f"matching.profile.label.{step}"),
        )
        for step in steps
    ]
    ctx.reply("\n".join(lines), choices, private=True)


# -- privacy hooks ------------------------------------------------------------
async def export(ctx: Ctx) -> dict[str, Any]:
    seat_ids = select(Member.id).where(Member.person_id == ctx.person.id)
    rows = await ctx.session.scalars(select(Intake).where(Intake.member_id.in_(seat_ids)))
    return {
        "intake": [
            {"member_id": i.member_id, "status": i.status, "answers": i.answers} for i in rows
        ]
    }


async def erase(ctx: Ctx, seats: list[Member], names: set[str]) -> None:
    """Delete the person's intake and rules; drop their names from others' avoid lists."""
    ids = [s.id for s in seats]
    await ctx.session.execute(delete(Intake).where(Intake.member_id.in_(ids)))
    await ctx.session.execute(
        delete(MatchRule).where(
            MatchRule.mentor_member_id.in_(ids) | MatchRule.mentee_member_id.in_(ids)
        )
    )
    folded = {fold(n) for n in names if n}
    programmes = {s.programme_id for s in seats}
    for intake in await ctx.session.scalars(
        select(Intake).where(Intake.programme_id.in_(programmes))
    ):
        avoid = list(intake.answers.get("avoid") or [])
        kept = [n for n in avoid if fold(n) not in folded]
        if kept != avoid:
            intake.answers = {**intake.answers, "avoid": kept}
