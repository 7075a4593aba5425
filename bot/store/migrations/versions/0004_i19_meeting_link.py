"""a pair's or circle's video link for online meetings, and whose seat saved it

Revision ID: 0004_i19
Revises: 0003_i17
Create Date: 2026-11-30 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i19"
down_revision: str | None = "0003_i17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("meeting_link", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("meeting_link_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("meeting_link_by")
        batch.drop_column("meeting_link")
