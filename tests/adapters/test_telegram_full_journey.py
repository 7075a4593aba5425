"""Issue 8's end-to-end proof on Telegram: a whole pair, from deep link to .ics.

The real python-telegram-bot ``Application`` (long polling) talks to the fake
Bot API; the real core runs on a temporary SQLite file with a fake clock
(Wednesday 25 November 2026, 10:00 in Stockholm).  A mentor and a mentee join
by deep link, press through onboarding, agree all ten agreement items with
buttons (the mentee picks support areas and types her goals), answer the
rhythm questions, accept the compromise, book "nästa tisdag kl 15" in free
text, and both receive the meeting as an .ics file and, once every item is
agreed, the agreement as a text file.

Buttons are found by their label in the keyboards the fake received, never
by choice id.  Each step waits until the adapter has finished the update
(the core's ``deliver_processed`` runs last in the handler), so the messages a
step produced are exactly those recorded since it began, and every step
states which chats may receive something.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import icalendar

from bot.config import Settings
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.live_buttons import (
    assert_no_question_twice_in_a_row,
    assert_only_latest_questions_live,
    newest_by_chat,
)

if TYPE_CHECKING:
    from tests.adapters.conftest import TgRunning

Run = Callable[[object, Settings], Awaitable["TgRunning"]]

ANNA, BEA = 701, 702  # mentor, mentee (private chat id == user id)
NAMES = {ANNA: "Anna", BEA: "Bea"}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
STEP_WITHIN = 5.0  # one update, handled and delivered
JOURNEY_WITHIN = 45.0  # the whole test; it normally takes a few seconds
AGREE = "Vi är överens"


async def make_pair(core: Any) -> tuple[str, str]:
    """Programme and pair as ``program create`` / ``pair create`` make them."""
    from bot.organiser.programmes import create_group, create_programme

    now = core.clock.now()
    async with core.db.transaction() as session:
        programme = await create_programme(
            session,
            now,
            name="STEM Up",
            slug="stemup",
            goal="Stötta kvinnor som doktorerar i STEM",
            start=date(2026, 12, 1),
            end=date(2027, 6, 1),
        )
        _, invites = await create_group(session, programme, "pair", "Anna", ["Bea"], now, 30)
    codes = {invite.role: invite.code for invite in invites}
    return codes["mentor"], codes["mentee"]


async def prep_due(core: Any) -> list[datetime]:
    """When the mentee's preparation jobs that have not run yet fall due."""
    from sqlalchemy import select

    from bot.store.db import from_db
    from bot.store.models import Job

    async with core.db.sessions() as session:
        rows = await session.scalars(
            select(Job.due_at).where(Job.kind == "coach_prep", Job.done_at.is_(None))
        )
        return [from_db(due) for due in rows.all()]


@dataclass
class Step:
    """What one update made the bot send, in order."""

    sent: list[Sent]
    pressed: int | None = None  # message id of the pressed button, if any

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def texts(self, chat_id: int) -> str:
        return "\n".join(s.text or "" for s in self.to(chat_id))

    def documents(self, chat_id: int) -> list[tuple[str, bytes]]:
        return [s.document for s in self.to(chat_id) if s.document is not None]

    def assert_edits_pressed(self, chat_id: int) -> Sent:
        """A replace reply: the first answer edits the message whose button was pressed."""
        first = self.to(chat_id)[0]
        assert first.method == "editmessagetext", f"expected an edit, got {first}"
        assert first.message_id == self.pressed
        return first


