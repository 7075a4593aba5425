"""Whole journeys with the REAL core behind the real discord.py client,
against the fake Discord REST API and gateway (issue 9's "Done when"):

* a pair's onboarding and agreement in DMs, with buttons, ending with the
  agreement file;
* a circle of one mentor and three mentees: onboarding in DMs, ``/bind``
  in a guild channel, the group agreement with the channel's buttons, a poll,
  the booking, the peer-sharing activity, reminders, "did you meet?" and the
  private feedback pulse;
* ``/bind private``: a members-only channel created through the adapter;
* a non-member's press in the circle channel is refused, ephemerally;
* a channel button pressed after a restart (a new Core on the same database
  and a new client) still works.

Each action waits until the adapter has finished the step (the core's
``deliver_outbox`` has returned, which the adapter calls last), so everything
the fake recorded since the action began belongs to that step.  Buttons are
pressed by label, on the newest message the user can see that still shows
it, as a person would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Core
from bot.config import Settings, load_settings
from bot.core.ports import FakeClock
from bot.organiser.programmes import create_group, create_programme
from bot.store.models import (
    Agreement,
    AgreementAnswer,
    FeedbackAnswer,
    Group,
    Meeting,
    MeetingCheck,
)
from tests.adapters.discord_fixtures import db_path, running_bot
from tests.fakes.discord_api import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE,
    EPHEMERAL,
    FakeDiscord,
    Recorded,
)
from tests.live_buttons import (
    assert_no_question_twice_in_a_row,
    assert_only_latest_questions_live,
    newest_by_chat,
)

TZ = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
#: Longest a single step (one action and everything it causes) may take.
STEP_LIMIT = 5.0
#: Longest a whole journey may take before it fails as a hang.
JOURNEY_LIMIT = 30.0

ANNA, BEA = "810000000000000001", "810000000000000002"
GRETA, HANNA, INES, JO = (
    "820000000000000001",
    "820000000000000002",
    "820000000000000003",
    "820000000000000004",
)
MALLORY = "820000000000000009"
CIRCLE = {"Greta": GRETA, "Hanna": HANNA, "Ines": INES, "Jo": JO}
#: Agreement items a circle answers together in its channel.
CONFIRM_ITEMS = {
    "goal",
    "roles",
    "format",
    "confidentiality",
    "contact",
    "feedback",
    "closing",
    "boundaries",
    "cancelling",
    "mentor_goals",
    "ending",
    "circle_privacy",
}
VIEW_CHANNEL = 1 << 10
SHOWN = {CALLBACK_MESSAGE, CALLBACK_UPDATE}


# --------------------------------------------------------------------------- helpers


@dataclass
class Step:
    """What the fake recorded during one step."""

    records: list[Recorded]
    interaction_id: str | None = None

    def shown(self, channel_id: str) -> list[Recorded]:
        """Messages and interaction answers shown in a channel, in order."""
        return [
            r
            for r in self.records
            if r.channel_id == channel_id
            and (r.kind in ("message", "followup", "edit_original") or r.type in SHOWN)
        ]

    def texts(self, channel_id: str) -> list[str]:
        """Everything shown in a channel during the step, in order."""
        return [r.content for r in self.shown(channel_id)]

    def text(self, channel_id: str) -> str:
        return "\n".join(self.texts(channel_id))

    def files(self, channel_id: str) -> dict[str, bytes]:
        return {name: data for r in self.shown(channel_id) for name, data in r.files}

    def answer(self) -> Recorded:
        """The interaction's own first answer (its callback)."""
        return next(
            r
            for r in self.records
            if r.kind == "callback" and r.interaction_id == self.interaction_id
        )

    def posted(self, channel_id: str) -> list[Recorded]:
        """Messages the bot posted on its own (transport, not an interaction)."""
        return [r for r in self.records if r.kind == "message" and r.channel_id == channel_id]


