"""The table of next steps: what a pair agreed to do before their next meeting.

Guide section 2 asks the mentor to be proactive and to give tasks beyond the
conversations.  After a meeting took place either member may note a step;
it is shown to everyone in the group before the next meeting and asked about
after it.  Kept apart from :mod:`bot.store.models` (one module, one concern).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base

#: a step is open until someone says it is done or drops it
STATUSES = ("open", "done", "dropped")


class NextStep(Base):
    """One agreed next step of a pair or circle."""

    __tablename__ = "next_steps"
    __table_args__ = (Index("ix_next_steps_group_status", "group_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    #: who noted it (the seat; empty when that person was erased)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    #: when it was marked done or dropped, and by whom
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
