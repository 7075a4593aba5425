"""Reads of a batch of due jobs made ahead, in one query each instead of one per job.

The scheduler runs due jobs fifty to a transaction.  A job kind may offer
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

from sqlalchemy import Table, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from bot.store.driver_sql import DriverForm, driver_form
from bot.store.session import ORM_LISTENS, DbSession, SyncBackedSession

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


#: the ``session.info`` key of the next id :func:`new_id` gives out, per table
NEXT_IDS = "batch_next_ids"
#: ids of kept-back rows whose insert may add nothing (a key already there)
UNSURE = "batch_unsure_ids"
#: ids given out whose row was not added after all
SKIPPED = "batch_skipped_ids"
#: an execution option: a statement of this module's own, not one to write before
_OWN = "batch_memo_own"


def start_deferring(session: DbSession) -> None:
    """From now on, :func:`defer` keeps writes back until :func:`write_deferred`.

    On SQLite, rows whose id a job needs at once (an outbox message, a live
    question) may be kept back too, their ids given out here (:func:`new_id`).
    Like the ORM's autoflush, every statement the session runs meanwhile,
    and every flush, first writes what was kept back: a read in the batch
    always finds the rows written before it."""
    session.info[DEFERRED] = {}
    session.info[SKIPPED] = set()
    if isinstance(session, SyncBackedSession):
        sync = session.sync_session
        session.info[NEXT_IDS] = {}
        session.info[ORM_LISTENS] = True
        event.listen(sync, "do_orm_execute", _before_statement)
        event.listen(sync, "before_flush", _before_flush)


def stop_deferring(session: DbSession) -> set[int]:
    """The batch is over (written or rolled back): forget what was kept back;
    returns the ids :func:`new_id` gave out whose rows were not added."""
    info = session.info
    info.pop(DEFERRED, None)
    info.pop(UNSURE, None)
    if info.pop(NEXT_IDS, None) is not None and isinstance(session, SyncBackedSession):
        sync = session.sync_session
        info.pop(ORM_LISTENS, None)
        event.remove(sync, "do_orm_execute", _before_statement)
        event.remove(sync, "before_flush", _before_flush)
    skipped: set[int] = info.pop(SKIPPED, None) or set()
    return skipped


async def new_id(session: DbSession, table: Table) -> int | None:
    """An id for a new row of ``table`` that the caller keeps back with
    :func:`defer` (``None``: write it now, no batch keeps rows back here).

    SQLite gives a new row the largest id plus one, and the batch's
    transaction is the only writer: the first id is read once (one
    statement), the next ones counted here.  Any other statement resets the
    count (it may have inserted a row itself), see :func:`_before_statement`."""
    ids: dict[str, int] | None = session.info.get(NEXT_IDS)
    if ids is None or DEFERRED not in session.info:
        return None
    given = ids.get(table.name)
    if given is None:
        top = select(func.max(table.c.id)).execution_options(**{_OWN: True})
        given = int(await session.scalar(top) or 0) + 1
    ids[table.name] = given + 1
    return given


def defer_row(session: DbSession, statement: Any, params: dict[str, Any], *, unsure: bool) -> None:
    """Keep back a row whose id :func:`new_id` gave out (``params["id"]``);
    ``unsure``: its insert skips a key already there, so whether it was
    added is checked when it is written."""
    defer(session, statement, params)
    if unsure:
        session.info.setdefault(UNSURE, {}).setdefault(statement, set()).add(params["id"])


def _before_statement(state: ORMExecuteState) -> None:
    if state.execution_options.get(_OWN):
        return
    _write_now(state.session)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _write_now(session)


def _write_now(sync: Session) -> None:
    """Write what was kept back before the session runs anything else."""
    info = sync.info
    ids = info.get(NEXT_IDS)
    if ids:
        ids.clear()  # the coming statement may insert: read the largest id again
    pending: dict[Any, list[dict[str, Any]]] | None = info.get(DEFERRED)
    if not pending:
        return
    info[DEFERRED] = {}
    unsure: dict[Any, set[int]] = info.pop(UNSURE, None) or {}
    own = {_OWN: True}
    for statement, rows in pending.items():
        result = _execute_many(sync, statement, rows)
        doubtful = unsure.get(statement)
        if doubtful and result.rowcount != len(rows):  # type: ignore[attr-defined]
            table = statement.table
            found = sync.scalars(
                select(table.c.id).where(table.c.id.in_(sorted(doubtful))).execution_options(**own)
            )
            info[SKIPPED].update(doubtful - set(found))


#: kept-back statements as their compiled SQL, per statement, columns and dialect
_FORMS: dict[tuple[Any, tuple[str, ...], Any], DriverForm | None] = {}


def _execute_many(sync: Session, statement: Any, rows: list[dict[str, Any]]) -> Any:
    """Kept-back rows of one statement in one ``executemany``: as the
    statement's compiled SQL where it has one (:mod:`bot.store.driver_sql`:
    the same SQL and values, without SQLAlchemy's per-row parameter
    handling), else as the Core statement."""
    keys = tuple(rows[0])
    conn = sync.connection()
    dialect = conn.dialect
    slot = (statement, keys, dialect)  # (a dialect carries the JSON serializer)
    if slot in _FORMS:
        form = _FORMS[slot]
    else:
        form = driver_form(statement, dialect, list(keys))
        if len(_FORMS) < 256:  # (prebuilt statements: a handful)
            _FORMS[slot] = form
    first = rows[0].keys()
    if form is None or any(row.keys() != first for row in rows):
        return sync.execute(statement, rows, execution_options={_OWN: True})
    return conn.exec_driver_sql(form.sql, [form.values(row) for row in rows])


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
    if isinstance(session, SyncBackedSession) and NEXT_IDS in session.info:
        _write_now(session.sync_session)
        session.info.pop(DEFERRED, None)
        return
    pending: dict[Any, list[dict[str, Any]]] = session.info.pop(DEFERRED, None) or {}
    for statement, rows in pending.items():
        await session.execute(statement, rows)
