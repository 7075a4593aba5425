"""spent keys: slim tables for delivered messages and done jobs (issue 21)

What retention keeps of a delivered outbox message (key, recipient, time,
digest mark) and of a done job (its key) moves into ``WITHOUT ROWID`` tables
keyed by the key; see ``bot/store/spent.py``.

Revision ID: 0005_i21h
Revises: 0004_i20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_i21h"
down_revision: str | None = "0004_i20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_sent",
        sa.Column("idem_key", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("sent", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_outbox_sent_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("idem_key", name=op.f("pk_outbox_sent")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "job_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_job_keys")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("job_keys")
    op.drop_table("outbox_sent")