@dataclass
class Journey:
    """Drives people through the fake Discord and waits for each step."""

    core: Core
    fake: FakeDiscord
    finished: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def __post_init__(self) -> None:
        self.watch(self.core)

    def watch(self, core: Core) -> None:
        """Count the adapter's calls of ``deliver_processed``: the last thing
        it does for every event, so a finished call marks a finished step."""
        self.core = core
        original = core.deliver_processed

        async def counted(processed: Any, **kw: Any) -> None:
            try:
                await original(processed, **kw)
            finally:
                async with self.changed:
                    self.finished += 1
                    self.changed.notify_all()

        core.deliver_processed = counted  # type: ignore[method-assign]

    async def _step(self, action: Callable[[], Awaitable[str]]) -> Step:
        mark, before = len(self.fake.recorded), self.finished
        ident = await action()
        async with asyncio.timeout(STEP_LIMIT), self.changed:
            await self.changed.wait_for(lambda: self.finished > before)
        return Step(self.fake.recorded[mark:], ident)

    def dm(self, user_id: str) -> str:
        return self.fake.dm_channel_of(user_id)

    async def slash(
        self,
        user_id: str,
        name: str,
        text: str | None = None,
        *,
        channel: str | None = None,
        undeclared_option: str | None = None,
    ) -> Step:
        step = await self._step(
            lambda: self.fake.slash(
                user_id,
                name,
                text,
                in_guild=channel is not None,
                channel_id=channel,
                undeclared_option=undeclared_option,
            )
        )
        kind = step.answer().type
        assert kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE), f"/{name}: {kind}"
        return step

    async def press(self, user_id: str, label: str, *, channel: str | None = None) -> Step:
        where = channel or self.dm(user_id)
        found = self.fake.find_button(user_id, where, label)
        assert found is not None, f"no button {label!r} for {user_id} in {where}"
        message, custom_id = found
        step = await self._step(lambda: self.fake.press(user_id, message, custom_id))
        step.answer()  # every press is acknowledged
        return step

    async def say(self, user_id: str, text: str) -> Step:
        return await self._step(lambda: self.fake.send_dm(user_id, text))

    async def wait_until(self, when: datetime) -> Step:
        """Move the fake clock and run the jobs due until then (they send
        through the adapter's transport)."""
        mark = len(self.fake.recorded)
        async with asyncio.timeout(STEP_LIMIT):
            await self.core.scheduler.run_until(when)
        return Step(self.fake.recorded[mark:])

    async def onboard(self, user_id: str, code: str) -> Step:
        """``/join <code>`` in a DM, then the onboarding buttons in Swedish;
        returns the last step."""
        joined = await self.slash(user_id, "join", code)
        welcome = joined.answer()
        assert welcome.type == CALLBACK_MESSAGE and not welcome.ephemeral
        assert [b["label"] for b in welcome.buttons] == ["Svenska", "English"]
        language = await self.press(user_id, "Svenska")
        assert language.answer().type == CALLBACK_UPDATE  # the onboarding edits in place
        await self.press(user_id, "Ja")  # the time zone is right
        await self.press(user_id, "Förstått")  # the role
        return await self.press(user_id, "Ja")  # the privacy notice


