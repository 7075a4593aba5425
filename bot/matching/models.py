"""Tables of the matching: intake answers, sign-up links, organisers' pins and forbids.

An *application seat* is a :class:`~bot.store.models.Member` with a role
(mentor or mentee) and no group: the person's place in the programme's pool.
Its :class:`Intake` holds the answers; when an organiser approves a match, new
seats in a new pair or circle are created for the same people, so a mentor
can hold several pairs while keeping one intake.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base


class Intake(Base):
    """A person's intake answers for one programme (seen by them and organisers only)."""

    __tablename__ = "intakes"
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    #: the answers: languages, timezone, mode, city, field, stage, support,
    #: capacity, prefers_group, hopes, avoid (see bot.matching.intake_data)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: draft (intake running) | waiting (complete, not matched) | matched
    status: Mapped[str] = mapped_column(String(16), default="draft")
    updated_at: Mapped[datetime]


class SignupLink(Base):
    """A reusable sign-up code for one role of one programme (only its hash is stored)."""

    __tablename__ = "signup_links"
    __table_args__ = (UniqueConstraint("programme_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class MatchRule(Base):
    """An organiser's decision before solving: ``pin`` these two, or ``forbid`` them."""

    __tablename__ = "match_rules"
    __table_args__ = (UniqueConstraint("mentor_member_id", "mentee_member_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    mentor_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    mentee_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(8))  # pin | forbid
    created_at: Mapped[datetime]


class MatchApproval(Base):
    """An approved suggestion: which application seats became which group."""

    __tablename__ = "match_approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    mentor_member_id: Mapped[int] = mapped_column(Integer)
    mentee_member_id: Mapped[int] = mapped_column(Integer)
    approved_at: Mapped[datetime]
