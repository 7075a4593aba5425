"""PostgreSQL's engines and its bookkeeping writes (see :class:`bot.store.db.Database`).

Two engines on the same server: the events' and jobs' transactions on one,
with the server's ``synchronous_commit`` (as durable as the server is set
up to be), and bookkeeping whose loss on power failure only repeats work
(an outbox message marked sent) on the other, whose connections have
``synchronous_commit=off`` from the start -- no ``SET LOCAL`` round trip
per sent mark.  A single mark runs in autocommit mode: one round trip where
``BEGIN``, the statement and ``COMMIT`` took three.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

#: prepared statements kept per connection.  The dialect keeps them in an
#: LRU cache; the core has some 250 distinct statements, and one not in the
#: cache costs a round trip of its own to prepare again (the dialect's
#: default of 100 made a mixed day's traffic keep preparing).
PREPARED_STATEMENTS = 512


def open_engines(url: str) -> tuple[AsyncEngine, AsyncEngine]:
    """The events' engine and the bookkeeping engine for ``url``."""
    # SQLAlchemy's asyncio extension only here: SQLite never uses it.
    from sqlalchemy.ext.asyncio import create_async_engine

    connect_args: dict[str, Any] = {"prepared_statement_cache_size": PREPARED_STATEMENTS}
    # last in, first out: the connection used last (its prepared statements
    # in place) is the one taken next, rather than each in turn
    events = create_async_engine(
        url, pool_size=10, max_overflow=10, pool_use_lifo=True, connect_args=connect_args
    )
    bookkeeping = create_async_engine(
        url,
        pool_size=2,
        max_overflow=8,
        pool_use_lifo=True,
        connect_args={**connect_args, "server_settings": {"synchronous_commit": "off"}},
    )
    return events, bookkeeping


async def bookkeep(
    engine: AsyncEngine, steps: list[tuple[Any, dict[str, Any]]], *, one_statement: str
) -> None:
    """Run prebuilt statements with their parameters on the bookkeeping
    engine: one alone in autocommit mode (a transaction of its own, marked
    in the connection's ``info`` under ``one_statement`` meanwhile, for
    listeners that count transactions), several in one transaction."""
    async with engine.connect() as conn:
        if len(steps) == 1:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            info = conn.sync_connection.info  # type: ignore[union-attr]
            info[one_statement] = True
            try:
                await conn.execute(*steps[0])
                await conn.commit()
            finally:
                info.pop(one_statement, None)
            return
        async with conn.begin():
            for step, one in steps:
                await conn.execute(step, one)


async def bookkeep_steps(
    engine: AsyncEngine, steps: list[tuple[Any, dict[str, Any]]]
) -> list[list[Any]]:
    """Several statements in one transaction on the bookkeeping engine;
    each one's rows (``RETURNING``), an empty list for one that returns none."""
    found: list[list[Any]] = []
    async with engine.begin() as conn:
        for statement, params in steps:
            result = await conn.execute(statement, params)
            found.append(list(result.all()) if result.returns_rows else [])
    return found
