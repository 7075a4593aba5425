"""Steps for the meeting-rhythm and scheduling scenarios (issue 5).

A pair is created the way an organiser does it (``bot.organiser.programmes``), both
members join through the real onboarding (invite code, language, time zone,
role, consent), and then each member's rhythm proposal is made by pressing the
rhythm flow's own buttons.  The rhythm flow is entered at its first question
(what ``rhythm.ask_proposal`` does when a member reaches the checklist's rhythm
item), so these scenarios do not depend on the order of the agreement items.

Every message that reaches a person is stamped with the fake clock's time, so
tests can check that a reminder fired exactly 24 hours before a meeting.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from bot.core.types import Reply
from bot.organiser.programmes import add_organiser, create_group, create_programme
from bot.store.db import to_db
from bot.store.models import (
    DialogState,
    Identity,
    Job,
    Meeting,
    OutboxMessage,
    Person,
    Programme,
    Rhythm,
)
from bot.store.spent import JOB_KEYS_NAMED, SENT, seconds
from tests.harness import Harness, Stamped, stamp_deliveries
from tests.harness import Person as Member

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


@dataclass
class Pair:
    h: Harness
    mentor: Member
    mentee: Member
    group_id: int
    programme_id: int
    log: list[Stamped] = field(default_factory=list)

    @property
    def people(self) -> tuple[Member, Member]:
        return (self.mentor, self.mentee)

    def received(self, who: Member, since: int = 0) -> list[Stamped]:
        """Messages delivered through the transport (proactive ones) to ``who``."""
        return [s for s in self.log[since:] if s.chat == who.dm.chat_id]

    def mark(self) -> int:
        return len(self.log)

    # -- database views --------------------------------------------------
    async def rhythm(self) -> Rhythm | None:
        async with self.h.core.db.sessions() as s:
            return await s.get(Rhythm, self.group_id)

    async def meetings(self) -> list[Meeting]:
        async with self.h.core.db.sessions() as s:
            rows = await s.scalars(
                select(Meeting).where(Meeting.group_id == self.group_id).order_by(Meeting.id)
            )
            return list(rows.all())

    async def pending_jobs(self, kind: str | None = None) -> list[Job]:
        async with self.h.core.db.sessions() as s:
            stmt = select(Job).where(Job.group_id == self.group_id, Job.done_at.is_(None))
            if kind is not None:
                stmt = stmt.where(Job.kind == kind)
            return list((await s.scalars(stmt.order_by(Job.due_at))).all())

    async def meeting_sends(self, who: Member, since: datetime) -> Counter[str]:
        """What the meetings flow queued for ``who`` since ``since``, by source.

        Messages sent by a job are counted by the job's kind (``mtg_remind``,
        ``mtg_check``); others by the first part of their outbox key (``mtg``
        for a booking, a proposal, a cancellation).  Read from the outbox, so
        nothing the flow sent can escape the count (with the slim tables
        retention moves delivered messages and done jobs into).  An edit that takes the
        buttons off an older question (issue 20) is no new message: it is
        counted as ``strip``.
        """
        async with self.h.core.db.sessions() as s:
            kinds = {i: k for i, k in (await s.execute(select(Job.id, Job.kind))).all()}
            # done jobs and delivered messages that retention moved to the slim tables
            kinds |= {
                i: k
                for i, k in (
                    await s.execute(select(JOB_KEYS_NAMED.c.job_id, JOB_KEYS_NAMED.c.kind))
                ).all()
            }
            rows = list(
                (
                    await s.execute(
                        select(OutboxMessage.idem_key, OutboxMessage.payload).where(
                            OutboxMessage.chat_id == who.dm.chat_id,
                            OutboxMessage.created_at >= to_db(since),
                        )
                    )
                ).all()
            )
            person_id = await s.scalar(
                select(Identity.person_id).where(Identity.dm_chat_id == who.dm.chat_id)
            )
            rows += [
                (key, {})
                for key in (
                    await s.scalars(
                        select(SENT.c.idem_key).where(
                            SENT.c.person_id == person_id, SENT.c.sent >= seconds(since)
                        )
                    )
                ).all()
            ]
        counted: Counter[str] = Counter()
        for key, payload in rows:
            head, _, rest = key.partition(":")
            if head == "strip" or payload.get("clears") is not None:
                counted["strip"] += 1  # the key stays when retention drops the words
                continue
            counted[kinds.get(int(rest.split(":")[0]), "?") if head == "job" else head] += 1
        return counted

    async def set_programme(self, **values: Any) -> None:
        async with self.h.core.db.transaction() as s:
            programme = await s.get(Programme, self.programme_id)
            assert programme is not None
            for name, value in values.items():
                setattr(programme, name, value)


JOIN = {
    "sv": ("Svenska", "Förstått", "Ja"),
    "en": ("English", "Got it", "Yes"),
}
TZ_OK = {"sv": "Ja", "en": "Yes"}
TZ_OTHER = {"sv": "Nej", "en": "No"}


async def join(person: Member, code: str, lang: str, city: str | None) -> None:
    language, role_ok, consent = JOIN[lang]
    await person.says(f"/start {code}")
    await person.presses(language)
    if city is None:
        await person.presses(TZ_OK[lang])
    else:
        await person.presses(TZ_OTHER[lang])
        await person.says(city)
    await person.presses(role_ok)
    await person.presses(consent)


async def make_pair(
    h: Harness,
    *,
    mentor_lang: str = "sv",
    mentee_lang: str = "sv",
    mentee_city: str | None = None,
    frequency_days: int = 30,
    min_minutes: int = 20,
    max_minutes: int = 60,
    start: date = date(2026, 12, 1),
    end: date = date(2027, 11, 30),
    organiser_lang: str | None = None,
) -> Pair:
    """Programme, pair, and both members onboarded (mentor Anna, mentee Bea);
    with ``organiser_lang``, an organiser (Olga) has joined first."""
    async with h.core.db.transaction() as s:
        programme = await create_programme(
            s,
            h.clock.now(),
            name="STEM Up",
            start=start,
            end=end,
            goal="Stötta doktorander i STEM",
            frequency_days=frequency_days,
            min_minutes=min_minutes,
            max_minutes=max_minutes,
        )
        # These pairs rarely answer "did you meet?"; the series would pause itself after
        # two unanswered questions (issue 23, see test_quiet_pairs).  Here the scheduling
        # mechanics are under test, so the programme never backs off.
        programme.settings = {"quiet_after_prompts": 1000}
        group, invites = await create_group(
            s, programme, "pair", "Anna", ["Bea"], h.clock.now(), 30
        )
        codes = {i.name: i.code for i in invites}
        if organiser_lang is not None:
            olga = await add_organiser(s, programme, "Olga", h.clock.now(), 30)
            codes["Olga"] = olga.code
        group_id, programme_id = group.id, programme.id
    log: list[Stamped] = []
    stamp_deliveries(h, log)
    if organiser_lang is not None:
        await join(h.person("olga"), codes["Olga"], organiser_lang, None)
    mentor, mentee = h.person("anna"), h.person("bea")
    await join(mentor, codes["Anna"], mentor_lang, None)
    await join(mentee, codes["Bea"], mentee_lang, mentee_city)
    return Pair(h, mentor, mentee, group_id, programme_id, log)


# -- the rhythm proposal ---------------------------------------------------------
async def open_rhythm(pair: Pair, who: Member) -> None:
    """Put ``who`` at the rhythm flow's first question, as the checklist walk does."""
    async with pair.h.core.db.transaction() as s:
        person = await _person(s, who)
        row = await s.get(DialogState, (person.id, "rhythm"))
        now = to_db(pair.h.clock.now())
        if row is None:
            s.add(
                DialogState(
                    person_id=person.id,
                    conversation="rhythm",
                    step="freq",
                    data={"group_id": pair.group_id},
                    version=1,
                    updated_at=now,
                )
            )
        else:
            row.step, row.data, row.version = "freq", {"group_id": pair.group_id}, row.version + 1
            row.updated_at = now


