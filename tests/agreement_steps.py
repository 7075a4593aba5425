"""Steps for the mentoring-agreement scenarios, driven through the console adapter.

A :class:`Pairing` is a programme with one pair (mentor Anna, mentee Bea) and,
optionally, a second pair (Cecilia and Dana), everyone onboarded in the
scenario's language.  Buttons are pressed by their label taken from content,
in that language, so the same scenario reads and runs in Swedish and English;
forged or simultaneous presses go straight to the core by choice id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update

from adapters.console.session import actor
from adapters.console.transport import PLATFORM
from bot.core.types import Address, ChoiceIn, Event, Outgoing, Reply
from bot.store.models import (
    AgendaItem,
    Agreement,
    AgreementAnswer,
    Group,
    Member,
    Programme,
    Rhythm,
)
from tests.conftest import START, database_url
from tests.console_harness import Console

MENTOR, MENTEE = "anna", "bea"
ITEMS = (
    "goal",
    "support",
    "goals",
    "roles",
    "rhythm",
    "format",
    "confidentiality",
    "contact",
    "feedback",
    "closing",
    "boundaries",
    "cancelling",
    "mentor_goals",
    "ending",
)
PROGRAMME = (
    '$ program create --name "STEM Up" --slug stemup --goal "{goal}" '
    "--start 2026-12-01 --end 2027-11-30 --format mixed"
)
GOAL = {"sv": "Stötta doktorander i STEM", "en": "Support doctoral students in STEM"}
JOIN = {
    "sv": ["/start {{code:{name}}}", "[Svenska]", "[Ja]", "[Förstått]", "[Ja]"],
    "en": ["/start {{code:{name}}}", "[English]", "[Yes]", "[Got it]", "[Yes]"],
}


@dataclass
class AgreementRow:
    id: int
    version: int
    status: str
    completed: bool


class Pairing:
    def __init__(self, console: Console, lang: str, db_url: str):
        self.console = console
        self.lang = lang
        self.db_url = db_url

    # -- setting up ----------------------------------------------------------
    @classmethod
    async def open(cls, tmp_path: Path, lang: str, *, db_url: str | None = None) -> Pairing:
        url = db_url or database_url(tmp_path)
        return cls(await Console.open(url, START), lang, url)

    async def create(self, *, second_pair: bool = False) -> None:
        """The programme, Anna and Bea's pair (and Cecilia and Dana's), all joined."""
        await self.console.run(
            PROGRAMME.format(goal=GOAL[self.lang])
            + "\n$ pair create --program stemup --mentor Anna --mentee Bea"
            + ("\n$ pair create --program stemup --mentor Cecilia --mentee Dana" * second_pair)
        )
        for name in ("Anna", "Bea") + (("Cecilia", "Dana") if second_pair else ()):
            await self.join(name)

    async def join(self, name: str) -> None:
        for line in JOIN[self.lang]:
            await self.act(name.lower(), line.format(name=name))

    async def close(self) -> None:
        await self.console.close()

    # -- words -----------------------------------------------------------------
    @property
    def core(self):  # type: ignore[no-untyped-def]
        return self.console.core

    def t(self, key: str, /, **params: object) -> str:
        return self.core.content.t(self.lang, key, **params)

    def title(self, item_id: str) -> str:
        return next(i for i in self.core.content.agreement.items if i.id == item_id).title(
            self.lang
        )

    def support_label(self, option: str) -> str:
        return next(o for o in self.core.content.agreement.support_options if o.id == option).text(
            self.lang
        )

    # -- acting ------------------------------------------------------------------
    async def act(self, who: str, text: str) -> list[str]:
        """One console line (``[label]`` presses a button); fails if the button is missing."""
        out = await self.console.run(f"@{who} {text}")
        assert not any("(no button" in line for line in out), f"{who} has no button {text}"
        return out

    async def press(self, who: str, label: str) -> None:
        await self.act(who, f"[{label}]")

    async def says(self, who: str, text: str) -> None:
        await self.act(who, text)

    def event(self, who: str, choice_id: str, message_ref: str | None = None) -> Event:
        person = actor(who)
        address = Address(PLATFORM, person.user_id, None, "dm")
        return ChoiceIn(person, address, choice_id, message_ref=message_ref)

    async def choose(self, who: str, choice_id: str) -> list[Reply]:
        """Press a button by its choice id (possibly forged), straight to the core;
        on the newest message that shows it, if any."""
        shown = next(
            (
                s
                for s in self.console.session.transport.live(who)
                if any(c.id == choice_id for c in s.reply.choices)
            ),
            None,
        )
        ref = shown.ref if shown else None
        return await self.deliver(await self.core.handle(self.event(who, choice_id, ref)), ref)

    async def deliver(self, outs: list[Outgoing], edits: str | None = None) -> list[Reply]:
        for out in outs:
            ref = self.console.session.transport.show(out, edits=edits)
            if out.reply.replace:
                edits = None
            await self.core.note_sent(out, ref)
        await self.core.deliver_outbox()
        return [o.reply for o in outs]

    async def wait(self, span: str) -> None:
        await self.console.run(f"wait {span}")

    # -- reading what people got ------------------------------------------------------
    def inbox(self, who: str) -> list[Reply]:
        return [
            o.reply
            for o in self.console.session.transport.log
            if o.address.chat_id == who and o.reply.clears is None
        ]

    def last(self, who: str) -> Reply:
        return self.inbox(who)[-1]

    def mark(self, who: str) -> int:
        return len(self.inbox(who))

    def since(self, who: str, mark: int) -> list[Reply]:
        return self.inbox(who)[mark:]

    def files(self, who: str) -> dict[str, str]:
        """Each file ``who`` got, by name, as first sent (later copies are ignored)."""
        found: dict[str, str] = {}
        for reply in self.inbox(who):
            for a in reply.attachments:
                found.setdefault(a.filename, a.content.decode("utf-8"))
        return found

    # -- the walk ----------------------------------------------------------------
    def current_item(self, who: str) -> str | None:
        """The agreement item whose buttons are on ``who``'s newest message with buttons."""
        live = self.console.session.transport.live(who)
        reply = live[0].reply if live else None
        for choice in reply.choices if reply else ():
            parts = choice.id.split(":")
            if parts[0] == "agr" and len(parts) == 4 and parts[3] == "agree":
                return parts[2]
        return None

    async def agree_until(self, who: str, stop: str | None = None) -> None:
        """Press "agree" on each item shown to ``who`` until ``stop`` (or none) is shown."""
        pressed: set[str | None] = {None, stop}
        while (item := self.current_item(who)) not in pressed:
            pressed.add(item)
            await self.press(who, self.t("agreement.buttons.agree"))

    async def pick_support(self, who: str, options: list[str]) -> None:
        for option in options:
            await self.press(who, self.support_label(option))
        await self.press(who, self.t("agreement.done"))

    async def write_goals(self, who: str, goals: list[str]) -> None:
        for goal in goals:
            await self.says(who, goal)
        if len(goals) < 3:
            await self.press(who, self.t("agreement.done"))

    async def propose_rhythm(self, who: str, freq: str, minutes: int, mode: str, when: str) -> None:
        await self.press(who, self.t(f"rhythm.button.{freq}"))
        await self.press(who, self.t("rhythm.minutes", n=minutes))
        await self.press(who, self.t(f"agreement.mode.{mode}"))
        await self.says(who, when)

    async def accept_rhythm(self, who: str) -> None:
        """Press "that works for me" on the newest compromise (scrolling up if need be)."""
        for reply in reversed(self.inbox(who)):
            for choice in reply.choices:
                if choice.id.startswith("rhy:") and ":accept:" in choice.id:
                    assert choice.label == self.t("rhythm.accept")
                    await self.choose(who, choice.id)
                    return
        raise AssertionError(f"{who} has no rhythm to accept")

    async def mentee_fills_in(self) -> None:
        """Bea: agrees the goal, picks support, writes goals, agrees roles, proposes a rhythm."""
        await self.agree_until(MENTEE, stop="support")
        assert self.last(MENTEE).choices[0].id.endswith(":support:t:profile")
        await self.pick_support(MENTEE, ["career", "emotional"])
        assert self.t("agreement.goals.ask", max=3) in self.last(MENTEE).text
        await self.write_goals(MENTEE, self.goals())
        await self.agree_until(MENTEE, stop="rhythm")
        assert self.last(MENTEE).text == self.t("rhythm.ask.freq")
        await self.propose_rhythm(MENTEE, "biweekly", 45, "online", self.when())

    async def mentor_confirms(self) -> None:
        """Anna: agrees everything up to the rhythm (support and goals included), proposes one."""
        await self.agree_until(MENTOR, stop="rhythm")
        assert self.last(MENTOR).text == self.t("rhythm.ask.freq")
        await self.propose_rhythm(MENTOR, "monthly", 60, "online", self.when())

    async def everything_agreed(self) -> None:
        """The whole checklist, both members, rhythm included: the agreement completes."""
        await self.mentee_fills_in()
        await self.mentor_confirms()
        await self.accept_rhythm(MENTOR)
        await self.accept_rhythm(MENTEE)
        await self.agree_until(MENTEE)
        await self.agree_until(MENTOR)

    def goals(self) -> list[str]:
        if self.lang == "sv":
            return ["Disputera i tid", "Bygga ett nätverk utanför labbet"]
        return ["Defend my thesis on time", "Build a network outside the lab"]

    def when(self) -> str:
        return "tisdagar efter 15" if self.lang == "sv" else "Tuesdays after 3pm"

    # -- the database ---------------------------------------------------------------------
    async def agreements(self) -> list[AgreementRow]:
        async with self.core.db.sessions() as s:
            rows = (await s.scalars(select(Agreement).order_by(Agreement.id))).all()
            return [
                AgreementRow(r.id, r.version, r.status, r.completed_at is not None) for r in rows
            ]

    async def agreement(self, group: str = MENTOR) -> AgreementRow:
        """The newest agreement of the group ``group`` (a member's name) is in."""
        async with self.core.db.sessions() as s:
            gid = await self.group_id(group)
            row = await s.scalar(
                select(Agreement)
                .where(Agreement.group_id == gid)
                .order_by(Agreement.version.desc())
                .limit(1)
            )
            assert row is not None, "no agreement"
            return AgreementRow(row.id, row.version, row.status, row.completed_at is not None)

    async def group_id(self, member: str = MENTOR) -> int:
        async with self.core.db.sessions() as s:
            gid = await s.scalar(
                select(Group.id)
                .join(Member, Member.group_id == Group.id)
                .where(Member.name == member.capitalize())
            )
            assert gid is not None
            return gid

    async def answers(self, agreement_id: int | None = None) -> dict[tuple[str, str], str]:
        """(item, member name) -> answer, for the newest (or the given) agreement."""
        aid = agreement_id or (await self.agreement()).id
        async with self.core.db.sessions() as s:
            rows = (
                await s.execute(
                    select(AgreementAnswer.item_id, Member.name, AgreementAnswer.answer)
                    .join(Member, Member.id == AgreementAnswer.member_id)
                    .where(AgreementAnswer.agreement_id == aid)
                )
            ).all()
            return {(item, name.lower()): answer for item, name, answer in rows}

    async def status(self, item: str, agreement_id: int | None = None) -> str:
        """Recomputed from the rows: agreed when both agree, discuss if one wants to."""
        answers = await self.answers(agreement_id)
        given = [answers.get((item, who)) for who in (MENTOR, MENTEE)]
        if given == ["agree", "agree"]:
            return "agreed"
        return "discuss" if "discuss" in given else "open"

    async def agreement_items(self) -> dict:  # type: ignore[type-arg]
        async with self.core.db.sessions() as s:
            row = await s.get(Agreement, (await self.agreement()).id)
            assert row is not None
            return dict(row.items)

    async def agenda(self) -> list[tuple[str, str]]:
        async with self.core.db.sessions() as s:
            rows = (await s.execute(select(AgendaItem.text, AgendaItem.source))).all()
            return [(text, source) for text, source in rows]

    async def rhythm_agreed(self) -> bool:
        async with self.core.db.sessions() as s:
            return await s.get(Rhythm, await self.group_id()) is not None

    async def edit_programme(self, **values: object) -> None:
        """What an organiser's later edit of the programme does to its row."""
        async with self.core.db.transaction() as s:
            await s.execute(update(Programme).values(**values))

    def now(self) -> datetime:
        return self.core.clock.now()