class Journey:
    """Drives the fake from the users' side, one fully handled update at a time."""

    def __init__(self, fake: FakeTelegram, core: Any) -> None:
        self.fake = fake
        self.handled = 0
        self.errors: list[BaseException] = []
        self.query_ids: list[str] = []
        self._injected = 0
        self._done = asyncio.Event()
        process, deliver = core.process, core.deliver_processed

        async def spy_process(inbox_id: int, stored: Any = None) -> Any:
            try:
                return await process(inbox_id, stored)
            except BaseException as exc:  # recorded, and the step ends at once
                self.errors.append(exc)
                self._finished()
                raise

        async def spy_deliver(processed: Any, **kw: Any) -> None:
            try:
                await deliver(processed, **kw)
            except BaseException as exc:
                self.errors.append(exc)
                raise
            finally:
                self._finished()

        core.process, core.deliver_processed = spy_process, spy_deliver

    def _finished(self) -> None:
        self.handled += 1
        self._done.set()

    async def _step(self, inject: Callable[[], Any], to: Iterable[int]) -> Step:
        before, calls_before = len(self.fake.sent), len(self.fake.calls)
        update = inject()
        self._injected += 1
        async with asyncio.timeout(STEP_WITHIN):
            while self.handled < self._injected:
                self._done.clear()
                await self._done.wait()
        assert not self.errors, f"the core failed on {update}: {self.errors!r}"
        pressed = None
        if "callback_query" in update:
            query_id = update["callback_query"]["id"]
            self.query_ids.append(query_id)
            pressed = update["callback_query"]["message"]["message_id"]
            # Answered at once: before anything else the step asked of the API.
            first = next(c for c in self.fake.calls[calls_before:] if c.method != "getupdates")
            assert first.method == "answercallbackquery"
            assert first.params["callback_query_id"] == query_id
        step = Step(self.fake.sent[before:], pressed)
        recipients = {s.chat_id for s in step.sent}
        assert recipients == set(to), (
            f"{update}: expected messages to {sorted(to)}, got {sorted(recipients)}:\n"
            + "\n".join(f"  {s.chat_id} {s.method}: {s.text}" for s in step.sent)
        )
        return step

    async def press(self, user: int, label: str, *, to: Iterable[int] | None = None) -> Step:
        # KeyError at once if no keyboard in the chat shows the label.
        return await self._step(
            lambda: self.fake.press(user, label, first_name=NAMES[user], language_code=None),
            {user} if to is None else to,
        )

    async def write(self, user: int, text: str, *, to: Iterable[int] | None = None) -> Step:
        return await self._step(
            lambda: self.fake.inject_message(
                user, text, first_name=NAMES[user], language_code=None
            ),
            {user} if to is None else to,
        )

    async def command(
        self, user: int, name: str, args: str = "", *, to: Iterable[int] | None = None
    ) -> Step:
        return await self._step(
            lambda: self.fake.inject_command(
                user, name, args, first_name=NAMES[user], language_code=None
            ),
            {user} if to is None else to,
        )

    async def onboard(self, user: int, code: str, role: str, *, last_to: set[int]) -> Step:
        welcome = await self.command(user, "start", code)
        text = welcome.texts(user)
        assert f"Hej {NAMES[user]}" in text and f"som {role}" in text
        tz = (await self.press(user, "Svenska")).assert_edits_pressed(user)
        assert "Europe/Stockholm" in (tz.text or "")  # the next question, in Swedish
        role_text = (await self.press(user, "Ja")).assert_edits_pressed(user)
        assert f"din roll som {role}" in (role_text.text or "")
        (await self.press(user, "Förstått")).assert_edits_pressed(user)
        return await self.press(user, "Ja", to=last_to)  # consent: a new message


def only_event(data: bytes) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


