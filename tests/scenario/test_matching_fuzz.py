"""Hypothesis: arbitrary text and buttons at every step of the intake never crash,
always get an answer, and never leave the intake in a state it cannot continue from."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.types import Actor, Address, ChoiceIn, CommandIn, TextIn
from bot.matching.models import Intake
from bot.matching.signup import open_signup
from bot.organiser.programmes import create_programme
from tests.conftest import START, database_url
from tests.harness import Harness

BEA = Actor("test", "bea", "Bea")
DM = Address("test", "dm-bea")
STEPS = ["languages", "mode", "city", "field", "stage", "support", "group", "hopes", "avoid"]


def test_arbitrary_input_during_the_intake(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness.open(tmp_path, START, db_url=database_url(tmp_path)))

    async def setup() -> str:
        async with h.core.db.transaction() as s:
            programme = await create_programme(
                s, START, name="Fuzz", start=date(2026, 12, 1), end=date(2027, 6, 1), format="mixed"
            )
            programme.settings = {"fields": ["Fysik", "Kemi"]}
            codes = await open_signup(s, programme, START)
        return next(c.code for c in codes if c.role == "mentee")

    code = loop.run_until_complete(setup())
    bea = h.person("bea")
    loop.run_until_complete(bea.says(f"/start {code}"))
    for label in ("Svenska", "Ja", "Förstått", "Ja"):
        loop.run_until_complete(bea.presses(label))
    assert "Vilka språk" in bea.last.text
    seat_id = loop.run_until_complete(_seat(h))
    try:

        @settings(
            max_examples=120,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(
            kind=st.sampled_from(["text", "choice", "edit", "profile"]),
            step=st.sampled_from(STEPS),
            value=st.text(max_size=1200),
        )
        def check(kind: str, step: str, value: str) -> None:
            if kind == "text":
                event: TextIn | ChoiceIn | CommandIn = TextIn(BEA, DM, value)
            elif kind == "choice":
                event = ChoiceIn(BEA, DM, f"itk:{seat_id}:{step}:{value[:20]}")
            elif kind == "edit":
                event = ChoiceIn(BEA, DM, f"itk:{seat_id}:edit:{step}")
            else:
                event = CommandIn(BEA, DM, "profile", "")
            outs = loop.run_until_complete(h.core.handle(event))
            assert outs, f"no reply to {kind} {value!r}"
            assert all(o.reply.text.strip() for o in outs)
            assert "gick fel" not in outs[0].reply.text  # no handler crashed
            intake = loop.run_until_complete(_intake(h))
            assert len(intake.answers.get("hopes") or "") <= 1000
            assert all(isinstance(x, str) for x in intake.answers.get("languages") or [])

        check()
    finally:
        loop.run_until_complete(h.close())
        loop.close()


async def _seat(h: Harness) -> int:
    async with h.core.db.sessions() as s:
        return int(await s.scalar(select(Intake.member_id)) or 0)


async def _intake(h: Harness) -> Intake:
    async with h.core.db.sessions() as s:
        intake = await s.scalar(select(Intake))
        assert intake is not None
        return intake
