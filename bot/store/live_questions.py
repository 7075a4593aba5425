"""The ``live_questions`` table (issue 20), kept beside the core schema.

Its own module so that :mod:`bot.store.models` stays small; the migrations'
``env.py`` imports it so the table is part of the metadata.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class LiveQuestion(Base):
    """A message with buttons that the bot sent, while its buttons may still be live.

    The engine keeps one open question per person and topic (a topic is what
    the buttons act on, e.g. one pair's agreement): a newer question on the
    same topic supersedes the older one, a press answers it, and either way the
    old message loses its buttons.  ``message_ref`` is the platform's id for
    the message, learned once it was sent, so its buttons can be edited away.
    """

    __tablename__ = "live_questions"
    __table_args__ = (Index("ix_live_questions_open", "platform", "person_id", "chat_id", "open"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), default="dm")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    topics: Mapped[str] = mapped_column(String(400))
    choice_ids: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(200))
    message_ref: Mapped[str | None] = mapped_column(String(128))
    open: Mapped[bool] = mapped_column(default=True)
    #: another message went to the same person (or group) after this one
    followed: Mapped[bool] = mapped_column(default=False)
    #: an optional offer: closed by any later question to the same person
    lapses: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
