"""Rows of mapped classes read through Core, for the SQLite session.

``Session.execute`` of a ``select(Person)`` builds an ORM execute state and
compile state, a loading context and a row processor per entity, and wraps
the cursor in two more result objects -- several times the Python of the
read itself, and the reads of a flow are mostly such small selects (a
group's seats, a meeting, the open answers of a round).  On SQLite
:class:`bot.store.session.SyncBackedSession` runs a plain ``select`` of whole
mapped classes and/or table columns here instead: the same statement (the
ORM's own compiled SQL, from the same compiled cache) on the session's
connection, after the same autoflush, and its rows turned into the
session's objects as the ORM's loading turns them:

- a row whose identity the session already holds gives that object,
  unchanged (only attributes it had expired or never loaded are filled in),
  or, with ``populate_existing``, refreshed from the row;
- any other row becomes a new persistent object in the identity map, held
  for the transaction like every loaded row (see ``KeepingSession``);
- an outer join's missing entity (all key columns NULL) gives ``None``.

The mapped classes have no relationships, inheritance, deferred columns or
version counters (checked once per class), so a row's columns are all there
is to load.  Anything else -- loader options, aliases, labels, functions
next to an entity, other execution options, a batch that listens on the
ORM's statements (``ORM_LISTENS``) -- goes through ``Session.execute``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Column, ColumnElement, Insert, Select, Table
from sqlalchemy.engine.result import IteratorResult, Result, SimpleResultMetaData
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.dml import UpdateBase

#: ``session.info`` key of the rows held for the transaction (KeepingSession)
KEPT = "_kept_rows"

#: ``session.info`` key set while something listens on the ORM's statements
#: (a batch of jobs that keeps rows back, see ``bot.store.batch_memo``): the
#: shortcuts around the ORM (``run_core``, ``get``'s Core read, these reads)
#: then run their statements through ``Session.execute`` as before, so the
#: listener sees every one of them
ORM_LISTENS = "orm_listens"

#: attribute on a compiled statement: where each selected item's columns sit
_LAYOUT = "_mentorbot_layout"

#: one selected item: (mapper, attribute keys, its columns' values from a row,
#: its primary key's from a row) for an entity, (None, (), its value, None)
#: for a column
_Item = tuple[Mapper[Any] | None, tuple[str, ...], Callable[[Any], Any], Any]


def _getter(spots: list[int]) -> Callable[[Any], tuple[Any, ...]]:
    """A row's values at ``spots``, always as a tuple (one C call per row)."""
    if len(spots) == 1:
        only = spots[0]
        return lambda row: (row[only],)
    return itemgetter(*spots)


@cache
def _plain_mapper(mapper: Mapper[Any]) -> bool:
    """Columns only: nothing the ORM's loading would do besides setting them."""
    return (
        mapper.inherits is None
        and mapper.polymorphic_on is None
        and mapper.version_id_col is None
        and not mapper.relationships
        and len(mapper.column_attrs) == len(mapper.local_table.c)
        and all(len(prop.columns) == 1 and not prop.deferred for prop in mapper.column_attrs)
        and not mapper.class_manager.dispatch.load
        and not mapper.class_manager.dispatch.refresh
    )


#: a selected item that is neither an entity nor a table's column (a scalar
#: subquery, a labelled expression): its value follows the item before it
_OTHER = "other"


def _shape(statement: Select[Any]) -> tuple[list[Any], list[str]] | None:
    """Each selected item's mapper (None: a table's column; ``_OTHER``: any
    other expression) and result name, or None when the statement is not a
    plain read of entities and expressions."""
    mappers: list[Any] = []
    names: list[str] = []
    for raw in statement._raw_columns:
        owner = raw._annotations.get("parententity")
        if isinstance(raw, Table):
            if not isinstance(owner, Mapper) or cast(Table, owner.local_table).name != raw.name:
                return None
            if not _plain_mapper(owner):
                return None
            mappers.append(owner)
            names.append(owner.class_.__name__)
        elif isinstance(raw, Column) and isinstance(raw.table, Table):
            mappers.append(None)
            names.append(raw._annotations.get("proxy_key") or raw.key)
        elif isinstance(raw, ColumnElement):
            mappers.append(_OTHER)
            names.append(getattr(raw, "name", None) or f"anon_{len(names)}")
        else:
            return None
    return mappers, names


