"""Slim tables for what retention keeps of delivered messages and done jobs.

A delivered outbox row and a done job are history; what the bot still reads
of them is small.  Of a message: its idempotency key (queueing it again must
add nothing; forwarded /contact messages are recognised by theirs), whom it
reached, when, and its digest mark (the organisers' message measure).  Of a
job: its key (planning it again must plan nothing).  The retention sweep
(:mod:`bot.store.retention`) moves them here from the wide tables, where a
compacted row still carried its times as text, its address and two indexes.

Both key tables are keyed by the key itself (``WITHOUT ROWID`` on SQLite: the
key is stored once, in the table's own b-tree, with no rowid index beside
it).  Times are whole seconds since 1970 and the digest mark its number of
microseconds: integers take 4 and 8 bytes where the text took 26 and 15;
a job's kind is a number from ``job_kinds`` (1 byte where its name took ~11).
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Table, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SentMessage(Base):
    """What stays of a delivered outbox message after :data:`OUTBOX_KEEP`."""

    __tablename__ = "outbox_sent"
    __table_args__ = ({"sqlite_with_rowid": False},)
    idem_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: the recipient counted by the message measure (cascades on erasure)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    #: seconds since 1970 (UTC)
    sent: Mapped[int] = mapped_column(BigInteger)
    #: the digest mark as microseconds since 1970; NULL: a message of its own
    digest: Mapped[int | None] = mapped_column(BigInteger)


class JobKind(Base):
    """A job kind's number: a spent job key keeps its kind as this small
    integer instead of the name (a dozen kinds, hundreds of keys per pair)."""

    __tablename__ = "job_kinds"
    code: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)


class SpentJobKey(Base):
    """The key of a job that ran and was deleted: planning it again plans nothing.

    The job's id and kind stay with it: its messages are keyed by the id
    (``job:<id>:<n>``, kept in ``outbox_sent``), and the kind (its number in
    ``job_kinds``) tells what sent them.
    """

    __tablename__ = "job_keys"
    __table_args__ = ({"sqlite_with_rowid": False},)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer)
    kind_code: Mapped[int] = mapped_column(ForeignKey("job_kinds.code"))


SENT: Table = SentMessage.__table__  # type: ignore[assignment]
JOB_KEYS: Table = SpentJobKey.__table__  # type: ignore[assignment]
JOB_KINDS: Table = JobKind.__table__  # type: ignore[assignment]
#: spent job keys with their kinds' names (``key``, ``job_id``, ``kind``)
JOB_KEYS_NAMED = (
    select(JOB_KEYS.c.key, JOB_KEYS.c.job_id, JOB_KINDS.c.name.label("kind"))
    .join_from(JOB_KEYS, JOB_KINDS, JOB_KEYS.c.kind_code == JOB_KINDS.c.code)
    .subquery("job_keys_named")
)


def seconds(when: datetime) -> int:
    """A naive-UTC or aware time as whole seconds since 1970."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return int((aware - EPOCH) // timedelta(seconds=1))
