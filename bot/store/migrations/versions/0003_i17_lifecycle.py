"""programme lifecycle: statuses, chasing who never joined, closing a group

Revision ID: 0003_i17
Revises: 0001
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_i17"
down_revision: str | None = "0002_i23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("chased_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("close_reason", sa.String(length=500), nullable=True))
    # "forming" was the only word for a group still waiting for members
    op.execute("UPDATE groups SET status = 'invited' WHERE status = 'forming'")


def downgrade() -> None:
    op.execute("UPDATE groups SET status = 'forming' WHERE status IN ('invited', 'incomplete')")
    op.execute("UPDATE groups SET status = 'active' WHERE status IN ('completed', 'ended')")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("close_reason")
        batch.drop_column("closed_at")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("chased_at")