async def test_a_pair_joins_agrees_and_books_a_meeting_with_buttons_and_free_text(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    async with asyncio.timeout(JOURNEY_WITHIN):
        assert tg_core.clock.now().astimezone(STOCKHOLM) == datetime(
            2026, 11, 25, 10, 0, tzinfo=STOCKHOLM
        )  # a Wednesday: "nästa tisdag" is 1 December
        mentor_code, mentee_code = await make_pair(tg_core)
        j = Journey(tg_fake, tg_core)
        await tg_run(tg_core, tg_settings())

        # --- joining by deep link, onboarding with buttons ----------------
        waiting = await j.onboard(ANNA, mentor_code, "mentor", last_to={ANNA})
        assert "Bea har inte anslutit" in waiting.texts(ANNA)
        complete = await j.onboard(BEA, mentee_code, "adept", last_to={ANNA, BEA})
        assert "du och Anna är ett par" in complete.texts(BEA)
        assert "du och Bea är ett par" in complete.texts(ANNA)
        for user in (ANNA, BEA):
            assert "1/14" in complete.texts(user)

        # --- the agreement: item 1, then the mentee's own items -----------
        (await j.press(ANNA, AGREE)).assert_edits_pressed(ANNA)
        step = await j.press(BEA, AGREE)
        step.assert_edits_pressed(BEA)
        assert "2/14" in step.texts(BEA)
        toggled = (await j.press(BEA, "Karriär")).assert_edits_pressed(BEA)
        assert "✓ Karriär" in str(toggled.buttons)
        toggled = (await j.press(BEA, "Känslo")).assert_edits_pressed(BEA)
        assert "✓ Känslomässigt" in str(toggled.buttons)
        step = await j.press(BEA, "Klar", to={ANNA, BEA})
        step.assert_edits_pressed(BEA)
        assert "Karriär och professionella råd, Känslomässigt stöd" in step.texts(ANNA)

        step = await j.write(BEA, "Disputera inom två år")
        assert "1 av 3" in step.texts(BEA)
        step = await j.write(BEA, "Bygga ett nätverk i industrin")
        assert "2 av 3" in step.texts(BEA)
        step = await j.press(BEA, "Klar", to={ANNA, BEA})
        for goal in ("Disputera inom två år", "Bygga ett nätverk i industrin"):
            assert goal in step.texts(ANNA)
        step = await j.press(BEA, AGREE)  # item 4, roles; then the rhythm
        step.assert_edits_pressed(BEA)
        assert "Hur ofta vill du ses?" in step.texts(BEA)

        # --- the mentee's rhythm answers ----------------------------------
        for label in ("Varannan", "45 min", "Online"):
            (await j.press(BEA, label)).assert_edits_pressed(BEA)
        await j.write(BEA, "tisdagar efter 15")

        # --- the mentor agrees items 3, 2, 4, then answers the rhythm -----
        for _ in range(3):
            (await j.press(ANNA, AGREE)).assert_edits_pressed(ANNA)
        for label in ("En gång", "60 min", "Online"):
            (await j.press(ANNA, label)).assert_edits_pressed(ANNA)
        step = await j.press(ANNA, "Spelar", to={ANNA, BEA})
        compromise = "var tredje vecka · 60 min · online · tisdagar efter 15"
        for user in (ANNA, BEA):
            assert compromise in step.texts(user)

        # --- both accept the compromise; both are asked to book -----------
        (await j.press(ANNA, "Det funkar")).assert_edits_pressed(ANNA)
        step = await j.press(BEA, "Det funkar", to={ANNA, BEA})
        step.assert_edits_pressed(BEA)
        for user in (ANNA, BEA):
            assert "nästa tisdag kl 15" in step.texts(user)  # the booking examples

        # --- free text, the partner confirms, both get the .ics -----------
        step = await j.write(BEA, "nästa tisdag kl 15", to={ANNA, BEA})
        assert "tisdag 1 december kl. 15:00" in step.texts(BEA)
        assert "Bea föreslår" in step.texts(ANNA)
        step = await j.press(ANNA, "Det passar", to={ANNA, BEA})
        expected_start = datetime(2026, 12, 1, 15, 0, tzinfo=STOCKHOLM)
        for user in (ANNA, BEA):
            assert "Bokat!" in step.texts(user)
            [(filename, data)] = step.documents(user)
            assert filename.endswith(".ics")
            event = only_event(data)
            start = event.decoded("dtstart")
            assert start == expected_start
            assert start.replace(tzinfo=None) == datetime(2026, 12, 1, 15, 0)
            assert str(start.tzinfo) == "Europe/Stockholm"
            assert start.weekday() == 1  # a Tuesday
            assert event.decoded("dtend") - start == timedelta(minutes=60)
            assert event.decoded("dtstamp") == tg_core.clock.now()  # the fake clock
        uids = {
            str(only_event(data)["uid"]) for user in (ANNA, BEA) for _, data in step.documents(user)
        }
        assert len(uids) == 1  # one meeting, in both calendars

        # --- items 6 to 14: the mentor first, the mentee completes each ---
        agreement_docs: dict[int, list[tuple[str, bytes]]] = {ANNA: [], BEA: []}
        for item in range(6, 15):
            last = item == 14
            step = await j.press(ANNA, AGREE)
            step.assert_edits_pressed(ANNA)
            step = await j.press(BEA, AGREE, to={ANNA, BEA} if last else {BEA})
            step.assert_edits_pressed(BEA)
            if not last:
                assert f"{item + 1}/14" in step.texts(BEA)
            for user in (ANNA, BEA):
                agreement_docs[user] += step.documents(user)
        for user in (ANNA, BEA):
            [(filename, data)] = agreement_docs[user]
            assert filename == "overenskommelse-v1.txt"
            text = data.decode("utf-8")
            assert "Anna" in text and "Bea" in text and "Disputera inom två år" in text
            assert compromise in text
            for item in range(1, 15):
                assert f"{item}. ✓" in text  # every item agreed

        # The answered proposal lost its keyboard; its old button, pressed
        # anyway (a client that missed the edit), cannot book the meeting twice.
        proposal = next(s for s in tg_fake.sent if "Bea föreslår" in (s.text or ""))
        assert not tg_fake._messages[(ANNA, proposal.message_id)].get("reply_markup")
        stale = await j._step(
            lambda: tg_fake.inject_callback(
                ANNA,
                proposal.button("Det passar"),
                message_id=proposal.message_id,
                first_name="Anna",
                language_code=None,
            ),
            {ANNA},
        )
        assert not stale.documents(ANNA)

        # Issue 20: the agreement complete and the meeting six days away, no
        # "Inför mötet" (the mentee's preparation, planned for 48 hours before
        # the meeting) arrives with the scheduler's next ticks.
        mark = len(tg_fake.sent)
        for minutes in (1, 10, 60):
            await tg_core.scheduler.run_until(tg_core.clock.now() + timedelta(minutes=minutes))
        assert not [s.text for s in tg_fake.sent[mark:] if "Inför mötet" in (s.text or "")]
        assert await prep_due(tg_core) == [expected_start - timedelta(hours=48)]

    # --- across the whole journey ------------------------------------------
    live: dict[str, list[str]] = {}
    for (chat, _), message in sorted(tg_fake._messages.items()):
        if (message.get("reply_markup") or {}).get("inline_keyboard"):
            live.setdefault(str(chat), []).append(message.get("text", ""))
    assert_only_latest_questions_live(
        live,
        newest_by_chat(
            (str(s.chat_id), s.text or "")
            for s in tg_fake.sent
            if s.method in ("sendmessage", "editmessagetext", "senddocument") and s.buttons
        ),
    )
    assert_no_question_twice_in_a_row(
        (str(s.chat_id), f"{s.text} {s.buttons}")
        for s in tg_fake.sent
        if s.method in ("sendmessage", "editmessagetext", "senddocument") and s.buttons
    )
    assert {s.chat_id for s in tg_fake.sent} == {ANNA, BEA}
    answered = [c.params["callback_query_id"] for c in tg_fake.calls_of("answerCallbackQuery")]
    assert sorted(answered) == sorted(j.query_ids) and len(set(answered)) == len(answered)
    # every button press of the script (47 since the agreement has 14 items, 4 more per person)
    assert len(j.query_ids) == 47
    # Replace replies edited the pressed message (33 were checked step by step),
    # and no edit failed and fell back to a new message.
    edit_calls = tg_fake.calls_of("editMessageText")
    edited = [s for s in tg_fake.sent if s.method == "editmessagetext"]
    assert len(edit_calls) == len(edited) >= 33
    # The .ics went once to each chat, the agreement once to each chat.
    documents = [(s.chat_id, s.document[0]) for s in tg_fake.sent if s.document]
    expected = [(u, f) for u in (ANNA, BEA) for f in ("mentorsmote.ics", "overenskommelse-v1.txt")]
    assert sorted(documents) == sorted(expected)
    # Each was greeted by her own name in her own chat, never by the partner's.
    for user, partner in ((ANNA, BEA), (BEA, ANNA)):
        greetings = [s.text or "" for s in tg_fake.messages_to(user) if "Hej " in (s.text or "")]
        assert greetings and all(f"Hej {NAMES[user]}" in g for g in greetings)
        assert not any(f"Hej {NAMES[partner]}" in g for g in greetings)
