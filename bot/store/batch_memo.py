"""Reads of a batch of due jobs made ahead, in one query each instead of one per job.

The scheduler runs due jobs twenty to a transaction.  A job kind may offer
a *preload* (``Flows.on_job(..., preload=...)``): before the batch runs, it
reads what each job would read (the groups' seats and people, their answers,
meetings and prompts; the people's identities and open questions) in a few
queries for the whole batch, and leaves the rows here, in the transaction's
``session.info``.  The read helpers (:func:`bot.store.groups.seats_with_people`
and the others) ask :func:`take` first and run their query only when nothing
was left for them.

Each entry is taken once: the first read of a job gets the row as the batch
read it, a second read in the same job queries afresh (the job may have
written meanwhile).  So an entry is only correct if nothing else in the batch
changed what it stands for before that first read; the preload leaves
entries only for groups and people that no other job of the batch touches
(see the scheduler), and the scheduler drops them all once the batch is done.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from bot.store.session import DbSession

#: the ``session.info`` key the memo lives under
MEMO = "batch_memo"


class _Missing:
    """Nothing was read ahead for this key: run the query."""


MISSING: Any = _Missing()


def memo_of(session: DbSession) -> dict[str, dict[Hashable, Any]]:
    """The batch's memo (created empty on first use)."""
    memo: dict[str, dict[Hashable, Any]] = session.info.setdefault(MEMO, {})
    return memo


def take(session: DbSession, kind: str, key: Hashable) -> Any:
    """The row(s) read ahead for ``key``, removed from the memo; ``MISSING`` if none."""
    memo = session.info.get(MEMO)
    if not memo:
        return MISSING
    entries = memo.get(kind)
    if not entries:
        return MISSING
    return entries.pop(key, MISSING)


def drop(session: DbSession) -> None:
    """Forget everything read ahead (the batch is over, or a job failed)."""
    session.info.pop(MEMO, None)


#: the ``session.info`` key of writes a batch makes at its end
DEFERRED = "batch_deferred"


def start_deferring(session: DbSession) -> None:
    """From now on, :func:`defer` keeps writes back until :func:`write_deferred`."""
    session.info[DEFERRED] = {}


def defer(session: DbSession, statement: Any, params: dict[str, Any]) -> bool:
    """Keep a write that nothing in the batch reads back for the batch's end,
    where all writes of one statement go as one ``executemany``; False (write
    it now) when the transaction is no batch that defers."""
    pending: dict[Any, list[dict[str, Any]]] | None = session.info.get(DEFERRED)
    if pending is None:
        return False
    pending.setdefault(statement, []).append(params)
    return True


async def write_deferred(session: DbSession) -> None:
    """Write what was kept back, one statement at a time in the order first
    used (each statement's rows in the order they came)."""
    pending: dict[Any, list[dict[str, Any]]] = session.info.pop(DEFERRED, None) or {}
    for statement, rows in pending.items():
        await session.execute(statement, rows)
