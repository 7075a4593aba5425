"""What programme health reads about a group, read once per evaluation.

One health pass (evaluate a group, then move its pending job to the next
deadline) asks the same questions several times: when the pair last met,
when its last pause ended, whether it ever booked, its rhythm, its
agreement, its open flags -- once for "is it overdue now?" and again for
"when is it next due?".  Inside :func:`one_pass` each answer is read from
the database once and kept for the rest of the pass; outside a pass every
call reads afresh, as before.  Nothing the pass itself does changes these
facts except the flags, and :func:`note_raised` / :func:`note_resolved`
keep the kept flags right.  The pass ends with the hook that started it, so
nothing is kept beyond it (state stays in the database).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from bot.core.context import Work
from bot.flows.agreement_view import current_agreement
from bot.store.db import from_db, to_db
from bot.store.models import Agreement, Group, Job, Meeting, Programme, Rhythm, RiskFlag

DEFAULT_AGREEMENT_DAYS = 14
DEFAULT_UNBOOKED_DAYS = 14
#: the longest grace after twice the interval, for the meeting of that very day
MEETING_GRACE = timedelta(days=1)
_PASS = "health_pass"


def agreement_days(programme: Programme) -> int:
    return int(programme.settings.get("agreement_due_days", DEFAULT_AGREEMENT_DAYS))


def unbooked_days(programme: Programme) -> int:
    return int(programme.settings.get("unbooked_days", DEFAULT_UNBOOKED_DAYS))


def grace(frequency_days: int) -> timedelta:
    return min(MEETING_GRACE, timedelta(days=frequency_days / 8))


@contextmanager
def one_pass(work: Work) -> Iterator[None]:
    """Keep what health reads until the outermost pass ends."""
    if _PASS in work.memo:
        yield
        return
    work.memo[_PASS] = {}
    try:
        yield
    finally:
        work.memo.pop(_PASS, None)


async def _kept(work: Work, key: tuple[str, int], read: Callable[[], Awaitable[Any]]) -> Any:
    kept: dict[tuple[str, int], Any] | None = work.memo.get(_PASS)
    if kept is None:
        return await read()
    if key not in kept:
        kept[key] = await read()
    return kept[key]


# -- flags -------------------------------------------------------------------
@cache
def _open_flags() -> Select[RiskFlag]:
    """Built once: health reads a group's flags after most of its events."""
    return select(RiskFlag).where(
        RiskFlag.group_id == bindparam("group_id"), RiskFlag.resolved_at.is_(None)
    )


async def _read_flags(work: Work, group_id: int) -> dict[str, RiskFlag]:
    rows = await work.session.scalars(_open_flags(), {"group_id": group_id})
    return {f.reason: f for f in rows}


async def open_flags(work: Work, group_id: int) -> dict[str, RiskFlag]:
    flags = await _kept(work, ("flags", group_id), lambda: _read_flags(work, group_id))
    return dict(flags)


def note_raised(work: Work, flag: RiskFlag) -> None:
    kept = work.memo.get(_PASS)
    if kept is not None and ("flags", flag.group_id) in kept:
        kept["flags", flag.group_id][flag.reason] = flag


def note_resolved(work: Work, flag: RiskFlag) -> None:
    kept = work.memo.get(_PASS)
    if kept is not None and ("flags", flag.group_id) in kept:
        kept["flags", flag.group_id].pop(flag.reason, None)


# -- meetings, pauses, rhythm, agreement ---------------------------------------------
@cache
def _last_held() -> Select[Any]:
    return select(func.max(Meeting.starts_at)).where(
        Meeting.group_id == bindparam("group_id"), Meeting.status == "held"
    )


@cache
def _last_resume() -> Select[Any]:
    return select(func.max(Job.due_at)).where(
        Job.group_id == bindparam("group_id"),
        Job.kind == "group_resume",
        Job.due_at <= bindparam("now"),
    )


@cache
def _any_booked() -> Select[Any]:
    return (
        select(Meeting.id)
        .where(
            Meeting.group_id == bindparam("group_id"),
            Meeting.status.not_in(("proposed", "replaced")),
        )
        .limit(1)
    )


@cache
def _agreement_status() -> Select[Any]:
    """The status of the group's newest agreement (see ``current_agreement``)."""
    return (
        select(Agreement.status)
        .where(Agreement.group_id == bindparam("group_id"))
        .order_by(Agreement.version.desc())
        .limit(1)
    )


