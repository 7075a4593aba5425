"""A time column stored as whole microseconds since 1970 (UTC), read as a datetime.

SQLAlchemy's ``DateTime`` keeps a time on SQLite as 26 characters of text
(``2027-05-26 09:00:00.000000``); an integer of microseconds takes 8 bytes
and holds the same instant exactly, so nothing that reads the column sees a
difference: it still binds and returns naive UTC datetimes (the form
:func:`bot.store.db.to_db` makes), compares and orders the same.  Used where
rows pile up over a programme (one per feedback answer, one per coaching item
shown): see ``docs/reliability.md`` on retention and storage.

The column must only be compared, ordered and read whole: SQL date functions
(``date()``, ``strftime``, ``extract``) would see a number.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

#: 1970-01-01 00:00 as the naive UTC datetime the columns hold
EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)


def to_micros(when: datetime) -> int:
    """A naive-UTC (or aware) datetime as microseconds since 1970, exactly."""
    naive = when if when.tzinfo is None else when.astimezone(UTC).replace(tzinfo=None)
    return (naive - EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    """Microseconds since 1970 -> the naive UTC datetime."""
    return EPOCH + timedelta(microseconds=int(value))


class UtcMicros(TypeDecorator[datetime]):
    """``BIGINT`` in the database, a naive UTC ``datetime`` in Python."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return to_micros(value)
        return int(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(value)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
