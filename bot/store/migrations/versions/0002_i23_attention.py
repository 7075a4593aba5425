"""attention: who answers, prompts sent, messages sent as one digest

Revision ID: 0002_i23
Revises: 0001
Create Date: 2026-11-30 07:00:00

* ``people.last_active_at`` – when the person last did anything (a press, a
  word, a command); prompts sent after it are the unanswered ones.
* ``prompts`` – one row per question with buttons sent to a group at a moment
  ("did you meet?", a check-in, a reflection prompt); the series pauses itself
  when too many stand unanswered.
* ``outbox.digest`` – messages with the same digest for the same chat leave as
  one message (a reminder and a coaching question at the same minute).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_i23"
down_revision: str | None = "0002_i18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("last_active_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_prompts_group_sent", "prompts", ["group_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_prompts_group_sent", table_name="prompts")
    op.drop_table("prompts")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("digest")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("last_active_at")
