"""Alembic environment: runs on the connection handed in by bot.store.db.

When run from the alembic command line (for autogenerate during development),
it opens a synchronous SQLite connection to the URL in ``-x url=...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import bot.matching.models
import bot.store.live_questions  # noqa: F401  (a table in its own module)
from bot.store import spent, steps_model  # noqa: F401  (spent keys, next steps)
from bot.store.models import Base
from bot.store.partial_index import add_postgresql_where

add_postgresql_where(Base.metadata)  # migrations and autogenerate see both dialects' WHERE
target_metadata = Base.metadata
config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///dev.db")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
