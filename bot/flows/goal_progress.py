"""Reading a mentee's goals and how far the mentee has come with them.

The goals are the ones written in the mentoring agreement (the version in
force, or the draft while none is complete yet).  The answers to "how far have
you come?" are :class:`FeedbackAnswer` rows of kind ``goals``: one per goal and
round (``mid``, ``end``), the level in ``choice``.  No new table: an answer is
feedback like any other, erased and exported with it.

Kept apart from the flow that asks (:mod:`bot.flows.goal_follow_up`) so the
agreement's view and the mentor's reminder can read progress without
importing a flow.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Work
from bot.store.models import Agreement, FeedbackAnswer, Member
from bot.store.session import DbSession

KIND = "goals"
ROUNDS = ("mid", "end")
LEVELS = ("little", "halfway", "mostly", "done")


def question_id(index: int) -> str:
    return f"goal{index}"


async def goals_in_force(session: DbSession, group_id: int) -> dict[int, list[str]]:
    """Each mentee seat's goals: from the latest complete agreement, else the draft."""
    agreement = await session.scalar(
        select(Agreement)
        .where(Agreement.group_id == group_id, Agreement.status == "complete")
        .order_by(Agreement.version.desc())
        .limit(1)
    )
    if agreement is None:
        agreement = await session.scalar(
            select(Agreement)
            .where(Agreement.group_id == group_id)
            .order_by(Agreement.version.desc())
            .limit(1)
        )
    items = agreement.items if agreement is not None and isinstance(agreement.items, dict) else {}
    found: dict[int, list[str]] = {}
    for seat, goals in (items.get("goals") or {}).items():
        if str(seat).isdigit() and isinstance(goals, list) and goals:
            found[int(seat)] = [str(g) for g in goals]
    return found


async def progress_of(session: DbSession, group_id: int, member_id: int) -> dict[str, list[str]]:
    """``round -> [level or "" per goal index]`` for one mentee, in the order asked."""
    rows = await session.scalars(
        select(FeedbackAnswer)
        .where(
            FeedbackAnswer.group_id == group_id,
            FeedbackAnswer.member_id == member_id,
            FeedbackAnswer.kind == KIND,
        )
        .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
    )
    out: dict[str, list[str]] = {}
    for row in rows:
        index = row.question_id.removeprefix("goal")
        if not index.isdigit() or row.choice not in LEVELS:
            continue
        levels = out.setdefault(row.round, [])
        while len(levels) <= int(index):
            levels.append("")
        levels[int(index)] = row.choice
    return out


def latest_levels(progress: dict[str, list[str]]) -> list[str]:
    """The newest level per goal: the end round's answer over the midpoint's."""
    latest: list[str] = []
    for round_ in ROUNDS:
        for i, level in enumerate(progress.get(round_, [])):
            while len(latest) <= i:
                latest.append("")
            if level:
                latest[i] = f"{round_}:{level}"
    return latest


def goal_lines(work: Work, lang: str, goals: list[str], progress: dict[str, list[str]]) -> str:
    """One line per goal, with the newest answer to "how far?" when there is one."""
    lines = []
    latest = latest_levels(progress)
    for i, goal in enumerate(goals):
        mark = latest[i] if i < len(latest) else ""
        if mark:
            round_, level = mark.split(":")
            lines.append(
                work.t_for(
                    lang,
                    "goals.line_with_level",
                    goal=goal,
                    level=work.t_for(lang, f"goals.level.{level}"),
                    when=work.t_for(lang, f"goals.when.{round_}"),
                )
            )
        else:
            lines.append(work.t_for(lang, "goals.line", goal=goal))
    return "\n".join(lines)


async def progress_block(
    work: Work, group_id: int, viewer_member_id: int, viewer_role: str, lang: str
) -> str | None:
    """What ``/agreement`` adds about goal progress: a mentee sees their own, a
    mentor every mentee's; co-mentees in a circle never see each other's."""
    goals = await goals_in_force(work.session, group_id)
    parts = []
    for seat_id, own in goals.items():
        if viewer_role != "mentor" and seat_id != viewer_member_id:
            continue
        progress = await progress_of(work.session, group_id, seat_id)
        if not any(any(levels) for levels in progress.values()):
            continue
        seat = await work.session.get(Member, seat_id)
        name = seat.name if seat is not None else "–"
        head = work.t_for(lang, "goals.progress_head", name=name)
        parts.append(head + "\n" + goal_lines(work, lang, own, progress))
    return "\n\n".join(parts) if parts else None
