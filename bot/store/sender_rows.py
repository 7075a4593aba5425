"""The rows every event starts from, read as plain rows in one statement.

Every event begins by reading its sender: the identity and person, with
their dialogs and their open questions in private chats on the event's
platform (one row per dialog and question: a person has a few of each, one
per topic, so the product stays small).  Through the ORM that read was the
costliest statement of an ordinary event: SQLAlchemy builds an ORM execute
state for it and runs its row loaders over four entities per row, several
times the Python of the statement itself.  Here it is one Core ``SELECT``
built once, and the objects are made from its rows by
:func:`bot.store.session.adopt`: an instance without ``__init__``, its
columns set as a load sets them, and added to the session as persistent
-- the flows then use (and change) them as loaded rows, their changes go
out with the next flush as before.

Only a session that does not hold these rows yet may read them this way
(the first statement of an event's transaction does); the session keeps
them for the transaction, as it keeps every row it loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from bot.store import pg_direct
from bot.store.live_questions import LiveQuestion
from bot.store.models import DialogState, Identity, Person
from bot.store.session import ORM_LISTENS, DbSession, SyncBackedSession, adopt


@dataclass(slots=True)
class Sender:
    """The sender's rows as the session now holds them (see the module)."""

    identity: Identity
    person: Person
    #: conversation -> its dialog row
    dialogs: dict[str, DialogState]
    #: open private questions on the event's platform, oldest first
    questions: list[LiveQuestion]


class _Shape:
    """Where each table's columns sit in the joined row, and their attributes."""

    def __init__(self, tables: Sequence[tuple[type[Any], Table]]):
        self.parts: list[tuple[type[Any], int, list[str]]] = []
        start = 0
        for cls, table in tables:
            mapper = cls.__mapper__
            keys = [mapper.get_property_by_column(col).key for col in table.c]
            self.parts.append((cls, start, keys))
            start += len(keys)


def _table(cls: type[Any]) -> Table:
    return cls.__table__  # type: ignore[no-any-return]


@cache
def _statement() -> tuple[Select[Any], _Shape]:
    """Identity, person, dialogs, open private questions: built once."""
    ident, person, dialog, question = (
        _table(Identity),
        _table(Person),
        _table(DialogState),
        _table(LiveQuestion),
    )
    shape = _Shape(
        [(Identity, ident), (Person, person), (DialogState, dialog), (LiveQuestion, question)]
    )
    stmt = (
        select(*ident.c, *person.c, *dialog.c, *question.c)
        .select_from(
            ident.join(person, person.c.id == ident.c.person_id)
            .outerjoin(dialog, dialog.c.person_id == person.c.id)
            .outerjoin(
                question,
                (question.c.person_id == person.c.id)
                & (question.c.platform == ident.c.platform)
                & question.c.open.is_(True)
                & (question.c.kind == "dm"),
            )
        )
        .where(ident.c.platform == bindparam("platform"), ident.c.user_id == bindparam("user_id"))
    )
    return stmt, shape


@cache
def lock_statement() -> Select[int]:
    """PostgreSQL: the person's row locked (only its id comes back: the rows
    themselves are read after the lock, see :func:`read_sender`)."""
    return (
        select(Person.id)
        .join(Identity, Person.id == Identity.person_id)
        .where(Identity.platform == bindparam("platform"), Identity.user_id == bindparam("user_id"))
        .with_for_update(of=Person)
    )


async def _rows(session: DbSession, stmt: Select[Any], params: dict[str, Any]) -> list[Row[Any]]:
    if isinstance(session, SyncBackedSession):
        if ORM_LISTENS in session.info:  # (see there)
            return list(session.sync_session.execute(stmt, params).all())
        return list(session.sync_session.connection().execute(stmt, params).all())
    if ORM_LISTENS not in session.info:  # PostgreSQL: on asyncpg itself
        direct = await pg_direct.execute(session, stmt, params)
        if direct is not None:
            return direct.all()  # type: ignore[return-value]  # (plain tuples: indexed, sliced)
    # (else in one hop into the sync session, as ``execute`` makes)
    return await session.run_sync(_read_sync, stmt, params)


def _read_sync(sync: Session, stmt: Select[Any], params: dict[str, Any]) -> list[Row[Any]]:
    return list(sync.connection().execute(stmt, params).all())


async def read_sender(
    session: DbSession, platform: str, user_id: str, *, lock: bool
) -> Sender | None:
    """The sender's rows, or None for someone not seen before.  ``lock``
    (PostgreSQL): the person's row is locked first, so a second event of the
    same person waits here and then reads what the first committed (SQLite
    gets this from BEGIN IMMEDIATE).  The rows are read after the lock, in a
    statement of their own: one that waited for the lock still reads joined
    rows as they were when it started; this one starts after the lock."""
    params = {"platform": platform, "user_id": user_id}
    if lock and not await _rows(session, lock_statement(), params):
        return None
    stmt, shape = _statement()
    rows = await _rows(session, stmt, params)
    if not rows:
        return None
    (_, i0, ikeys), (_, p0, pkeys), (_, d0, dkeys), (_, q0, qkeys) = shape.parts
    first = rows[0]
    identity = adopt(session, Identity, ikeys, first[i0:p0])
    person = adopt(session, Person, pkeys, first[p0:d0])
    dialogs: dict[str, DialogState] = {}
    questions: dict[int, LiveQuestion] = {}
    conversation_at, question_at = dkeys.index("conversation"), qkeys.index("id")
    for row in rows:
        conversation = row[d0 + conversation_at]
        if conversation is not None and conversation not in dialogs:
            dialogs[conversation] = adopt(session, DialogState, dkeys, row[d0:q0])
        question_id = row[q0 + question_at]
        if question_id is not None and question_id not in questions:
            questions[question_id] = adopt(session, LiveQuestion, qkeys, row[q0:])
    return Sender(identity, person, dialogs, [questions[i] for i in sorted(questions)])
