"""Prebuilt Core statements run as their compiled SQL text, for the cheapest
bookkeeping writes on SQLite.

An outbox message is marked sent in a transaction of its own, once per
message (docs/reliability.md: that is what repeats at most the one message
in flight after a crash).  Run as a Core statement, each mark goes through
SQLAlchemy's compiled cache lookup, parameter construction and result
set-up: about 100 microseconds of Python for a one-row ``UPDATE`` that
SQLite itself runs in about ten.  The statement is compiled once here, for
the engine's dialect, into its SQL text and the order and type conversion
of its parameters, and then run with ``exec_driver_sql``: the same SQL and
the same stored values, through the same connection and its events (so
statement counters still see it), for less than half the cost.

A batch of due jobs writes the rows it kept back the same way, one
``executemany`` per statement (:mod:`bot.store.batch_memo`).

Statements whose SQL depends on the parameters (an expanding ``IN``) are
not prebuilt: :func:`driver_form` returns ``None`` and the caller runs them
as Core statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Dialect

#: one parameter: its name, the value when none is given, its conversion
_Param = tuple[str, Any, Callable[[Any], Any] | None]


class DriverForm:
    """A statement's SQL text for one dialect and how to order and convert
    its parameters (a positional paramstyle: SQLite's ``?``)."""

    __slots__ = ("params", "sql")

    def __init__(self, sql: str, params: list[_Param]):
        self.sql = sql
        self.params = params

    def values(self, given: dict[str, Any]) -> tuple[Any, ...]:
        """The statement's parameters as the driver takes them."""
        out = []
        for name, default, convert in self.params:
            value = given.get(name, default)
            out.append(convert(value) if convert is not None and value is not None else value)
        return tuple(out)


def driver_form(
    statement: Any, dialect: Dialect, column_keys: list[str] | None = None
) -> DriverForm | None:
    """``statement`` compiled for ``dialect`` once, or None where it cannot be
    run as fixed SQL text (parameters that expand, a named paramstyle,
    column defaults computed in Python).  ``column_keys``: the columns an
    INSERT's rows give (as SQLAlchemy compiles an ``executemany``)."""
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    positions = compiled.positiontup
    if (
        positions is None
        or compiled.post_compile_params
        or compiled.literal_execute_params
        or getattr(compiled, "insert_prefetch", None)
        or getattr(compiled, "update_prefetch", None)
        or not dialect.positional
    ):
        return None
    params: list[_Param] = []
    for name in positions:
        bind = compiled.binds[name]
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        params.append((name, None if bind.required else bind.effective_value, convert))
    return DriverForm(compiled.string, params)