def settings_for(tmp_path: Path, fake: FakeDiscord) -> Settings:
    return load_settings(
        database_url=db_path(tmp_path),
        discord_token="x",
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    for user_id, name in [
        (ANNA, "anna"),
        (BEA, "bea"),
        (GRETA, "greta"),
        (HANNA, "hanna"),
        (INES, "ines"),
        (JO, "jo"),
        (MALLORY, "mallory"),
    ]:
        server.add_user(user_id, name, name.capitalize())
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def core(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[Core]:
    opened = await Core.open(settings_for(tmp_path, fake), clock=FakeClock(START))
    yield opened
    await opened.close()


async def make_pair(core: Core) -> dict[str, str]:
    async with core.db.transaction() as session:
        now = core.clock.now()
        programme = await create_programme(
            session,
            now,
            name="STEM Up",
            slug="stemup",
            goal="Stötta kvinnor som doktorerar i STEM",
            start=date(2026, 12, 1),
            end=date(2027, 6, 1),
        )
        _, invites = await create_group(
            session, programme, "pair", "Anna", ["Bea"], now, core.settings.invite_days
        )
    return {i.name: i.code for i in invites}


async def make_circle(core: Core) -> dict[str, str]:
    async with core.db.transaction() as session:
        now = core.clock.now()
        programme = await create_programme(
            session,
            now,
            name="Cirklar",
            slug="c",
            start=date(2026, 12, 1),
            end=date(2027, 6, 1),
            format="group",
        )
        _, invites = await create_group(
            session,
            programme,
            "circle",
            "Greta",
            ["Hanna", "Ines", "Jo"],
            now,
            core.settings.invite_days,
        )
    return {i.name: i.code for i in invites}


async def onboard_circle(journey: Journey) -> None:
    codes = await make_circle(journey.core)
    for name, user_id in CIRCLE.items():
        last = await journey.onboard(user_id, codes[name])
    # the last to join completes the circle: everyone hears it in their DM,
    # with the names of the others
    for name, user_id in CIRCLE.items():
        told = last.text(journey.dm(user_id))
        assert all(other in told for other in CIRCLE if other != name), (name, told)


async def agreement_answers(core: Core) -> list[AgreementAnswer]:
    async with core.db.sessions() as session:
        return list((await session.scalars(select(AgreementAnswer))).all())


async def circle_group(core: Core) -> Group:
    async with core.db.sessions() as session:
        group = await session.scalar(select(Group).where(Group.kind == "circle"))
        assert group is not None
        return group


async def votes(core: Core) -> list[list[int]]:
    async with core.db.sessions() as session:
        options = (await session.scalars(select(Meeting).order_by(Meeting.id))).all()
        return [list(o.data.get("votes") or []) for o in options if "poll" in (o.data or {})]


async def agree_in_channel(journey: Journey, channel: str) -> Step:
    """Every member presses "Vi är överens" on the item shown in the channel;
    returns the step of the last press."""
    step = None
    for user_id in CIRCLE.values():
        step = await journey.press(user_id, "Vi är överens", channel=channel)
        answer = step.answer()
        assert answer.type == CALLBACK_UPDATE and not answer.ephemeral
    assert step is not None
    return step


# --------------------------------------------------------------------------- 1. a pair


async def test_a_pair_onboards_and_makes_its_agreement_in_dms(
    core: Core, fake: FakeDiscord
) -> None:
    codes = await make_pair(core)
    async with running_bot(core, fake, core.settings), asyncio.timeout(JOURNEY_LIMIT):
        j = Journey(core, fake)
        anna_dm, bea_dm = j.dm(ANNA), j.dm(BEA)
        await j.onboard(ANNA, codes["Anna"])
        complete = await j.onboard(BEA, codes["Bea"])
        # Bea completes the pair: both get the agreement's first item with buttons
        for user_id, dm in ((ANNA, anna_dm), (BEA, bea_dm)):
            assert "1/14" in complete.text(dm)
            assert fake.find_button(user_id, dm, "Vi är överens")
        assert complete.posted(anna_dm), "Anna's news goes through the transport"

        await j.press(ANNA, "Vi är överens")
        step = await j.press(BEA, "Vi är överens")
        assert step.answer().type == CALLBACK_UPDATE  # the item shows her answer
        assert "2/14" in step.text(bea_dm)

        # the mentee's support areas: a toggle, then "Klar"
        toggled = await j.press(BEA, "Karriär")
        assert toggled.answer().type == CALLBACK_UPDATE
        labels = [b["label"] for b in toggled.answer().buttons]
        assert any(label.startswith("✓ Karriär") for label in labels), labels
        done = await j.press(BEA, "Klar")
        assert "3/14" in done.text(bea_dm)
        assert "Karriär" in done.text(anna_dm)  # Anna is asked to look at the choice

        # her goals: one typed as a plain DM, one through the "Skriv ett mål" form
        typed = await j.say(BEA, "Disputera inom två år")
        assert typed.posted(bea_dm) and fake.find_button(BEA, bea_dm, "Klar")
        found = fake.find_button(BEA, bea_dm, "Skriv ett mål")
        assert found is not None
        # an ask: button opens a form at once; the press itself never reaches the core
        opened = await fake.response_to(await fake.press(BEA, *found))
        assert opened.type == CALLBACK_MODAL
        modal = opened.data
        (field,) = [c["custom_id"] for row in modal["components"] for c in row["components"]]
        submitted = await j._step(
            lambda: fake.submit_modal(BEA, modal, {field: "Bygga ett nätverk i industrin"})
        )
        assert "2 av 3" in submitted.text(bea_dm)
        goals = await j.press(BEA, "Klar")
        assert "Disputera inom två år" in goals.text(anna_dm)
        assert "Bygga ett nätverk i industrin" in goals.text(anna_dm)
        assert "4/14" in goals.text(bea_dm)

        # roles, then the rhythm questions
        await j.press(BEA, "Vi är överens")
        for label in ("Varannan", "45 min", "Online"):
            assert (await j.press(BEA, label)).answer().type == CALLBACK_UPDATE
        await j.say(BEA, "tisdagar efter 15")
        for _ in range(3):  # goals, support areas, roles
            await j.press(ANNA, "Vi är överens")
        for label in ("En gång", "60 min", "Online"):
            await j.press(ANNA, label)
        proposals = await j.press(ANNA, "Spelar ingen roll")
        # both see the proposals side by side and a compromise
        for dm in (anna_dm, bea_dm):
            assert "tisdagar efter 15" in proposals.text(dm)
        assert fake.find_button(BEA, bea_dm, "Det funkar")
        await j.press(ANNA, "Det funkar")
        accepted = await j.press(BEA, "Det funkar")
        assert "6/14" in accepted.text(bea_dm) and "6/14" in accepted.text(anna_dm)

        # items 6–14, each answered by both
        for _ in range(9):
            await j.press(ANNA, "Vi är överens")
            last = await j.press(BEA, "Vi är överens")

        # Issue 20: the agreement complete, Bea books a weekly series starting
        # in six days; no "Inför mötet" (her preparation, planned for 48 hours
        # before the meeting) arrives with the scheduler's next ticks.
        await j.slash(BEA, "reschedule")
        proposed = await j.say(BEA, "varje tisdag kl 15")
        assert "tisdag" in proposed.text(anna_dm), proposed.text(bea_dm)
        booked = await j.press(ANNA, "Det passar")
        assert "Bokat!" in booked.text(bea_dm)
        ticks = [await j.wait_until(core.clock.now() + timedelta(minutes=m)) for m in (1, 10, 60)]
        assert not any("Inför mötet" in tick.text(bea_dm) for tick in ticks)

    # the agreement arrives in both DMs with the file attached
    for dm in (anna_dm, bea_dm):
        files = last.files(dm)
        assert list(files) == ["overenskommelse-v1.txt"], files
        document = files["overenskommelse-v1.txt"].decode()
        assert "Anna" in document and "Bea" in document
        assert "Disputera inom två år" in document
    assert last.posted(anna_dm) and not last.posted(bea_dm)  # Bea's is her press's answer
    async with core.db.sessions() as session:
        agreement = await session.scalar(select(Agreement))
        assert agreement is not None
        assert (agreement.version, agreement.status) == (1, "complete")
    # Issue 20: answered and superseded questions lost their buttons on the way.
    assert_only_latest_questions_live(
        {
            dm: [m["content"] for m in fake.bot_messages(dm) if _has_buttons(m)]
            for dm in (anna_dm, bea_dm)
        },
        newest_by_chat(
            (str(r.message["channel_id"]), r.content)
            for r in fake.recorded
            if r.kind != "edit_message" and r.buttons and r.message is not None
        ),
    )
    assert_no_question_twice_in_a_row(_questions_sent(fake))


def _has_buttons(message: Mapping[str, Any]) -> bool:
    return any(
        item.get("type") == 2
        for row in message.get("components") or []
        for item in row.get("components") or []
    )


def _questions_sent(fake: FakeDiscord) -> list[tuple[str, str]]:
    """``(channel, content and button labels)`` of every message the bot
    created or replaced with buttons, in order."""
    out = []
    for r in fake.recorded:
        if r.kind == "edit_message" or not r.buttons or r.message is None:
            continue
        labels = [b.get("label") for b in r.buttons]
        out.append((str(r.message["channel_id"]), f"{r.content} {labels}"))
    return out


# --------------------------------------------------------------------------- 2. a circle


async def test_a_circle_makes_its_agreement_and_runs_a_session_cycle_in_a_channel(
    core: Core, fake: FakeDiscord
) -> None:
    channel = fake.channel_id
    async with running_bot(core, fake, core.settings), asyncio.timeout(JOURNEY_LIMIT):
        j = Journey(core, fake)
        await onboard_circle(j)

        bound = await j.slash(GRETA, "bind", channel=channel)
        answer = bound.answer()
        assert answer.type == CALLBACK_MESSAGE and not answer.ephemeral
        assert all(name in answer.content for name in CIRCLE)
        group = await circle_group(core)
        assert (group.chat_platform, group.chat_id) == ("discord", channel)

        shown = await j.slash(GRETA, "agreement", channel=channel)
        assert shown.answer().content.startswith("1/15")
        assert not shown.answer().ephemeral

        # items 1, 4, 6–11 together in the channel; 2, 3 and 5 are private
        numbers = []
        for _ in range(len(CONFIRM_ITEMS)):
            step = await agree_in_channel(j, channel)
            texts = step.texts(channel)
            numbers.append(texts[-1].split(" ", 1)[0] if texts else "")
        assert numbers[:-1] == [
            "4/15",
            "6/15",
            "7/15",
            "8/15",
            "9/15",
            "10/15",
            "11/15",
            "12/15",
            "13/15",
            "14/15",
            "15/15",
        ]
        assert "Mötesrytm" in step.text(channel)  # the private items are named
        answers = await agreement_answers(core)
        assert {a.item_id for a in answers} == CONFIRM_ITEMS
        assert len(answers) == len(CIRCLE) * len(CONFIRM_ITEMS)

        # the poll: everyone votes with the channel's buttons
        polled = await j.slash(
            GRETA, "poll", "nästa tisdag kl 16; varannan torsdag kl 17", channel=channel
        )
        poll = polled.answer()
        assert [b["label"] for b in poll.buttons] == ["Passar: 1", "Passar: 2"]
        assert "1 december" in poll.content
        for user_id in CIRCLE.values():
            voted = await j.press(user_id, "Passar: 1", channel=channel)
            assert voted.answer().type == CALLBACK_UPDATE
        assert "Alla har röstat" in voted.answer().content
        for user_id in CIRCLE.values():
            dm = j.dm(user_id)
            assert voted.text(dm).startswith("Bokat!")
            ics = voted.files(dm)
            assert list(ics) == ["mentorsmote.ics"]
            assert b"BEGIN:VCALENDAR" in ics["mentorsmote.ics"]
            assert b"DTSTART" in ics["mentorsmote.ics"]
        session_at = datetime(2026, 12, 1, 16, 0, tzinfo=TZ)

        # before the session: the activity in the channel, reminders in DMs
        before = await j.wait_until(session_at - timedelta(minutes=5))
        activity = before.posted(channel)
        assert len(activity) == 1 and not activity[0].buttons
        assert activity[0].content.startswith("Inför")
        for user_id in CIRCLE.values():
            reminders = [r for r in before.posted(j.dm(user_id)) if "1 december" in r.content]
            assert reminders, f"no reminder for {user_id}"
        assert all(r.channel_id != channel or r in activity for r in before.records)

        # after the session: each member is asked privately whether they met
        after = await j.wait_until(session_at + timedelta(hours=20))
        assert not after.posted(channel)
        for user_id in CIRCLE.values():
            assert fake.find_button(user_id, j.dm(user_id), "Ja, vi sågs"), user_id
        pulses: dict[str, Step] = {}
        for user_id in CIRCLE.values():
            met = await j.press(user_id, "Ja, vi sågs")
            assert not met.texts(channel), "the answer stays private"
            pulses[user_id] = met
        async with core.db.sessions() as session:
            checks = (await session.scalars(select(MeetingCheck))).all()
            assert sorted(c.answer for c in checks) == ["yes"] * len(CIRCLE)

        # the first "yes" marks the session held: the private feedback pulse
        # (a 1–5 rating) goes to every member's DM, never to the channel
        first = pulses[GRETA]
        assert not first.posted(channel)
        for user_id in CIRCLE.values():
            rating = [
                r
                for r in first.shown(j.dm(user_id))
                if [b["label"] for b in r.buttons][:5] == ["1", "2", "3", "4", "5"]
            ]
            assert len(rating) == 1, f"no single pulse for {user_id}"
        rated = await j.press(HANNA, "4")
        assert not rated.texts(channel) and rated.texts(j.dm(HANNA))  # the next question
        async with core.db.sessions() as session:
            (feedback,) = (await session.scalars(select(FeedbackAnswer))).all()
            assert feedback.kind == "pulse"


# --------------------------------------------------------------------------- /bind private


async def test_bind_private_creates_a_members_only_channel(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings), asyncio.timeout(JOURNEY_LIMIT):
        j = Journey(core, fake)
        await onboard_circle(j)
        step = await j.slash(GRETA, "bind", "private", channel=fake.channel_id)
        assert "kanal" in step.answer().content
        (created,) = fake.created_channels
        new_channel = created["id"]
        welcome = step.posted(new_channel)
        assert len(welcome) == 1 and all(name in welcome[0].content for name in CIRCLE)
        # and the circle's channel works: /agreement there shows the first item
        shown = await j.slash(HANNA, "agreement", channel=new_channel)
        assert shown.answer().content.startswith("1/15")

    overwrites = {o["id"]: o for o in created["permission_overwrites"]}
    everyone = overwrites.pop(fake.guild_id)
    assert everyone["type"] == 0 and int(everyone["deny"]) & VIEW_CHANNEL
    assert set(overwrites) == {*CIRCLE.values(), fake.bot.id}
    for overwrite in overwrites.values():
        assert overwrite["type"] == 1
        assert int(overwrite["allow"]) & VIEW_CHANNEL and not int(overwrite["deny"]) & VIEW_CHANNEL
    assert created["type"] == 0 and created["name"]
    group = await circle_group(core)
    assert (group.chat_platform, group.chat_id) == ("discord", new_channel)


async def test_bind_is_synced_with_an_option_for_private(core: Core, fake: FakeDiscord) -> None:
    async with running_bot(core, fake, core.settings):
        pass
    (bind,) = [c for c in fake.commands if c["name"] == "bind"]
    assert bind["options"], "/bind has no option, so '/bind private' is impossible"


# --------------------------------------------------------------------------- 3. a stranger


async def test_a_non_members_press_in_the_circle_channel_is_refused(
    core: Core, fake: FakeDiscord
) -> None:
    channel = fake.channel_id
    async with running_bot(core, fake, core.settings), asyncio.timeout(JOURNEY_LIMIT):
        j = Journey(core, fake)
        await onboard_circle(j)
        await j.slash(GRETA, "bind", channel=channel)
        await j.slash(GRETA, "agreement", channel=channel)
        await j.press(GRETA, "Vi är överens", channel=channel)
        before = await agreement_answers(core)
        item = fake.find_button(MALLORY, channel, "Vi är överens")
        assert item is not None
        refused = await j.press(MALLORY, "Vi är överens", channel=channel)
        await j.slash(GRETA, "poll", "nästa tisdag kl 16; torsdag kl 17", channel=channel)
        vote = await j.press(MALLORY, "Passar: 1", channel=channel)

    for step in (refused, vote):
        answer = step.answer()
        assert answer.type == CALLBACK_MESSAGE
        assert answer.ephemeral and int(answer.data["flags"]) & EPHEMERAL
        assert "hör till någon annan" in answer.content
        assert not [r for r in step.records if r.kind in ("message", "edit_message")]
    after = await agreement_answers(core)
    assert [(a.item_id, a.member_id, a.answer) for a in after] == [
        (a.item_id, a.member_id, a.answer) for a in before
    ]
    assert fake.message(item[0]["id"])["content"] == item[0]["content"]  # not edited
    assert await votes(core) == [[], []]


# --------------------------------------------------------------------------- 4. a restart


async def test_a_channel_button_works_after_a_restart_with_a_new_core(
    core: Core, fake: FakeDiscord, tmp_path: Path
) -> None:
    channel = fake.channel_id
    async with running_bot(core, fake, core.settings) as first, asyncio.timeout(JOURNEY_LIMIT):
        j = Journey(core, fake)
        await onboard_circle(j)
        await j.slash(GRETA, "bind", channel=channel)
        polled = await j.slash(GRETA, "poll", "nästa tisdag kl 16; torsdag kl 17", channel=channel)
        await j.press(GRETA, "Passar: 2", channel=channel)
    assert first.is_closed()
    poll_message = polled.answer().message
    assert poll_message is not None

    restarted = await Core.open(settings_for(tmp_path, fake), clock=FakeClock(core.clock.now()))
    try:
        async with running_bot(restarted, fake, restarted.settings) as second:
            assert second is not first
            j.watch(restarted)
            async with asyncio.timeout(JOURNEY_LIMIT):
                # the message the first client sent, as it stands now
                found = fake.find_button(HANNA, channel, "Passar: 2")
                assert found is not None and found[0]["id"] == poll_message["id"]
                step = await j.press(HANNA, "Passar: 2", channel=channel)
        answer = step.answer()
        assert answer.type == CALLBACK_UPDATE and not answer.ephemeral
        assert "Greta, Hanna" in answer.content
        assert fake.identifies == 2
        greta_seat, hanna_seat = await seats(restarted, "Greta", "Hanna")
        assert await votes(restarted) == [[], [greta_seat, hanna_seat]]
    finally:
        await restarted.close()


async def seats(core: Core, *names: str) -> list[int]:
    from bot.store.models import Member

    async with core.db.sessions() as session:
        rows = {m.name: m.id for m in (await session.scalars(select(Member))).all()}
    return [rows[n] for n in names]


# --------------------------------------------------------------------------- 5. issue 20


async def test_a_press_on_a_button_the_bot_does_not_know_gets_a_clear_answer(
    core: Core, fake: FakeDiscord
) -> None:
    """A custom_id from another bot version (or none of ours) was never
    acknowledged, so Discord said "This interaction failed"."""
    channel = fake.channel_id
    async with running_bot(core, fake, core.settings), asyncio.timeout(JOURNEY_LIMIT):
        old = fake.bot_message(
            channel,
            {
                "content": "En gammal fråga",
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 2, "label": "Ja", "custom_id": "legacy:7:yes"}
                        ],
                    }
                ],
            },
        )
        answer = await fake.response_to(await fake.press(GRETA, old, "legacy:7:yes"))
    assert answer.type == CALLBACK_MESSAGE
    assert answer.ephemeral
    assert "gäller inte längre" in answer.content
