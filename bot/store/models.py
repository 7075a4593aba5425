"""Database schema (SQLAlchemy 2 declarative models).

Everything the bot knows lives here, never only in memory: people and their
platform identities, programmes with their pairs and circles, per-person dialog
state, scheduled jobs and the outbox.  Times are stored as naive UTC (SQLite has
no time zones); :mod:`bot.store.db` converts at the edges.

The modules that declare tables (this one, ``live_questions``, ``spent``,
``steps_model``, ``bot.matching.models``) do without ``from __future__ import
annotations``: SQLAlchemy then reads each ``Mapped[...]`` as the object it is
instead of evaluating its text again, which was about a third of mapping the
tables, a cost every start pays before it is ready (see ``bench/``).
"""

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.epoch import UtcMicros
from bot.store.partial_index import partial_index

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(),
        date: Date(),
    }


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    consent_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]
    #: the last time the person did anything; prompts sent later are unanswered
    last_active_at: Mapped[datetime | None]


class Identity(Base):
    """A person's account on one platform, with the private chat to reach them."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    dm_chat_id: Mapped[str | None] = mapped_column(String(64))


class Programme(Base):
    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    frequency_days: Mapped[int] = mapped_column(Integer, default=30)
    min_minutes: Mapped[int] = mapped_column(Integer, default=20)
    max_minutes: Mapped[int] = mapped_column(Integer, default=60)
    format: Mapped[str] = mapped_column(String(16), default="one_to_one")
    mode: Mapped[str] = mapped_column(String(16), default="online")
    language: Mapped[str] = mapped_column(String(8), default="sv")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class Group(Base):
    """A mentoring relationship: a pair (kind ``pair``) or a circle (``circle``).

    ``status`` runs ``invited`` -> ``active`` -> (``paused``) -> ``completed`` at
    the programme's end, or ``ended`` early (``closed_at``, ``close_reason``), or
    ``incomplete`` while a seat is empty after someone left.
    """

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="invited")
    paused_until: Mapped[datetime | None]
    chat_platform: Mapped[str | None] = mapped_column(String(16))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(500))
    #: the video link an online or hybrid group meets at (``/link``)
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    #: the seat (member id) that saved it: /forget of that person removes it
    meeting_link_by: Mapped[int | None] = mapped_column(Integer)


class Member(Base):
    """A seat in a programme: mentor or mentee of a group, or organiser.

    Created by the organiser with the intended name; ``person_id`` is filled
    when somebody redeems the seat's invite.
    """

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    #: when the organisers were told this seat was never taken
    chased_at: Mapped[datetime | None]


class Invite(Base):
    """A single-use, expiring invite.  Only a hash of the code is stored."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DialogState(Base):
    """Where one person is in one conversation; ``version`` guards lost updates."""

    __tablename__ = "dialog_states"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    conversation: Mapped[str] = mapped_column(String(32), primary_key=True)
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class Job(Base):
    """Something to do at a time: a reminder, a check-in, a nudge.

    ``key`` makes scheduling idempotent (the same reminder is never planned
    twice); the partial index on due jobs keeps a tick's cost proportional to
    what is due, not to what exists.
    """

    __tablename__ = "jobs"
    __table_args__ = (partial_index("ix_jobs_due", "due_at", where="done_at IS NULL"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    key: Mapped[str | None] = mapped_column(String(128), unique=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """A message to someone other than the sender of the event that caused it.

    Written in the causing transaction, delivered after commit; the scheduler's
    sweep delivers whatever a crash left unsent.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        partial_index(
            "ix_outbox_pending", "next_attempt_at", where="sent_at IS NULL AND failed_at IS NULL"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    idem_key: Mapped[str] = mapped_column(String(128), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    address_kind: Mapped[str] = mapped_column(String(8), default="dm")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))
    #: rows with the same digest for the same chat leave as one message
    digest: Mapped[str | None] = mapped_column(String(64))


class Agreement(Base):
    """One version of a group's mentoring agreement.

    ``items`` holds what the checklist items say for this group (the
    programme goal, chosen support areas, goals, proposed changes); answers
    live in :class:`AgreementAnswer`, one row per item and member, so two
    members answering the same item at the same moment touch different rows.
    """

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("group_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class AgreementAnswer(Base):
    __tablename__ = "agreement_answers"
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    answer: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class AgendaItem(Base):
    """A point for a coming meeting: from the mentee, or an item to discuss."""

    __tablename__ = "agenda_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="member")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class RhythmProposal(Base):
    """What one member proposes: how often, how long, how, and when suits them."""

    __tablename__ = "rhythm_proposals"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    frequency_days: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str | None] = mapped_column(String(16))
    when_text: Mapped[str | None] = mapped_column(String(200))
    confirmed: Mapped[bool] = mapped_column(default=False)
    #: order in which proposals were completed (the last one completes the set)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class Rhythm(Base):
    """The rhythm a group agreed on; ``outside_frame`` records a choice beyond the
    programme's recommendation (allowed, but said and kept)."""

    __tablename__ = "rhythms"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    frequency_days: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    when_text: Mapped[str] = mapped_column(String(200), default="")
    outside_frame: Mapped[bool] = mapped_column(default=False)
    agreed_at: Mapped[datetime]


class Meeting(Base):
    """A meeting (or the next one of a recurring series, ``rrule`` set)."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    series_uid: Mapped[str] = mapped_column(String(64))  # not indexed: no query reads by it
    starts_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    rrule: Mapped[str | None] = mapped_column(String(200))
    tz: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MeetingCheck(Base):
    """A member's answer to "did you meet?" for one meeting."""

    __tablename__ = "meeting_checks"
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    answer: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(UtcMicros())  # 8 bytes, not 26


class FeedbackAnswer(Base):
    """One answer to a feedback question: private unless ``shared`` is set.

    Organisers only ever see aggregates of ``rating``; ``text`` is shown to
    the partner only when the writer chose to share that answer.
    """

    __tablename__ = "feedback_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    #: not indexed: every query of the flows and reports reads by group (an
    #: index on the seat cost as much space as the group's); only a person's
    #: export and erasure, both rare, read by seat alone and scan the table
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # pulse, checkin, midpoint, final
    round: Mapped[str] = mapped_column(String(64))  # which pulse/check-in (meeting id, date)
    question_id: Mapped[str] = mapped_column(String(32))
    rating: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    choice: Mapped[str | None] = mapped_column(String(32))
    skipped: Mapped[bool] = mapped_column(default=False)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcMicros())  # 8 bytes, not 26


class Note(Base):
    """A private journal entry (a mentee's note, a mentor's reflection): only its writer
    can read it."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="note")
    prompt_id: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CoachingLog(Base):
    """Which coaching question or tip a mentor was shown, and what she thought of it."""

    __tablename__ = "coaching_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    item_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # question, tip, prompt
    verdict: Mapped[str | None] = mapped_column(String(16))  # useful, more, later
    shown_at: Mapped[datetime] = mapped_column(UtcMicros())  # 8 bytes, not 26


class OrganiserMessage(Base):
    """A confidential message to the organisers (``/contact``); never shown to the partner."""

    __tablename__ = "organiser_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class RiskFlag(Base):
    """A reason to worry about a group: the pair is nudged first, organisers alerted later."""

    __tablename__ = "risk_flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime]
    nudged_at: Mapped[datetime | None]
    alerted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class Prompt(Base):
    """A question with buttons sent to a group's members at one moment.

    Prompts sent after the members' last activity are the unanswered ones; when
    too many stand, the group's series pauses itself (see ``bot.flows.attention``).
    """

    __tablename__ = "prompts"
    __table_args__ = (Index("ix_prompts_group_sent", "group_id", "sent_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime]


__all__ = [
    "Base",
    "DialogState",
    "Group",
    "Identity",
    "Invite",
    "Job",
    "Member",
    "OutboxMessage",
    "Person",
    "Programme",
]


class InboxUpdate(Base):
    """An incoming update, stored before the platform is told it arrived.

    Unique by platform and the platform's own update id, so a platform that
    delivers an update again (an unconfirmed poll, a retried webhook) stores
    nothing new.  ``handled_at`` is set in the same transaction as the
    update's effects, so after a crash an update was either handled
    completely or is handled again from here, once.  Once handled, the event
    is blanked: only the key stays, to recognise a repeat, and no words.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "update_id"),
        partial_index("ix_inbox_pending", "id", where="handled_at IS NULL"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(64))
    #: the sender's platform user id (fair scheduling, erasure)
    sender: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    #: handled | failed | dropped
    outcome: Mapped[str | None] = mapped_column(String(16))
