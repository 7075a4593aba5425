"""Programmes, pairs, circles and invites: the organiser's side of the data.

Used by the CLI, the roster import and the organiser commands in chat, so
that all three create exactly the same things.  Invite codes are random
(96 bits, URL-safe so they fit a Telegram deep link), single use, expiring,
and stored only as a SHA-256 hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import select

from bot.store.db import from_db, to_db
from bot.store.jobs import cancel_pending, schedule
from bot.store.models import Group, Invite, Member, Programme
from bot.store.session import DbSession
from bot.wording import group_label

CODE_BYTES = 12  # 96 bits
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16}$")
FREQUENCIES = {"weekly": 7, "biweekly": 14, "monthly": 30}
FORMATS = ("one_to_one", "group", "mixed")
MODES = ("online", "face_to_face", "hybrid")
ROLES = ("mentor", "mentee", "organiser")
MAX_CIRCLE_MENTEES = 8
MIN_CIRCLE_MENTEES = 2
#: days after the invites went out before the organisers hear who has not joined
DEFAULT_CHASE_DAYS = 7
#: when the programme's close and the never-joined digest go out (UTC)
SEND_AT = time(9, 0, tzinfo=UTC)
CLOSE_JOB = "programme_close"
CHASE_JOB = "never_joined"

InviteProblem = Literal["malformed", "unknown", "used", "expired"]


class SetupError(ValueError):
    """An organiser asked for something impossible; the message says what."""


@dataclass(frozen=True)
class IssuedInvite:
    member_id: int
    name: str
    role: str
    code: str
    expires_at: datetime


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code() -> str:
    """A random code that does not start with ``-`` or ``_``: a leading ``-``
    reads as a formula in spreadsheets (and as an option on command lines)."""
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if code[0].isalnum():
            return code


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64] or "programme"


def parse_frequency(text: str) -> int:
    text = text.strip().lower()
    if text in FREQUENCIES:
        return FREQUENCIES[text]
    match = re.fullmatch(r"(\d{1,3})d", text)
    if match and 1 <= int(match[1]) <= 365:
        return int(match[1])
    raise SetupError(f"frequency: expected weekly, biweekly, monthly or e.g. 21d, got {text!r}")


async def create_programme(
    session: DbSession,
    now: datetime,
    *,
    name: str,
    start: date,
    end: date,
    goal: str = "",
    slug: str | None = None,
    frequency_days: int = 30,
    min_minutes: int = 20,
    max_minutes: int = 60,
    format: str = "one_to_one",
    mode: str = "online",
    language: str = "sv",
) -> Programme:
    slug = slug or slugify(name)
    if not name.strip():
        raise SetupError("name: must not be empty")
    if end < start + timedelta(days=28):
        raise SetupError("end: a programme runs at least one month after its start")
    if end > start + timedelta(days=366 * 6):
        raise SetupError("end: at most six years after the start")
    if not 10 <= min_minutes <= max_minutes <= 240:
        raise SetupError("minutes: expected 10 <= min <= max <= 240")
    if format not in FORMATS:
        raise SetupError(f"format: expected one of {', '.join(FORMATS)}")
    if mode not in MODES:
        raise SetupError(f"mode: expected one of {', '.join(MODES)}")
    if language not in ("sv", "en"):
        raise SetupError("language: expected sv or en")
    if await session.scalar(select(Programme.id).where(Programme.slug == slug)):
        raise SetupError(f"a programme called {slug!r} exists already")
    programme = Programme(
        slug=slug,
        name=name.strip(),
        goal=goal.strip(),
        start_date=start,
        end_date=end,
        frequency_days=frequency_days,
        min_minutes=min_minutes,
        max_minutes=max_minutes,
        format=format,
        mode=mode,
        language=language,
        settings={},
        created_at=to_db(now),
    )
    session.add(programme)
    await session.flush()
    await plan_close(session, programme)
    return programme


def chase_days(programme: Programme) -> int:
    return int(programme.settings.get("chase_days", DEFAULT_CHASE_DAYS))


def close_time(programme: Programme) -> datetime:
    """The morning after the last day: the programme's close runs then."""
    return datetime.combine(programme.end_date + timedelta(days=1), SEND_AT)


async def plan_close(session: DbSession, programme: Programme) -> None:
    """Exactly one pending close job, at the current end (moving the end moves it)."""
    await cancel_pending(session, key_prefix=f"close:{programme.id}:")
    await schedule(
        session,
        CLOSE_JOB,
        close_time(programme),
        key=f"close:{programme.id}:{programme.end_date.isoformat()}",
        payload={"programme_id": programme.id},
    )


