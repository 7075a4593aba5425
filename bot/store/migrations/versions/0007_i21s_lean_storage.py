"""lean storage: integer times of piling-up rows, job kinds as numbers (issue 21)

``feedback_answers.created_at``, ``coaching_log.shown_at`` and
``meeting_checks.answered_at`` gain a row per answer or item shown, all
programme long; as SQLAlchemy's ``DateTime`` on SQLite each was 26 characters
of text.  They become ``BIGINT`` microseconds since 1970 (UTC), the same
instant exactly (:class:`bot.store.epoch.UtcMicros` reads them back as the
datetimes they were).  Existing values are converted in place, both ways.

``job_keys.kind`` (a job kind's name, ~11 bytes on each of hundreds of keys
per pair) becomes ``kind_code``, the kind's number in the new ``job_kinds``.

``ix_meetings_series_uid`` goes: no query reads meetings by their series
(the series id is only written, and read with its meeting).

Revision ID: 0007_i21s
Revises: 0006_i21m
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_i21s"
down_revision: str | None = "0006_i21m"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column): every column is NOT NULL
COLUMNS = (
    ("feedback_answers", "created_at"),
    ("coaching_log", "shown_at"),
    ("meeting_checks", "answered_at"),
)


def _job_keys(kind: sa.Column[Any]) -> None:
    """(Re)create ``job_keys`` with ``kind`` as its third column."""
    op.create_table(
        "job_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        kind,
        sa.PrimaryKeyConstraint("key", name=op.f("pk_job_keys")),
        sqlite_with_rowid=False,
    )


def _swap_job_keys(select_old: str, kind: sa.Column[Any], insert_new: str) -> None:
    """Rebuild ``job_keys``: its rows go through a scratch table (the same
    steps on both databases, and SQLite keeps the table ``WITHOUT ROWID``)."""
    op.execute(f"CREATE TABLE job_keys_move AS {select_old}")
    op.drop_table("job_keys")
    _job_keys(kind)
    op.execute(insert_new)
    op.drop_table("job_keys_move")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.drop_index(op.f("ix_meetings_series_uid"), table_name="meetings")
    op.create_table(
        "job_kinds",
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_job_kinds")),
        sa.UniqueConstraint("name", name=op.f("uq_job_kinds_name")),
    )
    op.execute("INSERT INTO job_kinds (name) SELECT DISTINCT kind FROM job_keys ORDER BY kind")
    _swap_job_keys(
        "SELECT k.key, k.job_id, c.code AS kind_code"
        " FROM job_keys k JOIN job_kinds c ON c.name = k.kind",
        sa.Column(
            "kind_code",
            sa.Integer(),
            sa.ForeignKey("job_kinds.code", name=op.f("fk_job_keys_kind_code_job_kinds")),
            nullable=False,
        ),
        "INSERT INTO job_keys (key, job_id, kind_code)"
        " SELECT key, job_id, kind_code FROM job_keys_move",
    )
    for table, column in COLUMNS:
        if _sqlite():
            # SQLAlchemy's text form, 'YYYY-MM-DD HH:MM:SS.ffffff': the whole
            # seconds by strftime, the six digits after the point as they are
            op.execute(
                f"UPDATE {table} SET {column} ="
                f" CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
                f" + CAST(substr({column}, 21, 6) AS INTEGER)"
                f" WHERE typeof({column}) = 'text'"
            )
            with op.batch_alter_table(table) as batch:
                batch.alter_column(
                    column, type_=sa.BigInteger(), existing_type=sa.DateTime(), nullable=False
                )
        else:
            op.alter_column(
                table,
                column,
                type_=sa.BigInteger(),
                existing_type=sa.DateTime(),
                existing_nullable=False,
                postgresql_using=(
                    f"extract(epoch from date_trunc('second', {column}))::bigint * 1000000"
                    f" + extract(microseconds from {column})::bigint % 1000000"
                ),
            )


def downgrade() -> None:
    _swap_job_keys(
        "SELECT k.key, k.job_id, c.name AS kind"
        " FROM job_keys k JOIN job_kinds c ON c.code = k.kind_code",
        sa.Column("kind", sa.String(length=32), nullable=False),
        "INSERT INTO job_keys (key, job_id, kind) SELECT key, job_id, kind FROM job_keys_move",
    )
    op.drop_table("job_kinds")
    for table, column in COLUMNS:
        if _sqlite():
            with op.batch_alter_table(table) as batch:
                batch.alter_column(
                    column, type_=sa.DateTime(), existing_type=sa.BigInteger(), nullable=False
                )
            op.execute(
                f"UPDATE {table} SET {column} ="
                f" strftime('%Y-%m-%d %H:%M:%S', {column} / 1000000, 'unixepoch')"
                f" || '.' || printf('%06d', {column} % 1000000)"
                f" WHERE typeof({column}) = 'integer'"
            )
        else:
            op.alter_column(
                table,
                column,
                type_=sa.DateTime(),
                existing_type=sa.BigInteger(),
                existing_nullable=False,
                postgresql_using=f"timestamp '1970-01-01' + {column} * interval '1 microsecond'",
            )
    op.create_index(op.f("ix_meetings_series_uid"), "meetings", ["series_uid"], unique=False)
