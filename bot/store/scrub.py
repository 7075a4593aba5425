"""Finding and rewriting a person's words in every table.

Erasure must not depend on knowing each place a name or a typed sentence
was copied to (an alert to an organiser, a group's name, a partner's pending
message, a raw update in the inbox).  :func:`scrub_tables` walks every table of
the schema, asks the database only for rows whose text or JSON columns contain
one of the needles, and rewrites those strings, or deletes the whole row in
tables that hold copies nobody needs (see :func:`row_policy`).

A table added later is covered without a change here.  A table whose rows
belong to the person who sent them (an inbox of raw updates) says so with
``info={"erasure": "delete"}`` (or is named ``inbox…``): its rows that mention
the person, or whose ``platform`` + ``user_id`` are theirs, are deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, String, Table, Text, and_, cast, delete, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot.store.session import DbSession, forget_seats

#: shorter typed texts are not searched for: "ok" or "15" would rewrite
#: dates and numbers everywhere and identify nobody
MIN_TEXT = 4

#: columns that name who sent a row, next to a ``platform`` column
SENDER_COLUMNS = ("user_id", "sender_id", "actor_id")


@dataclass
class Needles:
    """What identifies the person: names (matched as whole words, any case) and
    texts they typed (matched anywhere)."""

    names: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.names = {n.strip() for n in self.names if n and n.strip() and n.strip() != "–"}
        self.texts = {t.strip() for t in self.texts if _searchable(t)}

    def __bool__(self) -> bool:
        return bool(self.names or self.texts)

    def _pattern(self) -> re.Pattern[str]:
        parts = [re.escape(t) for t in sorted(self.texts, key=len, reverse=True)]
        parts += [
            rf"(?<!\w){re.escape(n)}(?!\w)" for n in sorted(self.names, key=len, reverse=True)
        ]
        return re.compile("|".join(parts), re.IGNORECASE)

    def sub(self, value: str, name_word: str, text_word: str) -> str:
        """``value`` with typed texts replaced by ``text_word`` and then names by
        ``name_word``."""
        if not self:
            return value
        lowered = {t.lower() for t in self.texts}

        def word(match: re.Match[str]) -> str:
            return text_word if match[0].lower() in lowered else name_word

        # texts first: a typed goal may contain the name
        return self._pattern().sub(word, value)

    def found_in(self, value: str) -> bool:
        return bool(self) and self._pattern().search(value) is not None

    def like_forms(self) -> set[str]:
        """The forms the database may hold: as typed, and JSON-escaped (SQLite's
        JSON columns store non-ASCII letters as \\uXXXX)."""
        forms: set[str] = set()
        for needle in self.names | self.texts:
            forms.add(needle)
            forms.add(json.dumps(needle)[1:-1])
        return forms


def _searchable(text: str | None) -> bool:
    text = (text or "").strip()
    return len(text) >= MIN_TEXT and any(ch.isalpha() for ch in text)


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def rewrite(value: Any, fix: Callable[[str], str]) -> Any:
    """``value`` (a JSON document) with ``fix`` applied to every string in it."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [rewrite(v, fix) for v in value]
    if isinstance(value, dict):
        return {k: rewrite(v, fix) for k, v in value.items()}
    return value


def deletes_whole_rows(table: Table) -> bool:
    """Tables whose rows are copies of what someone sent (raw updates)."""
    return table.info.get("erasure") == "delete" or table.name.startswith("inbox")


def row_policy(table: Table, row: Any) -> str:
    """ "delete" or "rewrite" for a row of ``table`` that mentions the person.

    A delivered (or given-up) outbox message is history nobody needs; one still
    to be sent keeps going, without the name.
    """
    if deletes_whole_rows(table):
        return "delete"
    if table.name == "outbox" and (row.sent_at is not None or row.failed_at is not None):
        return "delete"
    return "rewrite"


async def delete_rows_sent_by(
    session: DbSession, tables: Iterable[Table], identities: Iterable[tuple[str, str]]
) -> None:
    """Delete rows of whole-row tables (an inbox) that the person's accounts sent."""
    who = list(identities)
    if not who:
        return
    forget_seats(session)  # (Core deletes)
    for table in tables:
        if not deletes_whole_rows(table) or "platform" not in table.c:
            continue
        for column in SENDER_COLUMNS:
            if column not in table.c:
                continue
            match = or_(
                *(
                    and_(table.c.platform == platform, cast(table.c[column], String) == user)
                    for platform, user in who
                )
            )
            await session.execute(delete(table).where(match))


async def scrub_tables(
    session: DbSession,
    tables: Iterable[Table],
    needles: Needles,
    *,
    name_word: str = "–",
    text_word: str = "–",
) -> int:
    """Rewrite (or delete) every row that holds a needle; returns how many rows."""
    if not needles:
        return 0
    forget_seats(session)  # (Core statements that may write seats)
    forms = needles.like_forms()
    touched = 0
    for table in tables:
        columns = _text_columns(table)
        keys = list(table.primary_key.columns)
        if not columns or not keys:
            continue
        extra = [table.c[c] for c in ("sent_at", "failed_at") if c in table.c]
        hits: list[ColumnElement[bool]] = [
            cast(col, Text).like(_like(form), escape="\\") for col in columns for form in forms
        ]
        rows = (await session.execute(select(*keys, *columns, *extra).where(or_(*hits)))).all()
        for row in rows:
            values = {c.key: getattr(row, c.key) for c in columns}
            if not any(
                needles.found_in(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)
                for v in values.values()
                if v is not None
            ):
                continue  # the database matched case or escapes more loosely
            where = and_(*(k == getattr(row, k.key) for k in keys))
            touched += 1
            if row_policy(table, row) == "delete":
                await session.execute(delete(table).where(where))
                continue
            fixed = {
                key: rewrite(value, lambda s: needles.sub(s, name_word, text_word))
                for key, value in values.items()
                if value is not None
            }
            await session.execute(update(table).where(where).values(**fixed))
    return touched
