"""lean questions: no words in live_questions, no seat index on feedback_answers (issue 21)

A live question kept the first line of its message (``text``) only to put it
into the edit that removes its buttons; the transports edit the buttons alone,
so the column goes.  ``ix_feedback_answers_member_id`` served no query of the
flows or reports (they all read by group; see ``bot/store/models.py``).

Revision ID: 0006_i21m
Revises: 0005_i21h
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i21m"
down_revision: str | None = "0005_i21h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_feedback_answers_member_id"), table_name="feedback_answers")
    with op.batch_alter_table("live_questions") as batch:
        batch.drop_column("text")


def downgrade() -> None:
    with op.batch_alter_table("live_questions") as batch:
        batch.add_column(
            sa.Column("text", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_index(
        op.f("ix_feedback_answers_member_id"), "feedback_answers", ["member_id"], unique=False
    )
