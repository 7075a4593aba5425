"""times of piling-up rows as microseconds since 1970 (issue 21, storage)

``feedback_answers.created_at``, ``coaching_log.shown_at`` and
``meeting_checks.answered_at`` gain a row per answer or item shown, all
programme long; as SQLAlchemy's ``DateTime`` on SQLite each was 26 characters
of text.  They become ``BIGINT`` microseconds since 1970 (UTC), the same
instant exactly (:class:`bot.store.epoch.UtcMicros` reads them back as the
datetimes they were).  Existing values are converted in place, both ways.

``ix_meetings_series_uid`` goes: no query reads meetings by their series
(the series id is only written, and read with its meeting).

Revision ID: 0007_i21s
Revises: 0006_i21m
"""

from collections.abc import Sequence

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


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.drop_index(op.f("ix_meetings_series_uid"), table_name="meetings")
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
