"""next steps between meetings (guide section 2)

Revision ID: 0007_i19d
Revises: 0004_i19
Create Date: 2026-11-30 10:30:00

* ``next_steps`` – what a pair or circle agreed to do before the next meeting:
  the text, who noted it, and whether it is open, done or dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_i19d"
down_revision: str | None = "0004_i19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "next_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name="fk_next_steps_group_id_groups", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name="fk_next_steps_member_id_members",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"],
            ["members.id"],
            name="fk_next_steps_closed_by_members",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_next_steps"),
    )
    op.create_index("ix_next_steps_group_status", "next_steps", ["group_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_next_steps_group_status", table_name="next_steps")
    op.drop_table("next_steps")
