"""Circles work in Telegram groups through the same core: a circle binds its
group, votes on a time with the group's buttons, and outsiders are refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.store.models import Group, Meeting
from tests.adapters import test_telegram_full_journey as journey
from tests.adapters.test_telegram_full_journey import Journey, Run
from tests.fakes.telegram_api import FakeTelegram

GRETA, HANNA, INES, MALLORY = 801, 802, 803, 899
GROUP = -100_777
journey.NAMES.update({GRETA: "Greta", HANNA: "Hanna", INES: "Ines", MALLORY: "Mallory"})


async def make_circle(core: Any) -> dict[str, str]:
    from bot.organiser.programmes import create_group, create_programme

    now = core.clock.now()
    async with core.db.transaction() as session:
        programme = await create_programme(
            session,
            now,
            name="Cirklar",
            slug="cirklar",
            start=date(2026, 12, 1),
            end=date(2027, 6, 1),
            format="group",
        )
        _, invites = await create_group(
            session, programme, "circle", "Greta", ["Hanna", "Ines"], now, 30
        )
    return {invite.name: invite.code for invite in invites}


async def test_a_circle_binds_its_telegram_group_and_votes_on_a_time(
    tg_fake: FakeTelegram, tg_core: Any, tg_settings: Callable[..., Settings], tg_run: Run
) -> None:
    async with asyncio.timeout(45):
        codes = await make_circle(tg_core)
        j = Journey(tg_fake, tg_core)
        await tg_run(tg_core, tg_settings())
        await j.onboard(GRETA, codes["Greta"], "mentor", last_to={GRETA})
        # Greta, already waiting, hears that Hanna has joined
        await j.onboard(HANNA, codes["Hanna"], "adept", last_to={GRETA, HANNA})
        await j.onboard(INES, codes["Ines"], "adept", last_to={GRETA, HANNA, INES})

        bound = await j._step(
            lambda: tg_fake.inject_command(GRETA, "bind", chat_id=GROUP, first_name="Greta"),
            {GROUP},
        )
        assert "mötesplatsen för Greta, Hanna & Ines" in bound.texts(GROUP)
        poll = await j._step(
            lambda: tg_fake.inject_command(
                GRETA,
                "poll",
                "nästa tisdag kl 16; varannan torsdag kl 17",
                chat_id=GROUP,
                first_name="Greta",
            ),
            {GROUP},
        )
        assert "Vilken tid passar er?" in poll.texts(GROUP)

        calls = len(tg_fake.calls)
        await j._step(
            lambda: tg_fake.press(MALLORY, "Passar: 1", chat_id=GROUP, first_name="Mallory"),
            set(),  # nothing posted: the refusal is an alert only Mallory sees
        )
        (answer,) = [c for c in tg_fake.calls[calls:] if c.method == "answercallbackquery"]
        assert "hör till någon annan" in answer.params["text"]
        assert answer.params["show_alert"] in (True, "true")

        for user in (GRETA, HANNA):
            step = await j._step(
                lambda user=user: tg_fake.press(
                    user, "Passar: 2", chat_id=GROUP, first_name=journey.NAMES[user]
                ),
                {GROUP},
            )
            assert step.to(GROUP)[0].method == "editmessagetext"
        decided = await j._step(
            lambda: tg_fake.press(INES, "Passar: 2", chat_id=GROUP, first_name="Ines"),
            {GROUP, GRETA, HANNA, INES},
        )
        assert "Alla har röstat – det blir varannan torsdag" in decided.texts(GROUP)
        for user in (GRETA, HANNA, INES):
            assert [name for name, _ in decided.documents(user)] == ["mentorsmote.ics"]

    async with tg_core.db.sessions() as s:
        group = await s.scalar(select(Group))
        assert group is not None and (group.chat_platform, group.chat_id) == (
            "telegram",
            str(GROUP),
        )
        planned = (await s.scalars(select(Meeting).where(Meeting.status == "planned"))).all()
        assert len(planned) == 1 and "INTERVAL=2" in (planned[0].rrule or "")
