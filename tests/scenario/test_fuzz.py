"""Hypothesis: arbitrary text and choice ids never crash the engine and always
get an answer in a private chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.types import Actor, Address, ChoiceIn, CommandIn, TextIn
from tests.conftest import START, database_url
from tests.harness import Harness

ANNA = Actor("test", "anna", "Anna")
DM = Address("test", "dm-anna")

choice_ids = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda a, b, c: f"{a}:{b}:{c}",
        st.sampled_from(
            ["lang", "menu", "agr", "onb", "rhy", "mtg", "fb", "coach", "itk", "mt", "x"]
        ),
        st.text(max_size=12),
        st.text(max_size=12),
    ),
)


def test_arbitrary_input_always_gets_a_reply(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness.open(tmp_path, START, db_url=database_url(tmp_path)))
    try:

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(
            kind=st.sampled_from(["text", "choice", "command"]),
            value=st.one_of(st.text(max_size=300), choice_ids),
        )
        def check(kind: str, value: str) -> None:
            if kind == "text":
                event = TextIn(ANNA, DM, value)
            elif kind == "choice":
                event = ChoiceIn(ANNA, DM, value)
            else:
                name, _, args = value.partition(" ")
                event = CommandIn(ANNA, DM, name, args)
            outs = loop.run_until_complete(h.core.handle(event))
            assert outs, f"no reply to {kind} {value!r}"
            assert all(o.reply.text.strip() for o in outs)
            assert "gick fel" not in outs[0].reply.text  # no handler crashed

        check()
    finally:
        loop.run_until_complete(h.close())
        loop.close()
