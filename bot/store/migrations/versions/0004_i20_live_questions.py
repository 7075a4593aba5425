"""live questions: messages whose buttons are still live (issue 20)

Revision ID: 0004_i20
Revises: 0007_i19d
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i20"
down_revision: str | None = "0007_i19d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("topics", sa.String(length=400), nullable=False),
        sa.Column("choice_ids", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("message_ref", sa.String(length=128), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("followed", sa.Boolean(), nullable=False),
        sa.Column("lapses", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_live_questions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_questions")),
    )
    op.create_index(
        "ix_live_questions_open",
        "live_questions",
        ["platform", "person_id", "chat_id", "open"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_live_questions_open", table_name="live_questions")
    op.drop_table("live_questions")
