"""Intake answers are the person's: in /mydata, erased by /forget, names too."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.matching.models import Intake
from tests.console_harness import Console
from tests.matching_steps import programme, run, signs_up
from tests.scenario.test_privacy import all_text


async def test_intake_is_exported_and_forgotten(console: Console) -> None:
    await run(
        console,
        programme("sv"),
        signs_up(
            "Bea",
            "mentee",
            "sv",
            languages=["Svenska"],
            stage="Doktorand",
            support=["Karriär"],
            hopes="Hemlig förhoppning om disputationen",
        ),
        signs_up(
            "Cleo",
            "mentee",
            "sv",
            languages=["Svenska"],
            stage="Student",
            support=["Karriär"],
            avoid="Bea; Dora",
        ),
    )
    await console.run("@bea /mydata")
    name, content = console.session.transport.files["bea"][-1]
    assert name == "mydata.json"
    data = json.loads(content)
    assert data["intake"][0]["answers"]["hopes"] == "Hemlig förhoppning om disputationen"
    assert data["intake"][0]["answers"]["support"] == ["career"]
    assert b"Dora" not in content  # Cleo's answers are not Bea's data

    assert "Hemlig förhoppning" in await all_text(console)
    await console.run("@bea /forget\n@bea [Ja, radera]")
    text = await all_text(console)
    assert "Hemlig förhoppning" not in text
    async with console.core.db.sessions() as s:
        intakes = list(await s.scalars(select(Intake)))
        assert len(intakes) == 1  # Cleo's
        assert intakes[0].answers["avoid"] == ["Dora"]
