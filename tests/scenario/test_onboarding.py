"""Programmes, invites and onboarding, driven through the console adapter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.organiser.programmes import CODE_PATTERN
from bot.store.models import Group, Person
from tests.conftest import database_url
from tests.console_harness import Console, write

PROGRAMME = (
    '$ program create --name "STEM Up" --slug stemup --goal "Stötta doktorander i STEM" '
    "--start 2026-12-01 --end 2027-11-30 --format mixed --organiser Olga"
)

JOIN_SV = """
@{who} /start {{code:{name}}}
@{who} [Svenska]
@{who} [Ja]
@{who} [Förstått]
@{who} [Ja]
"""
JOIN_EN = """
@{who} /start {{code:{name}}}
@{who} [English]
@{who} [No]
@{who} New York
@{who} [Got it]
@{who} [Yes]
"""


async def join(console: Console, name: str, lang: str) -> list[str]:
    template = JOIN_SV if lang == "sv" else JOIN_EN
    return await console.run(template.format(who=name.lower(), name=name))


async def everybody_joins(console: Console, names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names):
        out += await join(console, name, "sv" if i % 2 == 0 else "en")
    return out


async def assert_all_active(console: Console, groups: int) -> None:
    async with console.core.db.sessions() as s:
        rows = (await s.scalars(select(Group))).all()
        assert len(rows) == groups
        assert {g.status for g in rows} == {"active"}
        people = (await s.scalars(select(Person))).all()
        assert all(p.consent_at is not None for p in people)
        zones = {p.display_name: p.timezone for p in people}
        assert zones["Bea"] == "America/New_York" and zones["Anna"] == "Europe/Stockholm"


async def test_three_pairs_and_a_circle_created_through_the_cli(console: Console) -> None:
    await console.run(
        PROGRAMME
        + """
$ pair create --program stemup --mentor Anna --mentee Bea
$ pair create --program stemup --mentor Cecilia --mentee Dana
$ pair create --program stemup --mentor Eva --mentee Fatima
$ circle create --program stemup --mentor Greta --mentee Hanna --mentee Ines --mentee Jo
"""
    )
    names = ["Anna", "Bea", "Cecilia", "Dana", "Eva", "Fatima", "Greta", "Hanna", "Ines", "Jo"]
    out = await everybody_joins(console, names)
    # the first of each pair waits, the second completes it; both are told
    assert "→ anna: Klart, nu är du med! Bea har inte anslutit än" in "\n".join(out)
    assert any(
        line.startswith("→ bea: You're both here – you and Anna are now a pair") for line in out
    )
    assert any(line.startswith("→ anna: Nu är ni båda på plats – du och Bea") for line in out)
    circle_done = [
        line
        for line in out
        if "The whole circle is here" in line or "Nu är hela gruppen på plats" in line
    ]
    assert len(circle_done) == 4  # mentor and three mentees all told
    await assert_all_active(console, 4)
    out = await join(console, "Olga", "sv")
    assert any("Du är organisatör för STEM Up" in line for line in out)
    status = await console.run("@olga /program")
    assert (
        "STEM Up (1 december 2026 – 30 november 2027): 4 par och grupper, varav 4 igång."
        in status[1]
    )
    assert "• Anna & Bea (par): 2/2 har anslutit – aktiv – överenskommelse: 0 av 14" in status[2]
    await console.run("@anna [Vi är överens]\n@bea [We agree]")  # Bea chose English
    status = await console.run("@olga /program")
    assert "överenskommelse: 1 av 14 punkter klara" in status[2]


async def test_roster_import_creates_the_same(console: Console, tmp_path: Path) -> None:
    roster = write(
        tmp_path,
        "roster.csv",
        "programme,kind,group,role,name\n"
        "stemup,pair,p1,mentor,Anna\nstemup,pair,p1,mentee,Bea\n"
        "stemup,pair,p2,mentor,Cecilia\nstemup,pair,p2,mentee,Dana\n"
        "stemup,pair,p3,mentor,Eva\nstemup,pair,p3,mentee,Fatima\n"
        "stemup,circle,c1,mentor,Greta\nstemup,circle,c1,mentee,Hanna\n"
        "stemup,circle,c1,mentee,Ines\nstemup,circle,c1,mentee,Jo\n"
        "stemup,,,organiser,Per\n",
    )
    out = await console.run(PROGRAMME + f"\n$ roster import {roster}")
    assert "imported 4 groups" in "\n".join(out)
    names = ["Anna", "Bea", "Cecilia", "Dana", "Eva", "Fatima", "Greta", "Hanna", "Ines", "Jo"]
    await everybody_joins(console, names)
    await assert_all_active(console, 4)
    out = await join(console, "Per", "en")
    assert any("You're an organiser of STEM Up" in line for line in out)


async def test_bad_codes_are_refused_clearly(console: Console) -> None:
    await console.run(PROGRAMME + "\n$ pair create --program stemup --mentor Anna --mentee Bea")
    await join(console, "Anna", "sv")
    out = await console.run(
        """
