"""Never joined, the programme's end, program update and UNTIL (issue 17), sv and en."""

from __future__ import annotations

import json

import pytest
from icalendar import Calendar

from tests.console_harness import Console
from tests.scenario.lifecycle_steps import (
    PROGRAMME,
    agree_and_book,
    join,
    pair_list,
    programme_with_pair,
    said,
)

NOT_YET = {"sv": "har inte anslutit än", "en": "hasn't joined yet"}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_who_never_joins_is_chased_once_with_a_fresh_code(
    console: Console, lang: str
) -> None:
    await console.run(PROGRAMME + "\n$ pair create --program stemup --mentor Anna --mentee Bea")
    await join(console, "Olga", lang)
    await join(console, "Anna", lang)
    out = await console.run("wait 6d")
    assert said(console, "olga", out) == ""  # not before the programme's N days (7)
    out = await console.run("wait 2d")
    digest = said(console, "olga", out)
    assert "Bea" in digest and "Anna" not in digest.split("\n", 1)[1].split("(")[0]
    code = digest.split("Bea (", 1)[1].split("): ", 1)[1].split()[0]
    assert len(code) == 16
    assert NOT_YET[lang] in said(console, "anna", out)
    assert ("organisatörerna" if lang == "sv" else "organisers") in said(console, "anna", out)
    out = await console.run("wait 14d")
    assert said(console, "olga", out) == "" and said(console, "anna", out) == ""  # chased once
    status = said(console, "olga", await console.run("@olga /program"))
    assert ("har inte anslutit än: Bea" if lang == "sv" else "not joined yet: Bea") in status
    out = await console.run("$ report --program stemup --json")
    report = json.loads("\n".join(out[out.index("{") if "{" in out else 1 :]))
    assert report["totals"]["not_joined"] == 1
    assert [(g["joined"], g["not_joined"]) for g in report["groups"]] == [("1/2", ["Bea"])]
    out = await console.run(f"@bea /start {code}\n" + "\n".join(join_lines(lang, "bea")[1:]))
    assert "Bea" in said(console, "anna", out)
    [pair] = await pair_list(console)
    assert pair["status"] == "active"


def join_lines(lang: str, who: str) -> list[str]:
    from tests.scenario.lifecycle_steps import JOIN

    return JOIN[lang].format(who=who, name=who.capitalize()).strip().splitlines()


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_pair_that_never_met_is_closed_without_praise_for_meetings(
    console: Console, lang: str
) -> None:
    await programme_with_pair(console, lang)
    await console.run("$ pair create --program stemup --mentor Cecilia --mentee Dana")
    out = await console.run("wait 200d")
    end = "\n".join(out)
    to_anna = said(console, "anna", out)
    assert ("hann inte träffas" if lang == "sv" else "didn't get to meet") in to_anna
    for praise in ("every one of them", "vart och ett", "{held}", " 0 "):
        assert praise not in to_anna
    assert ("är slut" if lang == "sv" else "has ended") in said(console, "olga", out)
    assert [p["status"] for p in await pair_list(console)] == ["completed", "completed"]
    # nudges stop: nothing more for anyone after the end
    out = await console.run("wait 60d")
    assert [line for line in out if line.startswith("→")] == [], end[-500:]


WHEN = {"sv": "varannan torsdag kl 16", "en": "every other thursday at 4pm"}


def ics_of(console: Console, chat: str) -> list[Calendar]:
    return [
        Calendar.from_ical(data)
        for name, data in console.session.transport.files.get(chat, [])
        if name.endswith(".ics")
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_series_carries_until_and_moves_with_the_end(console: Console, lang: str) -> None:
    await programme_with_pair(console, lang)
    await console.run(agree_and_book("Anna", "Bea", WHEN[lang]))
    [cal] = ics_of(console, "anna")[-1:]
    [event] = cal.walk("VEVENT")
    until = event["RRULE"]["UNTIL"][0]
    assert until.date().isoformat() in ("2027-06-01", "2027-06-02")  # 23:59:59 local, in UTC
    out = await console.run("$ program update stemup --end 2027-08-31")
    assert "changed end" in "\n".join(out)
    [event] = ics_of(console, "bea")[-1].walk("VEVENT")
    assert event["RRULE"]["UNTIL"][0].date().isoformat() == "2027-08-31"
    assert int(event["SEQUENCE"]) >= 1
    assert ("2027-08-31") in said(console, "bea", out)
    out = await console.run("wait 200d")  # past the old end: still running
    assert [p["status"] for p in await pair_list(console)] == ["active"]
    out = await console.run("wait 80d")
    assert [p["status"] for p in await pair_list(console)] == ["completed"]
