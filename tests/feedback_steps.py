"""Steps for the feedback, health and report scenarios (issue 6).

Programmes and pairs are created as an organiser does it (``bot.organiser.programmes``);
every member then goes through the real onboarding, the real agreement
checklist and rhythm proposal (by pressing the buttons the bot sent), books
meetings by writing a time, and answers "did you meet?" and the feedback
questions with the buttons of the messages they received.  Every delivered
message is stamped with the simulated time so tests can check on which day an
alert fired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.organiser.programmes import add_organiser, create_group, create_programme
from bot.store.db import from_db
from bot.store.models import Agreement, FeedbackAnswer, Meeting, Programme, Rhythm, RiskFlag
from tests.harness import Harness, Stamped, stamp_deliveries
from tests.harness import Person as Member


@dataclass
class World:
    """A programme with its organiser; every delivery stamped with the clock."""

    h: Harness
    programme_id: int
    slug: str
    organiser: Member
    log: list[Stamped] = field(default_factory=list)

    def to(self, who: Member) -> list[Stamped]:
        return [s for s in self.log if s.chat == who.dm.chat_id]

    def all_texts(self) -> list[str]:
        return [r.text for _, r in self.h.timeline]


@dataclass
class Pair:
    world: World
    mentor: Member
    mentee: Member
    group_id: int

    @property
    def h(self) -> Harness:
        return self.world.h

    @property
    def people(self) -> tuple[Member, Member]:
        return (self.mentor, self.mentee)

    async def meetings(self) -> list[Meeting]:
        async with self.h.core.db.sessions() as s:
            rows = await s.scalars(
                select(Meeting).where(Meeting.group_id == self.group_id).order_by(Meeting.id)
            )
            return list(rows.all())

    async def flags(self) -> list[RiskFlag]:
        async with self.h.core.db.sessions() as s:
            rows = await s.scalars(
                select(RiskFlag).where(RiskFlag.group_id == self.group_id).order_by(RiskFlag.id)
            )
            return list(rows.all())

    async def answers(self) -> list[FeedbackAnswer]:
        async with self.h.core.db.sessions() as s:
            rows = await s.scalars(
                select(FeedbackAnswer)
                .where(FeedbackAnswer.group_id == self.group_id)
                .order_by(FeedbackAnswer.id)
            )
            return list(rows.all())

    async def agreement_done(self) -> bool:
        async with self.h.core.db.sessions() as s:
            found = await s.scalar(
                select(Agreement.id).where(
                    Agreement.group_id == self.group_id, Agreement.status == "complete"
                )
            )
            return found is not None


JOIN_LABELS = {
    "sv": ("Svenska", "Ja", "Förstått", "Ja"),
    "en": ("English", "Yes", "Got it", "Yes"),
}


async def join(person: Member, code: str, lang: str = "sv") -> None:
    await person.says(f"/start {code}")
    for label in JOIN_LABELS[lang]:
        await person.presses(label)


async def programme(
    h: Harness,
    *,
    start: date = date(2026, 12, 1),
    end: date = date(2027, 5, 31),
    settings: dict[str, Any] | None = None,
    organiser: str = "olga",
    lang: str = "sv",
) -> World:
    async with h.core.db.transaction() as s:
        p = await create_programme(
            s, h.clock.now(), name="STEM Up", slug="stemup", start=start, end=end,
            goal="Stötta kvinnor i STEM",
        )  # fmt: skip
        p.settings = dict(settings or {})
        invite = await add_organiser(s, p, organiser.capitalize(), h.clock.now(), 30)
        pid, code = p.id, invite.code
    world = World(h, pid, "stemup", h.person(organiser))
    stamp_deliveries(h, world.log)
    await join(world.organiser, code, lang)
    return world


async def add_pair(world: World, mentor: str, mentee: str, lang: str = "sv") -> Pair:
    h = world.h
    async with h.core.db.transaction() as s:
        p = await s.get(Programme, world.programme_id)
        assert p is not None
        group, invites = await create_group(
            s, p, "pair", mentor.capitalize(), [mentee.capitalize()], h.clock.now(), 30
        )
        codes = {i.name: i.code for i in invites}
        gid = group.id
    pair = Pair(world, h.person(mentor), h.person(mentee), gid)
    await join(pair.mentor, codes[mentor.capitalize()], lang)
    await join(pair.mentee, codes[mentee.capitalize()], lang)
    return pair


def newest_choices(who: Member) -> list[str]:
    for reply in reversed(who.inbox):
        if reply.choices:
            return [c.id for c in reply.choices]
    return []


def latest(who: Member, prefix: str, suffix: str = "") -> str:
    for reply in reversed(who.inbox):
        for c in reply.choices:
            if c.id.startswith(prefix) and c.id.endswith(suffix):
                return c.id
    raise AssertionError(f"{who.name} has no button {prefix}…{suffix}")


async def walk_agreement(pair: Pair, *, frequency_days: int, minutes: int = 60) -> None:
    """Both members answer every checklist item and propose the same rhythm."""
    pressed: set[str] = set()
    typed_goal: set[str] = set()
    for _ in range(80):
        progress = False
        for who in (pair.mentee, pair.mentor):
            if who.name not in typed_goal and await _dialog_step(pair, who, "agreement") == "goals":
                typed_goal.add(who.name)
                await who.says("Disputera inom två år")
                progress = True
            ids = newest_choices(who)
            pick = _pick(ids, {c.split("|", 1)[1] for c in pressed if c.startswith(who.name + "|")})
            if pick is None:
                continue
            if pick.endswith(":freq:custom"):
                await who.presses(pick)
                await who.says(str(frequency_days))
            else:
                await who.presses(pick)
            pressed.add(f"{who.name}|{pick}")
            progress = True
        if not progress:
            break
    if not await pair.agreement_done():
        for who in pair.people:
            print("--", who.name)
            for r in who.inbox[-6:]:
                print(" >", r.text[:150].replace("\n", " | "), [c.id for c in r.choices])
    assert await pair.agreement_done(), "the agreement walk did not finish"
    async with pair.h.core.db.sessions() as s:
        rhythm = await s.get(Rhythm, pair.group_id)
        assert rhythm is not None and rhythm.frequency_days == frequency_days


async def _dialog_step(pair: Pair, who: Member, conversation: str) -> str | None:
    from bot.store.models import DialogState, Identity

    async with pair.h.core.db.sessions() as s:
        return await s.scalar(
            select(DialogState.step)
            .join(Identity, Identity.person_id == DialogState.person_id)
            .where(Identity.user_id == who.name, DialogState.conversation == conversation)
        )


def _pick(ids: list[str], pressed: set[str]) -> str | None:
    order = (
        ":accept:",
        ":freq:custom",
        ":minutes:60",
        ":mode:online",
        ":when:any",
        ":support:t:career",
        ":support:done",
        ":goals:done",
        ":agree",
        ":next",
    )
    for marker in order:
        for cid in ids:
            if marker in cid and cid not in pressed and (cid.startswith(("agr:", "rhy:"))):
                if marker == ":agree" and not cid.endswith(":agree"):
                    continue
                return cid
    return None


async def book(pair: Pair, when: str) -> Meeting:
    """The mentee suggests ``when`` (e.g. "2026-12-08 15:00"); the mentor accepts."""
    await pair.mentee.says("/reschedule")
    await pair.mentee.says(when)
    await pair.mentor.presses(latest(pair.mentor, "mtg:", ":accept"))
    planned = [m for m in await pair.meetings() if m.status == "planned"]
    assert len(planned) == 1, [(m.id, m.status) for m in await pair.meetings()]
    return planned[0]


async def met(who: Member, meeting: Meeting, answer: str = "yes") -> None:
    await who.presses(f"mtg:{meeting.id}:met:{answer}")


async def pulse(
    who: Member,
    pair: Pair,
    meeting: Meeting,
    rating: int | None,
    keep: str | None = None,
    change: str | None = None,
    *,
    share_keep: bool = False,
    share_change: bool = False,
) -> None:
    """Answer the after-meeting pulse; None skips a question."""
    base = f"fb:{pair.group_id}:p:{meeting.id}"
    await who.presses(f"{base}:0:{rating if rating is not None else 'skip'}")
    for qi, answer, shared in ((1, keep, share_keep), (2, change, share_change)):
        if answer is None:
            await who.presses(f"{base}:{qi}:skip")
            continue
        await who.says(answer)
        await who.presses(f"{base}:{qi}:{'share' if shared else 'keep'}")


async def meeting_cycle(
    pair: Pair,
    when: str,
    *,
    ratings: tuple[int | None, int | None] = (5, 5),
    held: bool = True,
) -> Meeting:
    """Book a meeting, let time run past it, say whether it happened, answer the pulse."""
    meeting = await book(pair, when)
    h = pair.h
    await h.wait(from_db(meeting.starts_at) + _minutes(meeting.minutes + 5) - h.clock.now())
    if not held:
        await met(pair.mentee, meeting, "no")
        return meeting
    await met(pair.mentee, meeting, "yes")
    await met(pair.mentor, meeting, "yes")
    await pair.h.wait(_minutes(10))
    await pulse(pair.mentor, pair, meeting, ratings[0])
    await pulse(pair.mentee, pair, meeting, ratings[1])
    return meeting


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)


async def answer_round(who: Member, prefix: str) -> int:
    """Answer whatever questions of a round (``fb:G:c:1``) are waiting: 4 for ratings,
    the first option for choices, skip for written ones.  Returns presses made."""
    presses, seen = 0, set()
    for _ in range(20):
        ids = _newest_with(who, prefix + ":")
        if not ids or seen & set(ids):
            break
        seen |= set(ids)
        pick = next((i for i in ids if i.endswith(":4")), None)
        pick = pick or next((i for i in ids if i.endswith(":keep")), None)
        pick = pick or next((i for i in ids if not i.endswith(":skip")), None) or ids[-1]
        await who.presses(pick)
        presses += 1
    return presses


async def at(h: Harness, when: datetime) -> None:
    """Let simulated time run to ``when`` (jobs fire on their own due times)."""
    if when > h.clock.now():
        await h.wait(when - h.clock.now())


def _newest_with(who: Member, prefix: str) -> list[str]:
    for reply in reversed(who.inbox):
        ids = [c.id for c in reply.choices if c.id.startswith(prefix)]
        if ids:
            return ids
    return []
