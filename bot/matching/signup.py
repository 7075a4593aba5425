"""Sign-up links: one reusable code per role (mentor, mentee) while sign-up is open.

Unlike a personal invite (single use), a sign-up code admits anyone who has
it, so a programme can post it in a newsletter.  Whoever starts with it gets
an application seat in that role, goes through onboarding and then the
intake.  Only the code's hash is stored; turning sign-up on again issues fresh
codes, so a leaked one can be retired by ``--signup off`` and ``on``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.matching.models import SignupLink
from bot.organiser.programmes import CODE_PATTERN, SetupError, hash_code, new_code
from bot.store.db import to_db
from bot.store.models import Programme
from bot.store.session import DbSession

SIGNUP_ROLES = ("mentor", "mentee")
MAX_FIELDS = 40
MAX_FIELD_LENGTH = 60


@dataclass(frozen=True)
class SignupCode:
    role: str
    code: str


async def open_signup(session: DbSession, programme: Programme, now: datetime) -> list[SignupCode]:
    """Fresh codes for both roles; earlier sign-up codes of the programme stop working."""
    codes = []
    for role in SIGNUP_ROLES:
        code = new_code()
        link = await session.scalar(
            select(SignupLink).where(
                SignupLink.programme_id == programme.id, SignupLink.role == role
            )
        )
        if link is None:
            link = SignupLink(programme_id=programme.id, role=role, created_at=to_db(now))
            session.add(link)
        link.code_hash = hash_code(code)
        link.created_at = to_db(now)
        link.closed_at = None
        codes.append(SignupCode(role, code))
    await session.flush()
    return codes


async def close_signup(session: DbSession, programme: Programme, now: datetime) -> int:
    closed = 0
    for link in await session.scalars(
        select(SignupLink).where(
            SignupLink.programme_id == programme.id, SignupLink.closed_at.is_(None)
        )
    ):
        link.closed_at = to_db(now)
        closed += 1
    return closed


async def find_signup(
    session: DbSession, code: str
) -> tuple[Programme, str] | tuple[None, str | None]:
    """(programme, role) for an open sign-up code; (None, "closed") or (None, None)."""
    code = code.strip()
    if not CODE_PATTERN.match(code):
        return None, None
    link = await session.scalar(select(SignupLink).where(SignupLink.code_hash == hash_code(code)))
    if link is None:
        return None, None
    if link.closed_at is not None:
        return None, "closed"
    programme = await session.get(Programme, link.programme_id)
    if programme is None:
        return None, None
    return programme, link.role


def parse_fields(text: str) -> list[str]:
    """``"Fysik;Kemi; Datavetenskap"`` -> the programme's list of fields (order kept)."""
    fields: list[str] = []
    for raw in text.replace("\n", ";").split(";"):
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > MAX_FIELD_LENGTH:
            raise SetupError(f"fields: {name[:20]!r}… is longer than {MAX_FIELD_LENGTH} characters")
        if name.casefold() not in {f.casefold() for f in fields}:
            fields.append(name)
    if len(fields) > MAX_FIELDS:
        raise SetupError(f"fields: at most {MAX_FIELDS}")
    return fields


def programme_fields(programme: Programme) -> list[str]:
    return list((programme.settings or {}).get("fields") or [])


def set_fields(programme: Programme, fields: list[str]) -> None:
    programme.settings = {**(programme.settings or {}), "fields": fields}
