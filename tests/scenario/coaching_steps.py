"""Steps for the coaching and companion scenarios (issue 7).

A programme and a pair are created the way an organiser does it
(``bot.organiser.programmes``), everybody joins through the real onboarding, and the
meetings are booked through the real meeting flow (a typed recurring time,
accepted with the partner's button).  Two things are set straight in the
database because they belong to other flows and are not what these scenarios
check: the mentee's support areas in the agreement and the agreed rhythm
(which gives the meeting its mode).

Every delivered message is stamped with the fake clock's time, so a test can
check that a nudge came exactly a day before its meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.content import Content, Question
from bot.core.types import Reply
from bot.flows.agreement_view import current_agreement
from bot.organiser.programmes import add_organiser, create_group, create_programme
from bot.store.db import to_db
from bot.store.models import (
    Agreement,
    CoachingLog,
    DialogState,
    Identity,
    Meeting,
    Note,
    OrganiserMessage,
    Person,
    Programme,
    Rhythm,
)
from tests.harness import Harness, Stamped, stamp_deliveries
from tests.harness import Person as Someone

JOIN = {"sv": ("Svenska", "Ja", "Förstått", "Ja"), "en": ("English", "Yes", "Got it", "Yes")}
#: the first Tuesday of every month at 15:00, from 1 December 2026
MONTHLY = {"sv": "första tisdagen i månaden kl 15", "en": "first Tuesday of the month at 15"}


@dataclass
class Pair:
    h: Harness
    mentor: Someone
    mentee: Someone
    organiser: Someone | None
    group_id: int
    programme_id: int
    mentee_seat: int
    log: list[Stamped] = field(default_factory=list)

    @property
    def content(self) -> Content:
        return self.h.core.content

    def delivered(self, who: Someone, since: int = 0) -> list[Stamped]:
        return [s for s in self.log[since:] if s.chat == who.dm.chat_id]

    def mark(self) -> int:
        return len(self.log)

    async def meetings(self) -> list[Meeting]:
        async with self.h.core.db.sessions() as s:
            rows = await s.scalars(
                select(Meeting).where(Meeting.group_id == self.group_id).order_by(Meeting.id)
            )
            return list(rows.all())

    async def person_id(self, who: Someone) -> int:
        async with self.h.core.db.sessions() as s:
            found = await s.scalar(select(Identity.person_id).where(Identity.user_id == who.name))
            assert found is not None, f"{who.name} has not joined"
            return found

    async def notes(self, who: Someone) -> list[Note]:
        pid = await self.person_id(who)
        async with self.h.core.db.sessions() as s:
            return list((await s.scalars(select(Note).where(Note.person_id == pid))).all())

    async def all_notes(self) -> list[Note]:
        async with self.h.core.db.sessions() as s:
            return list((await s.scalars(select(Note))).all())

    async def coaching_log(self, who: Someone, kind: str) -> list[CoachingLog]:
        pid = await self.person_id(who)
        async with self.h.core.db.sessions() as s:
            rows = await s.scalars(
                select(CoachingLog)
                .where(CoachingLog.person_id == pid, CoachingLog.kind == kind)
                .order_by(CoachingLog.id)
            )
            return list(rows.all())

    async def organiser_messages(self) -> list[OrganiserMessage]:
        async with self.h.core.db.sessions() as s:
            return list((await s.scalars(select(OrganiserMessage))).all())

    async def set_programme(self, **values: Any) -> None:
        async with self.h.core.db.transaction() as s:
            programme = await s.get(Programme, self.programme_id)
            assert programme is not None
            for name, value in values.items():
                setattr(programme, name, value)


async def join(who: Someone, code: str, lang: str) -> None:
    language, zone_ok, role_ok, consent = JOIN[lang]
    await who.says(f"/start {code}")
    for label in (language, zone_ok, role_ok, consent):
        await who.presses(label)


async def make_pair(
    h: Harness,
    *,
    needs: tuple[str, ...] = ("career", "emotional"),
    mode: str = "online",
    mentor_lang: str = "sv",
    mentee_lang: str = "sv",
    organiser: bool = False,
    start: date = date(2026, 12, 1),
    end: date = date(2027, 6, 1),
    names: tuple[str, str] = ("anna", "bea"),
    slug: str = "stemup",
) -> Pair:
    """Programme, pair (mentor Anna, mentee Bea), everyone onboarded, needs and rhythm set."""
    async with h.core.db.transaction() as s:
        programme = await create_programme(
            s, h.clock.now(), name="STEM Up", slug=slug, start=start, end=end, mode=mode
        )
        # These pairs never answer "did you meet?"; the series would pause itself after
        # two unanswered questions (issue 23, see test_quiet_pairs).  Here what the
        # coaching says over many meetings is under test, so it never backs off.
        programme.settings = {"quiet_after_prompts": 1000}
        group, invites = await create_group(
            s,
            programme,
            "pair",
            names[0].capitalize(),
            [names[1].capitalize()],
            h.clock.now(),
            30,
        )
        codes = {i.name.lower(): i.code for i in invites}
        org = await add_organiser(s, programme, "Olga", h.clock.now(), 30) if organiser else None
        group_id, programme_id = group.id, programme.id
        mentee_seat = next(i.member_id for i in invites if i.role == "mentee")
    log: list[Stamped] = []
    stamp_deliveries(h, log)
    mentor, mentee = h.person(names[0]), h.person(names[1])
    olga = None
    if org is not None:
        olga = h.person("olga")
        await join(olga, org.code, "sv")
    await join(mentor, codes[names[0]], mentor_lang)
    await join(mentee, codes[names[1]], mentee_lang)
    pair = Pair(h, mentor, mentee, olga, group_id, programme_id, mentee_seat, log)
    await set_needs_and_rhythm(pair, needs, mode)
    return pair


async def set_needs_and_rhythm(pair: Pair, needs: tuple[str, ...], mode: str) -> None:
    h = pair.h
    async with h.core.db.transaction() as s:
        agreement = await current_agreement(s, pair.group_id)
        if agreement is None:
            agreement = Agreement(
                group_id=pair.group_id,
                version=1,
                status="open",
                items={"support": {}, "goals": {}, "changes": {}},
                created_at=to_db(h.clock.now()),
            )
            s.add(agreement)
        support = dict(agreement.items.get("support", {}))
        support[str(pair.mentee_seat)] = list(needs)
        agreement.items = {**agreement.items, "support": support}
        rhythm = await s.get(Rhythm, pair.group_id)
        if rhythm is None:
            s.add(
                Rhythm(
                    group_id=pair.group_id,
                    frequency_days=30,
                    minutes=60,
                    mode=mode,
                    when_text="",
                    outside_frame=False,
                    agreed_at=to_db(h.clock.now()),
                )
            )
        else:
            rhythm.mode, rhythm.minutes = mode, 60


async def book_monthly(pair: Pair, lang: str = "sv") -> Meeting:
    """The mentee proposes the first Tuesday of every month at 15; the mentor accepts."""
    h = pair.h
    await h.wait(timedelta(minutes=1))  # her answer is the newest open question
    async with h.core.db.transaction() as s:
        pid = await s.scalar(select(Identity.person_id).where(Identity.user_id == pair.mentee.name))
        person = await s.get(Person, pid)
        assert person is not None
        row = await s.get(DialogState, (person.id, "meeting"))
        data = {"group_id": pair.group_id}
        if row is None:
            s.add(
                DialogState(
                    person_id=person.id,
                    conversation="meeting",
                    step="when",
                    data=data,
                    version=1,
                    updated_at=to_db(h.clock.now()),
                )
            )
        else:
            row.step, row.data, row.version = "when", data, row.version + 1
            row.updated_at = to_db(h.clock.now())
    await pair.mentee.says(MONTHLY[lang])
    await pair.mentor.presses(latest_choice(pair.mentor, "mtg:", suffix=":accept"))
    planned = [m for m in await pair.meetings() if m.status == "planned"]
    assert len(planned) == 1, [(m.id, m.status) for m in await pair.meetings()]
    return planned[0]


def latest_choice(who: Someone, prefix: str, suffix: str = "") -> str:
    for reply in reversed(who.inbox):
        for c in reply.choices:
            if c.id.startswith(prefix) and c.id.endswith(suffix):
                return c.id
    raise AssertionError(f"{who.name} has no button {prefix}…{suffix}")


def questions_in(content: Content, text: str, lang: str) -> list[Question]:
    """The bank's questions whose text appears in a message."""
    return [q for q in content.coaching.questions if q.text(lang) in text]


def nudges(pair: Pair, since: int = 0) -> list[Stamped]:
    """Coaching nudges the mentor got: the messages with a coaching verdict button."""
    return [
        s
        for s in pair.delivered(pair.mentor, since)
        if any(c.id.startswith("coach:useful:") for c in s.reply.choices)
    ]


def meeting_of(reply: Reply) -> int:
    ids = {int(c.id.split(":")[3]) for c in reply.choices if c.id.startswith("coach:")}
    assert len(ids) == 1, ids
    return ids.pop()
