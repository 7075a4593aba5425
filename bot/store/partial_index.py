"""Partial indexes on SQLite and PostgreSQL, without PostgreSQL's dialect at start.

Naming ``postgresql_where`` in a model makes SQLAlchemy import its whole
PostgreSQL dialect (every driver module, about a tenth of a second) just to
check the keyword -- on every start, SQLite or not.  So a model declares a
partial index with :func:`partial_index`, which gives SQLite its ``WHERE``,
and :func:`add_postgresql_where` hands the same condition to PostgreSQL where
PostgreSQL's DDL may be written: Alembic's environment (migrations and
autogenerate) and a PostgreSQL :class:`~bot.store.db.Database`.
"""

from __future__ import annotations

from sqlalchemy import Index, MetaData, text


def partial_index(name: str, *columns: str, where: str) -> Index:
    """An index over the rows where ``where`` holds (on PostgreSQL too, once
    :func:`add_postgresql_where` ran)."""
    return Index(name, *columns, sqlite_where=text(where))


def add_postgresql_where(metadata: MetaData) -> None:
    """Give every partial index its PostgreSQL ``WHERE`` (idempotent)."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None and index.dialect_options["postgresql"]["where"] is None:
                index.dialect_kwargs["postgresql_where"] = where
