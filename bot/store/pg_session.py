"""PostgreSQL's session: ``AsyncSession`` whose reads by primary key that
miss the session run on the transaction's asyncpg connection.

``session.get`` of a row the session does not hold goes, through
``AsyncSession``, into a greenlet, through the ORM's execution and row
loading and SQLAlchemy's adapter over asyncpg, and back: several times the
Python of the ``SELECT`` itself, once or twice in most events (a group, a
programme, a rhythm).  Here such a read is the same ``SELECT`` of the
table's columns by its primary key, built once per entity (as
``SyncBackedSession.get`` does on SQLite), run by :mod:`bot.store.pg_direct`
(pending changes flushed first, as ``get`` does), and its row becomes a
loaded instance of the session by :func:`bot.store.session.adopt`.  A row
the session already holds, and any ``get`` with options (a lock, loader
options, ``populate_existing``), go through ``AsyncSession.get`` as before.

Imported only when PostgreSQL is opened: SQLite never loads SQLAlchemy's
asyncio extension.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from bot.store import pg_direct
from bot.store.session import ORM_LISTENS, _by_primary_key, adopt


class PgSession(AsyncSession):
    """``AsyncSession`` with the direct read by primary key (see the module)."""

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        if kw or isinstance(ident, dict) or ident is None or ORM_LISTENS in self.info:
            return await super().get(entity, ident, **kw)
        values = ident if isinstance(ident, tuple) else (ident,)
        shape = _by_primary_key(entity)
        sync = self.sync_session
        key = identity_key(entity, values)
        if (
            shape is None
            or None in values
            or len(values) != len(inspect(entity).primary_key)
            or key in sync.identity_map
        ):
            return await super().get(entity, ident)
        if sync.autoflush and not sync._is_clean():
            await self.flush()  # (as ``get`` would before its read)
            if key in sync.identity_map:  # (a pending row the flush made persistent)
                return await super().get(entity, ident)
        stmt, keys, _, _ = shape
        found = await pg_direct.execute(self, stmt, {f"pk{i}": v for i, v in enumerate(values)})
        if found is None:
            return await super().get(entity, ident)
        row = found.first()
        return adopt(self, entity, keys, row) if row is not None else None
