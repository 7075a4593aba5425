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