async def plan_chase(session: DbSession, programme: Programme, now: datetime) -> None:
    """The never-joined digest for seats created now: one per programme and day."""
    due = datetime.combine((now + timedelta(days=chase_days(programme))).date(), SEND_AT)
    if due < now + timedelta(days=chase_days(programme)):
        due += timedelta(days=1)
    await schedule(
        session,
        CHASE_JOB,
        due,
        key=f"chase:{programme.id}:{due.date().isoformat()}",
        payload={"programme_id": programme.id},
    )


async def find_programme(session: DbSession, ref: str) -> Programme:
    programme = await session.scalar(select(Programme).where(Programme.slug == ref))
    if programme is None and ref.isdigit():
        programme = await session.get(Programme, int(ref))
    if programme is None:
        raise SetupError(f"no programme {ref!r} (see `mentorbot program list`)")
    return programme


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 128:
        raise SetupError("name: expected 1 to 128 characters")
    return name


async def add_organiser(
    session: DbSession, programme: Programme, name: str, now: datetime, days: int
) -> IssuedInvite:
    member = Member(programme_id=programme.id, name=_check_name(name), role="organiser")
    session.add(member)
    await session.flush()
    return await issue_invite(session, member, now, days)


async def create_group(
    session: DbSession,
    programme: Programme,
    kind: Literal["pair", "circle"],
    mentor: str,
    mentees: list[str],
    now: datetime,
    days: int,
    name: str = "",
    joined: Mapping[str, int] | None = None,
) -> tuple[Group, list[IssuedInvite]]:
    """A pair or circle with a seat per member and an invite for each.

    ``joined`` (name -> person id) seats people who are in the programme
    already (an approved match): their seats are taken at once, without invite.
    """
    if kind == "pair" and len(mentees) != 1:
        raise SetupError("a pair has exactly one mentee")
    if kind == "circle" and not MIN_CIRCLE_MENTEES <= len(mentees) <= MAX_CIRCLE_MENTEES:
        raise SetupError(
            f"a circle has one mentor and {MIN_CIRCLE_MENTEES} to {MAX_CIRCLE_MENTEES} mentees"
        )
    if kind == "pair" and programme.format == "group":
        raise SetupError("this programme is group-only; create a circle instead")
    if kind == "circle" and programme.format == "one_to_one":
        raise SetupError("this programme is one-to-one; create pairs instead")
    names = [_check_name(mentor), *(_check_name(m) for m in mentees)]
    if len({n.casefold() for n in names}) != len(names):
        raise SetupError("every member of a group needs a distinct name")
    group = Group(
        programme_id=programme.id,
        kind=kind,
        name=name or group_label(names),
        status="invited",
        created_at=to_db(now),
        version=0,
    )
    session.add(group)
    await session.flush()
    invites = []
    for role, who in [("mentor", names[0])] + [("mentee", n) for n in names[1:]]:
        member = Member(programme_id=programme.id, group_id=group.id, name=who, role=role)
        person_id = (joined or {}).get(who)
        if person_id is not None:
            member.person_id, member.joined_at = person_id, to_db(now)
        session.add(member)
        await session.flush()
        if person_id is None:
            invites.append(await issue_invite(session, member, now, days))
    await plan_chase(session, programme, now)
    return group, invites


async def issue_invite(
    session: DbSession, member: Member, now: datetime, days: int, *, keep_old: bool = False
) -> IssuedInvite:
    """A fresh code for ``member``; earlier unused codes of that member stop working
    (unless ``keep_old``: a reminder's new code must not break the first one)."""
    for old in await session.scalars(
        select(Invite).where(Invite.member_id == member.id, Invite.used_at.is_(None))
    ):
        if not keep_old:
            old.expires_at = to_db(now)
    code = new_code()
    expires = now + timedelta(days=days)
    session.add(
        Invite(
            member_id=member.id,
            code_hash=hash_code(code),
            created_at=to_db(now),
            expires_at=to_db(expires),
        )
    )
    await session.flush()
    return IssuedInvite(member.id, member.name, member.role, code, expires)


async def check_invite(
    session: DbSession, code: str, now: datetime
) -> tuple[Invite | None, InviteProblem | None]:
    code = code.strip()
    if not CODE_PATTERN.match(code):
        return None, "malformed"
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None:
        return None, "unknown"
    if invite.used_at is not None:
        return invite, "used"
    if from_db(invite.expires_at) <= now:
        return invite, "expired"
    return invite, None


def deep_link(username: str | None, code: str) -> str | None:
    return f"https://t.me/{username}?start={code}" if username else None
