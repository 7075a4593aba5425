"""Organiser reports (CLI and chat) and broadcasts: aggregates only (issue 6)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from pathlib import Path

from bot.organiser import report_cli
from tests.feedback_steps import (
    add_pair,
    at,
    book,
    meeting_cycle,
    met,
    programme,
    pulse,
    walk_agreement,
)
from tests.harness import Harness
from tests.scenario.test_health import local

SECRET = "PRIVAT-anteckning-4411"
SHARED = "DELAT-svar-5522"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mentorbot")
    report_cli.add_commands(p.add_subparsers(dest="command"))
    return p


async def cli(h: Harness, *argv: str) -> tuple[int, str]:
    """Run `mentorbot report ...` on the harness's database and simulated clock."""
    args = parser().parse_args(["report", *argv])
    lines: list[str] = []
    args.settings, args.clock, args.out = h.core.settings, h.clock, lines.append
    code = await asyncio.to_thread(args.handler, args)
    return code, "\n".join(lines)


async def history(h: Harness):  # type: ignore[no-untyped-def]
    """Two pairs: one met three times (one meeting missed), one never agreed."""
    world = await programme(h)
    a = await add_pair(world, "anna", "bea")
    b = await add_pair(world, "cecilia", "dana")
    await walk_agreement(a, frequency_days=21)
    await meeting_cycle(a, "2026-12-08 15:00", ratings=(5, 4))
    await meeting_cycle(a, "2026-12-29 15:00", ratings=(4, 4))
    missed = await book(a, "2027-01-19 15:00")
    await at(h, local("2027-01-19", 16).replace(minute=10))
    await met(a.mentee, missed, "no")
    await met(a.mentor, missed, "no")
    m = await book(a, "2027-01-26 15:00")
    await at(h, local("2027-01-26", 16).replace(minute=10))
    await met(a.mentee, m)
    await pulse(a.mentee, a, m, 3, SHARED, SECRET, share_keep=True)
    await pulse(a.mentor, a, m, 5)
    await book(a, "2027-02-16 15:00")  # still to come
    return world, a, b


async def test_report_matches_history_and_shows_no_answers(h: Harness, tmp_path: Path) -> None:
    world, a, _b = await history(h)
    code, raw = await cli(h, "--json", "--language", "en")
    assert code == 0, raw
    data = json.loads(raw)
    groups = {g["name"]: g for g in data["groups"]}
    anna = groups["Anna & Bea"]
    assert (anna["planned"], anna["held"], anna["upcoming"]) == (4, 3, 1)
    assert anna["rating"] == round((5 + 4 + 4 + 4 + 3 + 5) / 6, 2) and anna["ratings"] == 6
    assert anna["agreement"] == "complete" and anna["agreement_items"] == "10/10"
    assert anna["last_held"] == "2027-01-26" and anna["frequency_days"] == 21
    dana = groups["Cecilia & Dana"]
    assert (dana["planned"], dana["held"], dana["agreement"], dana["rating"]) == (
        0, 0, "open", None,
    )  # fmt: skip
    assert dana["at_risk"] == ["agreement"]  # not agreed 14 days after joining
    assert data["totals"] == {
        "groups": 2, "planned": 4, "held": 3, "agreements_complete": 1, "at_risk": 1,
        "not_joined": 0,
    }  # fmt: skip
    assert [(p["month"], p["average"], p["ratings"]) for p in data["trend"]] == [
        ("2026-12", 4.25, 4),  # January has only two ratings: too few to show
    ]

    code, table = await cli(h, "--language", "en")
    assert code == 0
    assert "Anna & Bea" in table and "done 25 November 2026" in table and "4.17" in table
    assert "Cecilia & Dana: agreement not done (since 9 December 2026)" in table
    code, text = await cli(h, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["group"], r["meetings_planned"], r["meetings_held"]) for r in rows] == [
        ("Anna & Bea", "4", "3"), ("Cecilia & Dana", "0", "0"),
    ]  # fmt: skip
    out = tmp_path / "report.html"
    code, said = await cli(h, "--format", "html", "--output", str(out))
    assert code == 0 and said == f"report written to {out}"
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and 'data-chart="meetings"' in html

    # the report in chat: organisers only, with the HTML and CSV attached
    replies = await world.organiser.says("/report")
    assert "Anna & Bea" in replies[0].text
    assert [f.filename.rsplit(".", 1)[1] for f in replies[0].attachments] == ["html", "csv"]
    refused = await a.mentee.says("/report")
    assert "organisatörer" in refused[0].text and not refused[0].attachments

    # no written answer, shared or not, is in any report; the secret is in no message at all
    outputs = [raw, table, text, html, replies[0].text]
    outputs += [f.content.decode() for f in replies[0].attachments]
    for output in outputs:
        assert SECRET not in output and SHARED not in output
    assert not [t for t in world.all_texts() if SECRET in t]
    assert [t for t in a.mentor.texts() if SHARED in t]  # the shared one did reach Anna


async def test_unknown_programme_and_broadcast(h: Harness) -> None:
    world = await programme(h)
    a = await add_pair(world, "anna", "bea")
    b = await add_pair(world, "cecilia", "dana")
    code, said = await cli(h, "--program", "nope")
    assert code == 1 and "no programme 'nope'" in said
    await world.organiser.says("/broadcast mentorer Välkomna till uppstarten på fredag!")
    got = {p.name: [t for t in p.texts() if "uppstarten" in t] for p in (*a.people, *b.people)}
    assert {n: len(t) for n, t in got.items()} == {"anna": 1, "bea": 0, "cecilia": 1, "dana": 0}
    assert got["anna"][0].startswith("📣 Från organisatörerna av STEM Up:")
    assert "Skickat till 2 personer" in world.organiser.last.text
    await world.organiser.says("/broadcast Glöm inte avstämningen")
    assert all(p.texts()[-1].endswith("Glöm inte avstämningen") for p in (*a.people, *b.people))
    await a.mentee.says("/broadcast alla hej")
    assert "organisatörer" in a.mentee.last.text
    assert not [t for t in a.mentor.texts() if t.endswith("hej")]