@cache
def _marks() -> Select[Any]:
    """The reads above as one statement (a pass nearly always asks them all)."""
    return select(
        _last_held().scalar_subquery(),
        _last_resume().scalar_subquery(),
        _any_booked().exists(),
        _agreement_status().scalar_subquery(),
    )


_MARKS = ("held", "resumed", "booked", "agreement_status")


async def _mark(work: Work, name: str, group_id: int) -> Any:
    """Inside a pass, the first of :func:`last_held`, :func:`last_pause_end`,
    :func:`ever_booked` and the agreement's status reads them all in one
    statement and keeps them."""
    kept: dict[tuple[str, int], Any] | None = work.memo.get(_PASS)
    if kept is None:
        return MISSING_MARK
    if (name, group_id) not in kept:
        params = {"group_id": group_id, "now": to_db(work.now)}
        row = (await work.session.execute(_marks(), params)).one()
        held, resumed, booked, status = row
        values = (
            from_db(held) if held is not None else None,
            from_db(resumed) if resumed is not None else None,
            bool(booked),
            status,
        )
        for mark, value in zip(_MARKS, values, strict=True):
            kept.setdefault((mark, group_id), value)
    return kept[name, group_id]


#: :func:`_mark` outside a pass: read just the one asked for
MISSING_MARK: Any = object()


async def last_held(work: Work, group_id: int) -> datetime | None:
    found = await _mark(work, "held", group_id)
    if found is not MISSING_MARK:
        return found  # type: ignore[no-any-return]
    value = await work.session.scalar(_last_held(), {"group_id": group_id})
    return from_db(value) if value is not None else None


async def last_pause_end(work: Work, group_id: int) -> datetime | None:
    """When the group's latest pause ended (the resume job's due time), if any."""
    found = await _mark(work, "resumed", group_id)
    if found is not MISSING_MARK:
        return found  # type: ignore[no-any-return]
    params = {"group_id": group_id, "now": to_db(work.now)}
    value = await work.session.scalar(_last_resume(), params)
    return from_db(value) if value is not None else None


async def ever_booked(work: Work, group_id: int) -> bool:
    found = await _mark(work, "booked", group_id)
    if found is not MISSING_MARK:
        return bool(found)
    return await work.session.scalar(_any_booked(), {"group_id": group_id}) is not None


async def rhythm_of(work: Work, group_id: int) -> Rhythm | None:
    return await _kept(  # type: ignore[no-any-return]
        work, ("rhythm", group_id), lambda: work.session.get(Rhythm, group_id)
    )


async def agreement_of(work: Work, group_id: int) -> Agreement | None:
    return await _kept(  # type: ignore[no-any-return]
        work, ("agreement", group_id), lambda: current_agreement(work.session, group_id)
    )


async def last_sign_of_life(work: Work, group: Group, rhythm: Rhythm) -> datetime:
    marks = [from_db(rhythm.agreed_at)]
    for mark in (await last_held(work, group.id), await last_pause_end(work, group.id)):
        if mark is not None:
            marks.append(mark)
    return max(marks)


async def meeting_deadline(work: Work, group: Group) -> tuple[datetime, Rhythm] | None:
    """When the group is overdue: twice its own agreed interval (and a little
    grace) after the last sign of life.  A pair that never booked a meeting is
    judged by :func:`unbooked_deadline` instead."""
    rhythm = await rhythm_of(work, group.id)
    if rhythm is None or not await ever_booked(work, group.id):
        return None
    since = await last_sign_of_life(work, group, rhythm)
    interval = rhythm.frequency_days
    return since + timedelta(days=2 * interval) + grace(interval), rhythm


async def unbooked_deadline(
    work: Work, group: Group, programme: Programme
) -> tuple[datetime, Rhythm] | None:
    """When a pair that agreed its rhythm but never booked a meeting is flagged."""
    rhythm = await rhythm_of(work, group.id)
    if rhythm is None or await ever_booked(work, group.id):
        return None
    since = await last_sign_of_life(work, group, rhythm)
    return since + timedelta(days=unbooked_days(programme)), rhythm


async def agreement_deadline(work: Work, group: Group, programme: Programme) -> datetime | None:
    status = await _mark(work, "agreement_status", group.id)
    if status is MISSING_MARK:
        agreement = await agreement_of(work, group.id)
        status = agreement.status if agreement is not None else None
    if status in ("complete", "superseded"):
        return None
    if group.completed_at is None:
        return None
    start = from_db(group.completed_at)
    pause_end = await last_pause_end(work, group.id)
    if pause_end is not None and pause_end > start:
        start = pause_end
    return start + timedelta(days=agreement_days(programme))
