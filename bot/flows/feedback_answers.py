"""Reading feedback progress: which questions a member answered, and the rating trend.

Apart from the feedback flow so that programme health can ask whether a
check-in went unanswered without importing the flow that asks it.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, select

from bot.core.choice_ids import parse_id
from bot.core.context import Work
from bot.store.batch_memo import MISSING, take
from bot.store.models import FeedbackAnswer, Group, Job, Meeting

PULSE_RATING = "useful"


# -- reading progress ----------------------------------------------------------
@cache
def _answers_of() -> Select[FeedbackAnswer]:
    """Built once: read for every feedback answer."""
    return select(FeedbackAnswer).where(
        FeedbackAnswer.group_id == bindparam("group_id"),
        FeedbackAnswer.member_id == bindparam("member_id"),
        FeedbackAnswer.kind == bindparam("kind"),
        FeedbackAnswer.round == bindparam("round"),
    )


async def answers_of(
    work: Work, group_id: int, member_id: int, kind: str, round_: str
) -> dict[str, FeedbackAnswer]:
    params = {"group_id": group_id, "member_id": member_id, "kind": kind, "round": round_}
    rows = await work.session.scalars(_answers_of(), params)
    return {a.question_id: a for a in rows}


_ROUND_ANSWERS = select(FeedbackAnswer).where(
    FeedbackAnswer.group_id == bindparam("group_id"),
    FeedbackAnswer.kind == bindparam("kind"),
    FeedbackAnswer.round == bindparam("round"),
)


async def round_answers(
    work: Work, group_id: int, kind: str, round_: str
) -> dict[int, dict[str, FeedbackAnswer]]:
    """Every seat's answers of one round (member id -> as :func:`answers_of`)."""
    rows = take(work.session, "round_answers", (group_id, kind, round_))
    if rows is MISSING:
        rows = await work.session.scalars(
            _ROUND_ANSWERS, {"group_id": group_id, "kind": kind, "round": round_}
        )
    out: dict[int, dict[str, FeedbackAnswer]] = {}
    for a in rows:
        if a.member_id is not None:  # a seat's answers (answers_of reads them by seat)
            out.setdefault(a.member_id, {})[a.question_id] = a
    return out


async def answered(work: Work, group_id: int, member_id: int, kind: str, round_: str) -> bool:
    found = await work.session.scalar(
        select(FeedbackAnswer.id)
        .where(
            FeedbackAnswer.group_id == group_id,
            FeedbackAnswer.member_id == member_id,
            FeedbackAnswer.kind == kind,
            FeedbackAnswer.round == round_,
        )
        .limit(1)
    )
    return found is not None


async def mentee_ratings(work: Work, group_id: int, member_id: int) -> list[int]:
    rows = await work.session.scalars(
        select(FeedbackAnswer.rating)
        .where(
            FeedbackAnswer.group_id == group_id,
            FeedbackAnswer.member_id == member_id,
            FeedbackAnswer.kind == "pulse",
            FeedbackAnswer.question_id == PULSE_RATING,
            FeedbackAnswer.rating.is_not(None),
        )
        .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
    )
    return [int(r) for r in rows if r is not None]


def falling(ratings: list[int]) -> bool:
    """A drop of two points at once, or three ratings each lower than the one before."""
    if len(ratings) >= 2 and ratings[-2] - ratings[-1] >= 2:
        return True
    return len(ratings) >= 3 and ratings[-3] > ratings[-2] > ratings[-1]


async def issued(work: Work, group: Group, kind: str, round_: str) -> bool:
    """Was round ``round_`` of ``kind`` sent to this group?  Decided from state,
    never from the id: a pulse follows a meeting of this group that was held;
    check-ins and evaluations were started by their scheduled job."""
    if kind == "pulse":
        meeting_id = parse_id(round_)
        meeting = await work.session.get(Meeting, meeting_id) if meeting_id else None
        return meeting is not None and meeting.group_id == group.id and meeting.status == "held"
    started = await work.session.scalars(
        select(Job.payload).where(
            Job.kind == "fb_round", Job.group_id == group.id, Job.done_at.is_not(None)
        )
    )
    return any(
        str((p or {}).get("kind")) == kind and str((p or {}).get("round")) == round_
        for p in started
    )