def _layout(compiled: Any, mappers: list[Any], statement: Select[Any]) -> Any:
    """Where each item's columns are in the compiled statement's rows (kept
    on the compiled statement, which SQLAlchemy's cache reuses for every
    statement of the same shape).  None when a column cannot be placed.

    Entities and table columns are found by their table and column name
    (a column selected twice is rendered once); any other expression is
    rendered where it stands, after the item before it."""
    layout = compiled.__dict__.get(_LAYOUT)
    if layout is not None:
        return layout if layout else None
    where: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(compiled._result_columns):
        for obj in entry[2]:
            table = getattr(obj, "table", None)
            if isinstance(table, Table):
                where.setdefault((table.name, obj.name), index)
    claimed = set(where.values())
    width = len(compiled._result_columns)
    items: list[_Item] = []
    last = -1
    try:
        for mapper, raw in zip(mappers, statement._raw_columns, strict=True):
            if mapper is _OTHER:
                last += 1
                if last >= width or last in claimed:
                    raise KeyError(last)
                items.append((None, (), itemgetter(last), None))
                continue
            if mapper is None:
                column = cast(Column[Any], raw)  # (see ``_shape``)
                spot = where[(cast(Table, column.table).name, column.name)]
                items.append((None, (), itemgetter(spot), None))
                last = max(last, spot)
                continue
            table = mapper.local_table
            keys = tuple(mapper.get_property_by_column(col).key for col in table.c)
            spots = [where[(table.name, col.name)] for col in table.c]  # type: ignore[attr-defined]
            pks = [where[(table.name, col.name)] for col in mapper.primary_key]  # type: ignore[attr-defined]
            items.append((mapper, keys, _getter(spots), _getter(pks)))
            last = max(last, *spots)
    except KeyError:
        compiled.__dict__[_LAYOUT] = ()
        return None
    compiled.__dict__[_LAYOUT] = layout = tuple(items)
    return layout


def read_select(sync: Session, statement: Select[Any], params: Any) -> Result[Any] | None:
    """The rows of a plain ``select`` as ``Session.execute`` gives them, or
    None when it is not one this reads (the caller then runs it as usual)."""
    options = statement._execution_options
    if statement._with_options or getattr(statement, "_with_context_options", None):
        return None
    populate = False
    if options:
        if set(options) != {"populate_existing"}:
            return None
        populate = bool(options["populate_existing"])
    if ORM_LISTENS in sync.info:
        return None
    shape = _shape(statement)
    if shape is None:
        return None
    mappers, names = shape
    if sync.autoflush:  # (as ``execute`` would: a no-op when nothing is pending)
        sync.flush()
    result = sync.connection().execute(statement, params)
    if all(mapper is None or mapper is _OTHER for mapper in mappers):
        # columns and expressions only: the rows as they are
        return result  # type: ignore[no-any-return]
    layout = _layout(result.context.compiled, mappers, statement)
    if layout is None:  # (not expected: run it through the ORM instead)
        result.close()
        return None
    rows = result.fetchall()
    identity_map = sync.identity_map
    kept = sync.info.get(KEPT)
    if kept is None:
        sync.info[KEPT] = kept = []
    session_id = sync.hash_key
    out: list[tuple[Any, ...]] = []
    for row in rows:
        values: list[Any] = []
        for mapper, keys, columns, key_of in layout:
            if mapper is None:
                values.append(columns(row))
                continue
            pk = key_of(row)
            if pk.count(None) == len(pk):
                values.append(None)  # (an outer join's missing row)
                continue
            ident = (mapper._identity_class, pk, None)
            obj = identity_map.get(ident)
            if obj is None:
                obj = mapper.class_manager.new_instance()
                obj.__dict__.update(zip(keys, columns(row), strict=True))
                state = instance_state(obj)
                state.key = ident
                state.identity_token = None
                state.session_id = session_id
                identity_map._add_unpresent(state, ident)  # type: ignore[attr-defined]
                kept.append(obj)
            else:
                state = instance_state(obj)
                dict_ = obj.__dict__
                if populate:  # (refreshed, pending changes to it dropped)
                    dict_.update(zip(keys, columns(row), strict=True))
                    state._commit_all(dict_, identity_map)
                else:
                    unloaded = state.unloaded
                    if unloaded:
                        for key, value in zip(keys, columns(row), strict=True):
                            if key in unloaded:
                                dict_[key] = value
                        state._commit(dict_, unloaded)
            values.append(obj)
        out.append(tuple(values))
    return IteratorResult(SimpleResultMetaData(names), iter(out))


def run_write(sync: Session, statement: UpdateBase, params: Any) -> Result[Any] | None:
    """An ``INSERT``, ``UPDATE`` or ``DELETE`` run on the session's connection
    after the same autoflush, where ``Session.execute`` would do nothing
    besides (or None: the caller runs it as usual).

    ``Session.execute`` of such a statement builds an ORM execute state and,
    for one on a mapped class, "synchronises" the rows the session holds:
    it evaluates the statement's criteria against each loaded row of that
    class and updates or expires the matches.  When the session holds no
    row of the class, or the statement asks for no synchronising, there is
    nothing to update, and the statement is what it would run anyway.  A
    statement that returns rows, has other execution options, or inserts a
    list of mapped rows (the ORM's bulk insert groups them by their keys)
    goes through ``Session.execute``."""
    if statement._returning or ORM_LISTENS in sync.info:
        return None
    options = statement._execution_options
    if options and not set(options) <= {"synchronize_session"}:
        return None
    owner = statement.table._annotations.get("parententity")
    if owner is not None and not isinstance(owner, Mapper):
        return None
    if owner is not None and isinstance(statement, Insert) and isinstance(params, list):
        return None
    if sync.autoflush:  # (as ``execute`` would: a no-op when nothing is pending)
        sync.flush()
    if (
        owner is not None
        and not isinstance(statement, Insert)
        and options.get("synchronize_session", "auto") is not False
    ):
        cls = owner._identity_class
        if any(key[0] is cls for key in sync.identity_map.keys()):
            return None  # (flushed already: the ORM's autoflush finds nothing)
    return sync.connection().execute(statement, params)
