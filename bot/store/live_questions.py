"""The ``live_questions`` table (issue 20), kept beside the core schema.

Its own module so that :mod:`bot.store.models` stays small; the migrations'
``env.py`` imports it so the table is part of the metadata.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import (
    ForeignKey,
    Index,
    Insert,
    Select,
    String,
    Table,
    Text,
    Update,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class LiveQuestion(Base):
    """A message with buttons that the bot sent, while its buttons may still be live.

    The engine keeps one open question per person and topic (a topic is what
    the buttons act on, e.g. one pair's agreement): a newer question on the
    same topic supersedes the older one, a press answers it, and either way the
    old message loses its buttons.  ``message_ref`` is the platform's id for
    the message, learned once it was sent, so its buttons can be edited away
    (the edit needs only that id: the message's words are not kept here).
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
    message_ref: Mapped[str | None] = mapped_column(String(128))
    open: Mapped[bool] = mapped_column(default=True)
    #: another message went to the same person (or group) after this one
    followed: Mapped[bool] = mapped_column(default=False)
    #: an optional offer: closed by any later question to the same person
    lapses: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


# -- prebuilt statements ---------------------------------------------------
# The live-question rule runs for every message the bot sends, so its
# statements are built once (with bound parameters) instead of per call:
# SQLAlchemy then reuses each statement's cache key and compiled form, and the
# writes go through Core rather than the ORM's unit of work.


@cache
def open_of_person() -> Select[LiveQuestion]:
    """A person's open questions in private chats on one platform, oldest first."""
    return (
        select(LiveQuestion)
        .where(
            LiveQuestion.platform == bindparam("platform"),
            LiveQuestion.open.is_(True),
            LiveQuestion.person_id == bindparam("person_id"),
            LiveQuestion.kind == "dm",
        )
        .order_by(LiveQuestion.id)
        .execution_options(populate_existing=True)
    )


@cache
def open_in_group() -> Select[LiveQuestion]:
    """The open questions of one group chat, oldest first."""
    return (
        select(LiveQuestion)
        .where(
            LiveQuestion.platform == bindparam("platform"),
            LiveQuestion.open.is_(True),
            LiveQuestion.chat_id == bindparam("chat_id"),
            LiveQuestion.kind == "group",
        )
        .order_by(LiveQuestion.id)
        .execution_options(populate_existing=True)
    )


def _table() -> Table:
    return LiveQuestion.__table__  # type: ignore[return-value]


@cache
def follow_person() -> Update:
    t = _table()
    return (
        update(t)
        .where(
            t.c.platform == bindparam("b_platform"),
            t.c.open.is_(True),
            t.c.followed.is_(False),
            t.c.person_id == bindparam("b_person_id"),
            t.c.kind == "dm",
        )
        .values(followed=True)
    )


@cache
def follow_group() -> Update:
    t = _table()
    return (
        update(t)
        .where(
            t.c.platform == bindparam("b_platform"),
            t.c.open.is_(True),
            t.c.followed.is_(False),
            t.c.chat_id == bindparam("b_chat_id"),
            t.c.kind == "group",
        )
        .values(followed=True)
    )


@cache
def follow_ids() -> Update:
    t = _table()
    return update(t).where(t.c.id.in_(bindparam("ids", expanding=True))).values(followed=True)


@cache
def close_one() -> Update:
    t = _table()
    return update(t).where(t.c.id == bindparam("qid")).values(open=False, closed_at=bindparam("at"))


@cache
def close_followed() -> Update:
    """Close a question that a newer message also follows (one statement for both)."""
    t = _table()
    return (
        update(t)
        .where(t.c.id == bindparam("qid"))
        .values(open=False, followed=True, closed_at=bindparam("at"))
    )


@cache
def insert_one() -> Insert:
    return insert(_table())


@cache
def shares_message() -> Select[int]:
    """Another open question on the same platform message?"""
    return (
        select(LiveQuestion.id)
        .where(
            LiveQuestion.platform == bindparam("b_platform"),
            LiveQuestion.chat_id == bindparam("b_chat_id"),
            LiveQuestion.message_ref == bindparam("message_ref"),
            LiveQuestion.open.is_(True),
            LiveQuestion.id != bindparam("qid"),
        )
        .limit(1)
    )