@mallory /start {code:Anna}
@mallory /start not-a-code!
@mallory /start AAAAAAAAAAAAAAAA
"""
    )
    texts = console.to("mallory", out)
    assert "redan använts" in texts[0]
    assert "inte ut som en inbjudningskod" in texts[1]
    assert "hittar jag inte" in texts[2]
    async with console.core.db.sessions() as s:
        mallory = await s.scalar(select(Person).where(Person.display_name == "Mallory"))
        assert mallory is not None and mallory.consent_at is None  # nothing was granted
    out = await console.run("wait 31d\n@bea /start {code:Bea}")
    assert "gått ut" in console.to("bea", out)[0]
    async with console.core.db.sessions() as s:
        # a stranger who never joined is purged after 30 days
        mallory = await s.scalar(select(Person).where(Person.display_name == "Mallory"))
        assert mallory is None
        group = await s.scalar(select(Group))
        assert group is not None and group.status == "invited"


async def test_lost_invite_is_replaced_by_the_organiser(console: Console) -> None:
    await console.run(PROGRAMME + "\n$ pair create --program stemup --mentor Anna --mentee Bea")
    await join(console, "Olga", "sv")
    old = console.session.codes["bea"]
    out = await console.run("@olga /invite bea")
    text = "\n".join(out)
    assert "Ny inbjudan till Bea" in text
    new = next(line.split()[-1] for line in out if "Kod:" in line)
    assert CODE_PATTERN.match(new) and new != old
    out = await console.run(f"@bea /start {old}")
    assert "gått ut" in console.to("bea", out)[0]
    out = await console.run(f"@bea /start {new}")
    assert "välkommen till STEM Up" in console.to("bea", out)[0]
    refused = await console.run("@bea /invite Anna")
    assert "organisatörer" in console.to("bea", refused)[0]


async def test_someone_elses_onboarding_button_is_refused(console: Console) -> None:
    await console.run(PROGRAMME + "\n$ pair create --program stemup --mentor Anna --mentee Bea")
    await console.run("@anna /start {code:Anna}")
    from bot.core.types import Actor, Address, ChoiceIn

    choice = console.session.transport.with_buttons["anna"].choices[0].id
    mallory = Actor("console", "mallory", "Mallory")
    replies = await console.core.handle(ChoiceIn(mallory, Address("console", "mallory"), choice))
    assert "hör till någon annan" in replies[0].reply.text
    async with console.core.db.sessions() as s:
        anna = await s.scalar(select(Person).where(Person.display_name == "Anna"))
        assert anna is not None and anna.language == "sv"


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "MENTORBOT_DATABASE_URL": database_url(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        check=False,
        env=environ,
        cwd=tmp_path,
        timeout=60,
    )


def test_cli_json_output_and_deep_links(tmp_path: Path) -> None:
    made = cli(
        tmp_path,
        "program",
        "create",
        "--name",
        "Demo",
        "--start",
        "2026-12-01",
        "--end",
        "2027-06-01",
        "--organiser",
        "Olga",
        "--json",
        MENTORBOT_TELEGRAM_USERNAME="mentor_test_bot",
    )
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["programme"]["slug"] == "demo"
    code = data["invites"][0]["code"]
    assert CODE_PATTERN.match(code)
    assert data["invites"][0]["telegram_link"] == f"https://t.me/mentor_test_bot?start={code}"
    pair = cli(
        tmp_path, "pair", "create", "--program", "demo", "--mentor", "A", "--mentee", "B", "--json"
    )
    invites = json.loads(pair.stdout)["invites"]
    assert [i["role"] for i in invites] == ["mentor", "mentee"]
    assert len({i["code"] for i in invites}) == 2
    listed = json.loads(cli(tmp_path, "program", "list", "--json").stdout)
    assert listed["programmes"][0]["groups"] == 1
    text = cli(tmp_path, "program", "show", "demo")
    assert "A (mentor, not joined)" in text.stdout
    bad = cli(tmp_path, "pair", "create", "--program", "nope", "--mentor", "A", "--mentee", "B")
    assert bad.returncode == 1 and "no programme 'nope'" in bad.stderr


def test_roster_with_one_bad_line_imports_nothing(tmp_path: Path) -> None:
    assert (
        cli(
            tmp_path,
            "program",
            "create",
            "--name",
            "Demo",
            "--start",
            "2026-12-01",
            "--end",
            "2027-06-01",
        ).returncode
        == 0
    )
    roster = write(
        tmp_path,
        "roster.csv",
        "programme,kind,group,role,name\n"
        "demo,pair,p1,mentor,Anna\n"
        "demo,pair,p1,mentee,Bea\n"
        "demo,pair,p2,boss,Cecilia\n"
        "demo,pair,p2,mentee,Dana\n",
    )
    run = cli(tmp_path, "roster", "import", str(roster))
    assert run.returncode == 1
    assert "line 4: role must be mentor, mentee or organiser" in run.stderr
    assert "nothing imported" in run.stderr
    show = json.loads(cli(tmp_path, "program", "show", "demo", "--json").stdout)
    assert show["groups"] == []
    # a group that is fine per line but wrong as a whole also rolls everything back
    roster.write_text(
        "programme,kind,group,role,name\n"
        "demo,pair,p1,mentor,Anna\ndemo,pair,p1,mentee,Bea\n"
        "demo,pair,p2,mentor,Cecilia\ndemo,pair,p2,mentee,Dana\ndemo,pair,p2,mentee,Eva\n"
    )
    run = cli(tmp_path, "roster", "import", str(roster), "--json")
    assert run.returncode == 1 and "line 4" in json.loads(run.stdout)["error"]
    assert json.loads(cli(tmp_path, "program", "show", "demo", "--json").stdout)["groups"] == []


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hi Bea, and welcome"), ("sv", "Hej Bea")]
)
async def test_newcomers_are_greeted_in_the_programmes_language(
    console: Console, language: str, greeting: str
) -> None:
    await console.run(
        f'$ program create --name "STEM Up" --slug up --start 2026-12-01 --end 2027-06-01 '
        f"--language {language}\n$ pair create --program up --mentor Anna --mentee Bea"
    )
    out = await console.run("@bea /start {code:Bea}")
    assert console.to("bea", out)[0].startswith(f"→ bea: {greeting}")
    # the first question still lets the person choose, and the choice sticks
    other = "Svenska" if language == "en" else "English"
    out = await console.run(f"@bea [{other}]")
    expected = "Jag skickar påminnelser" if language == "en" else "I'll send reminders"
    assert console.to("bea", out)[0].startswith(f"→ bea (edit): {expected}")
