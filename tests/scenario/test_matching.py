"""Sign-up -> intake -> suggestion -> approval -> introduced and in the agreement."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.matching.models import Intake, MatchRule
from bot.matching.solver import greedy
from bot.matching.store import load_pool
from bot.store.models import Group, Member, Programme
from tests.console_harness import Console, write
from tests.matching_steps import json_output, programme, run, said_to, signs_up


def anna_sv() -> str:
    return signs_up(
        "Anna",
        "mentor",
        "sv",
        languages=["Svenska", "English"],
        stage="Etablerad",
        support=["Karriär", "Känslomässigt"],
        capacity=2,
    )


def bea_sv() -> str:
    return signs_up(
        "Bea",
        "mentee",
        "sv",
        languages=["Svenska"],
        stage="Doktorand",
        support=["Karriär"],
        hopes="Jag vill disputera och hitta vägen efteråt",
    )


async def test_swedish_signup_to_agreement_through_match_in_chat(console: Console) -> None:
    out = await run(console, programme("sv"), anna_sv(), bea_sv())
    assert any("Tack, Bea! Dina svar är sparade" in line for line in console.to("bea", out))
    out = await console.run("@olga /match")
    olga = said_to("olga", out)
    assert "1 av 1 adepter får en mentor" in olga
    assert "Anna ↔ Bea" in olga
    assert "Gemensamt: språk: svenska" in "\n".join(out)
    assert "skede: Anna etablerad i yrket, Bea doktorand" in "\n".join(out)
    assert "Bea hoppas på: Jag vill disputera och hitta vägen efteråt" in olga

    out = await console.run("@olga [Godkänn]")
    anna = said_to("anna", out)
    bea = said_to("bea", out)
    assert "matchat dig med din adept Bea" in anna
    assert "matchat dig med din mentor Anna" in bea
    assert "samma område: Fysik" in bea and "karriär och professionella råd" in bea

    out = await console.run("wait 1m")
    assert any("mentorsöverenskommelse" in line for line in console.to("anna", out))
    assert any("mentorsöverenskommelse" in line for line in console.to("bea", out))
    async with console.core.db.sessions() as s:
        group = await s.scalar(select(Group))
        assert group is not None and group.kind == "pair" and group.status == "active"
        seats = list(await s.scalars(select(Member).where(Member.group_id == group.id)))
        assert sorted((m.name, m.role, m.person_id is not None) for m in seats) == [
            ("Anna", "mentor", True),
            ("Bea", "mentee", True),
        ]

    # a second /match: Bea is matched, Anna has room for one more but nobody waits
    out = await console.run("@olga /match")
    assert "Det finns inga förslag just nu" in "\n".join(out)


async def test_english_signup_approved_from_the_command_line(console: Console) -> None:
    await run(
        console,
        programme("en"),
        signs_up(
            "Maria",
            "mentor",
            "en",
            languages=["English"],
            stage="In industry",
            support=["Career"],
            capacity=1,
        ),
        signs_up(
            "Nora",
            "mentee",
            "en",
            languages=["English", "Suomi"],
            field="Kemi",
            stage="Student",
            support=["Career", "Practical"],
        ),
    )
    out = await console.run("$ match suggest --program stemup")
    text = "\n".join(out)
    assert "Suggestions for STEM Up: 1 of 1 mentees get a mentor" in text
    assert "field: Maria Fysik, Nora Kemi" in text
    assert "Nora also wants practical help, which Maria did not mention" in text

    out = await console.run("$ match approve --program stemup Maria Nora\nwait 1m")
    maria = said_to("maria", out)
    nora = said_to("nora", out)
    assert "matched you with your mentee Nora" in maria
    assert "What you and Maria have in common: language: English" in nora
    assert (
        "Time for your mentoring agreement" in maria and "Time for your mentoring agreement" in nora
    )


async def test_unmatched_people_are_listed_with_reasons(console: Console) -> None:
    await run(
        console,
        programme("sv"),
        anna_sv().replace("@anna [2]", "@anna [1]"),
        bea_sv(),
        signs_up(
            "Cleo", "mentee", "sv", languages=["Svenska"], stage="Student", support=["Karriär"]
        ),
        signs_up("Ola", "mentee", "sv", languages=["Suomi"], stage="Student", support=["Karriär"]),
        "@pia /start {code:signup-mentee}",
    )
    out = await console.run("$ match suggest --program stemup --json")
    data = json_output(out)
    assert data["summary"] == {
        "mentees": 3,
        "matched": 1,
        "total_score": data["matches"][0]["score"],
    }
    assert [(m["mentor"], len(m["mentees"])) for m in data["matches"]] == [("Anna", 1)]
    assert set(data["matches"][0]) >= {"mentor", "mentees", "score", "common"}
    reasons = {u["name"]: u["reason"] for u in data["unmatched"]}
    assert reasons["Ola"] == "no_language"
    assert reasons["Pia"] == "intake_incomplete"
    assert {reasons.get("Bea"), reasons.get("Cleo")} == {None, "capacity"}
    why = {u["name"]: u["why"] for u in data["unmatched"]}
    assert why["Ola"] == "ingen mentor talar samma språk"


async def test_avoid_list_and_skip_keep_a_pair_apart(console: Console) -> None:
    await run(
        console,
        programme("sv"),
        anna_sv(),
        signs_up(
            "Bea",
            "mentee",
            "sv",
            languages=["Svenska"],
            stage="Doktorand",
            support=["Karriär"],
            avoid="anna",
        ),
        signs_up(
            "Cleo", "mentee", "sv", languages=["Svenska"], stage="Student", support=["Karriär"]
        ),
    )
    data = json_output(await console.run("$ match suggest --program stemup --json"))
    assert [m["mentees"] for m in data["matches"]] == [["Cleo"]]
    assert {u["name"]: u["reason"] for u in data["unmatched"]}["Bea"] == "no_compatible"

    await console.run("@olga /match")
    out = await console.run("@olga [Hoppa över]")
    assert any("Överhoppat" in line for line in out)
    async with console.core.db.sessions() as s:
        rules = list(await s.scalars(select(MatchRule)))
        assert [r.rule for r in rules] == ["forbid"]
    out = await console.run("@olga /match")
    assert "Det finns inga förslag just nu" in "\n".join(out)
    async with console.core.db.sessions() as s:
        assert await s.scalar(select(Group)) is None


async def test_stale_and_foreign_buttons_get_a_clear_answer(console: Console) -> None:
    await run(console, programme("sv"), anna_sv(), bea_sv())
    await console.run("@olga /match")
    await console.run("$ match approve --program stemup --all")
    out = await console.run("@olga [Godkänn]")
    assert any("Det förslaget gäller inte längre" in line for line in out)
    async with console.core.db.sessions() as s:
        assert len(list(await s.scalars(select(Group)))) == 1
    out = await console.run("@bea /match")
    assert "/match är till för programmets organisatörer" in said_to("bea", out)


async def test_circle_programme_makes_a_circle_of_the_mentor_and_mentees(console: Console) -> None:
    people = [
        signs_up(
            "Anna",
            "mentor",
            "sv",
            languages=["Svenska"],
            stage="Etablerad",
            support=["Karriär"],
            capacity=3,
        )
    ]
    for name in ("Bea", "Cleo"):
        people.append(
            signs_up(
                name,
                "mentee",
                "sv",
                languages=["Svenska"],
                stage="Doktorand",
                support=["Karriär"],
                group="En grupp",
            )
        )
    await run(console, programme("sv", fmt="group"), *people)
    out = await console.run("$ match approve --program stemup --all --json\nwait 1m")
    assert json_output(out)["approved"][0]["kind"] == "circle"
    assert any("har satt ihop din mentorsgrupp: Bea, Cleo" in line for line in out)
    async with console.core.db.sessions() as s:
        group = await s.scalar(select(Group))
        assert group is not None and group.kind == "circle"


async def test_intake_import_with_bad_rows_then_good(console: Console, tmp_path: Path) -> None:
    await console.run(programme("sv"))
    bad = write(
        tmp_path,
        "bad.csv",
        "programme;role;name;languages;mode;city;capacity\n"
        "stemup;Mentor;Karin;sv;online;;2\n"
        "stemup;chef;Lars;sv;online;;\n"
        "nosuch;mentee;Mia;sv;online;;\n",
    )
    out = await console.run(f"$ intake import {bad}")
    assert any("line 3: role must be mentor or mentee, got 'chef'" in line for line in out)
    async with console.core.db.sessions() as s:
        assert await s.scalar(select(Intake)) is None
    unknown_programme = write(
        tmp_path, "prog.csv", "programme,role,name,languages\nnosuch,mentee,Mia,sv\n"
    )
    out = await console.run(f"$ intake import {unknown_programme}")
    assert any("line 2: no programme 'nosuch'" in line for line in out)

    good = write(
        tmp_path,
        "good.csv",
        "\ufeffProgramme\tRole\tName\tLanguages\tField\tStage\tSupport\tCapacity\n"
        "stemup\tMENTOR\tKarin\tsvenska;English\tKemi\testablished\tcareer\t2\n"
        "stemup\tmentee\tLisa\tSwedish\tKemi\tdoctoral\tcareer\t\n",
    )
    out = await console.run(f"$ intake import {good}")
    assert any("imported 2 applications" in line for line in out)
    out = await console.run(
        "@karin /start {code:Karin}\n@karin [Svenska]\n@karin [Ja]\n@karin [Förstått]\n@karin [Ja]"
    )
    karin = said_to("karin", out)
    assert "har redan dina svar från ansökan" in karin
    assert "Vilka språk" not in karin
    data = json_output(await console.run("$ match suggest --program stemup --json"))
    assert data["matches"] == []
    assert {u["name"]: u["reason"] for u in data["unmatched"]}["Lisa"] == "not_joined"
    out = await console.run(
        "@lisa /start {code:Lisa}\n@lisa [Svenska]\n@lisa [Ja]\n@lisa [Förstått]\n@lisa [Ja]"
    )
    data = json_output(await console.run("$ match suggest --program stemup --json"))
    assert [(m["mentor"], m["mentees"]) for m in data["matches"]] == [("Karin", ["Lisa"])]
    assert "samma område: Kemi" in data["matches"][0]["common"]


async def test_profile_shows_and_changes_answers(console: Console) -> None:
    await run(console, programme("sv"), bea_sv())
    out = await console.run("@bea /profile")
    bea = said_to("bea", out)
    assert "Dina svar för STEM Up (som adept)" in bea and "• stöd: Karriär" in bea
    out = await console.run("@bea [Ändra mötesform]\n@bea [Fysiska]\n@bea Lund")
    bea = said_to("bea", out)
    assert "I vilken stad" in bea and "• stad: Lund" in bea and "• mötesform: fysiska möten" in bea
    async with console.core.db.sessions() as s:
        intake = await s.scalar(select(Intake))
        assert intake is not None
        assert intake.answers["mode"] == "face_to_face" and intake.answers["city"] == "Lund"


async def test_signup_closed_and_reopened(console: Console) -> None:
    await console.run(programme("sv"))
    old = console.session.codes["signup-mentee"]
    await console.run("$ program update stemup --signup off")
    out = await console.run(f"@bea /start {old}")
    assert any("Anmälan till det här programmet är stängd" in line for line in out)
    await console.run("$ program update stemup --signup on")
    assert console.session.codes["signup-mentee"] != old
    out = await console.run("@bea /start {code:signup-mentee}")
    assert any("välkommen till STEM Up! Du är med som adept" in line for line in out)
    out = await console.run(f"@cleo /start {old}")
    assert any("Den koden hittar jag inte" in line for line in out)


async def test_greedy_would_strand_a_mentee_the_suggestion_matches_everyone(
    console: Console, tmp_path: Path
) -> None:
    """Ada fits both mentors but prefers Xena (same field); Bo speaks only English, as
    only Xena does.  Greedy gives Xena to Ada and strands Bo; the suggestion does not."""
    await console.run(programme("sv"))
    apps = write(
        tmp_path,
        "apps.csv",
        "programme,role,name,languages,field,stage,support,capacity\n"
        "stemup,mentor,Xena,sv;en,Fysik,established,career,1\n"
        "stemup,mentor,Yuki,sv,Kemi,established,career,1\n"
        "stemup,mentee,Ada,sv,Fysik,doctoral,career,\n"
        "stemup,mentee,Bo,en,Kemi,doctoral,career,\n",
    )
    await console.run(f"$ intake import {apps}")
    for name in ("Xena", "Yuki", "Ada", "Bo"):
        who = name.lower()
        await console.run(
            f"@{who} /start {{code:{name}}}\n"
            + "\n".join(f"@{who} {b}" for b in ("[Svenska]", "[Ja]", "[Förstått]", "[Ja]"))
        )
    async with console.core.db.sessions() as s:
        prog = await s.scalar(select(Programme))
        assert prog is not None
        pool = await load_pool(s, prog)
    baseline = greedy(pool.mentors, pool.mentees)
    assert baseline.matched_mentees == 1
    assert [u.profile.name for u in baseline.unmatched if u.profile.role == "mentee"] == ["Bo"]

    data = json_output(await console.run("$ match suggest --program stemup --json"))
    assert sorted((m["mentor"], m["mentees"][0]) for m in data["matches"]) == [
        ("Xena", "Bo"),
        ("Yuki", "Ada"),
    ]
    assert [u for u in data["unmatched"] if u["role"] == "mentee"] == []
    out = await console.run("$ match approve --program stemup --all\nwait 1m")
    assert "Hi Bo!" not in "\n".join(out)  # Bo onboarded in Swedish
    assert "matchat dig med din mentor Xena" in said_to("bo", out)
    assert "matchat dig med din mentor Yuki" in said_to("ada", out)


async def test_start_without_code_welcomes_back_someone_waiting_for_a_match(
    console: Console,
) -> None:
    await run(console, programme("sv"), bea_sv())
    out = await console.run("@bea /start")
    assert "Välkommen tillbaka, Bea!" in said_to("bea", out)