async def propose_rhythm(
    pair: Pair,
    who: Member,
    *,
    freq: str | int,
    minutes: int,
    mode: str = "online",
    when: str | None = None,
) -> list[Reply]:
    """Answer the four rhythm questions; ``freq`` is a button name or days (typed)."""
    await open_rhythm(pair, who)
    g = pair.group_id
    if isinstance(freq, int):
        await who.presses(f"rhy:{g}:freq:custom")
        await who.says(str(freq))
    else:
        await who.presses(f"rhy:{g}:freq:{freq}")
    if minutes in (20, 30, 45, 60):
        await who.presses(f"rhy:{g}:minutes:{minutes}")
    else:
        await who.presses(f"rhy:{g}:minutes:custom")
        await who.says(str(minutes))
    await who.presses(f"rhy:{g}:mode:{mode}")
    if when is None:
        return await who.presses(f"rhy:{g}:when:any")
    return await who.says(when)


def _latest_choice(who: Member, prefix: str) -> str | None:
    for reply in reversed(who.inbox):
        for c in reply.choices:
            if c.id.startswith(prefix):
                return c.id
    return None


def latest_choice(who: Member, prefix: str) -> str:
    found = _latest_choice(who, prefix)
    assert found is not None, f"{who.name} has no button starting {prefix!r}"
    return found


async def agree_rhythm(
    pair: Pair, *, freq: str = "monthly", minutes: int = 60, mode: str = "online"
) -> None:
    """Both propose the same rhythm and accept the (identical) suggestion."""
    for who in pair.people:
        await propose_rhythm(pair, who, freq=freq, minutes=minutes, mode=mode)
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    assert await pair.rhythm() is not None


async def book(pair: Pair, proposer: Member, when: str, accepter: Member) -> Meeting:
    """``proposer`` writes a time, ``accepter`` accepts it; returns the planned meeting."""
    await proposer.says(when)
    proposal = latest_choice(accepter, "mtg:")
    assert proposal.endswith(":accept"), proposal
    await accepter.presses(proposal)
    planned = [m for m in await pair.meetings() if m.status == "planned"]
    assert len(planned) == 1, [(m.id, m.status) for m in await pair.meetings()]
    return planned[0]


# -- calendar files --------------------------------------------------------------
def exdates(event: Any) -> list[datetime]:
    """Every EXDATE of a VEVENT (one property or several)."""
    found = event.get("EXDATE", [])
    props = found if isinstance(found, list) else [found]
    return [d.dt for prop in props for d in prop.dts]


def ics_filenames(who: Member) -> list[str]:
    return [a.filename for r in who.inbox for a in r.attachments]


def ics_of(reply: Reply) -> Calendar:
    files = [a for a in reply.attachments if a.filename.endswith(".ics")]
    assert len(files) == 1, [a.filename for a in reply.attachments]
    return Calendar.from_ical(files[0].content)


def event_of(cal: Calendar) -> Any:
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def latest_ics(who: Member) -> Calendar:
    for reply in reversed(who.inbox):
        if any(a.filename.endswith(".ics") for a in reply.attachments):
            return ics_of(reply)
    raise AssertionError(f"{who.name} has no calendar file")


async def _person(s: Any, who: Member) -> Person:
    person = await s.scalar(
        select(Person)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.user_id == who.name)
    )
    assert person is not None, f"{who.name} has not joined"
    return person
