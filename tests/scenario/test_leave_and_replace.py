"""Leaving without erasing, /forget, pair replace and pair end (issue 17), sv and en."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.models import Agreement, Group, Member, RiskFlag
from tests.console_harness import Console
from tests.scenario.lifecycle_steps import join, pair_list, programme_with_pair, said

LEAVE = {
    "sv": ("Ja, jag lämnar", "har behövt lämna ert mentorskap", "har lämnat"),
    "en": ("Yes, I'm leaving", "has had to leave your mentorship", "has left"),
}


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_mentee_leaves_and_gets_a_new_mentor_partner(console: Console, lang: str) -> None:
    await programme_with_pair(console, lang)
    yes, partner_words, organiser_words = LEAVE[lang]
    out = await console.run(f"@bea /leave\n@bea [{yes}]")
    assert "Bea" in said(console, "anna", out) and partner_words in said(console, "anna", out)
    assert organiser_words in said(console, "olga", out)
    assert "pair replace 1 --mentee" in said(console, "olga", out)
    out = await console.run("@bea My new job takes all my time")
    assert "My new job takes all my time" in said(console, "olga", out)
    assert "My new job" not in said(console, "anna", out)
    [pair] = await pair_list(console)
    assert pair["status"] == "incomplete"
    assert [(m["name"], m["left"]) for m in pair["members"]] == [("Anna", False), ("Bea", True)]
    out = await console.run("$ pair replace 1 --mentee Cilla")
    assert "Cilla" in said(console, "anna", out)
    assert "code" in "\n".join(out)
    out = await join(console, "Cilla", lang)
    assert "Cilla" in said(console, "anna", out)
    assert ("ny version" if lang == "sv" else "new version") in said(console, "anna", out)
    [pair] = await pair_list(console)
    assert pair["status"] == "active"
    async with console.core.db.transaction() as s:
        versions = list(await s.scalars(select(Agreement.version).where(Agreement.group_id == 1)))
        assert sorted(versions) == [1, 2]
        bea = await s.scalar(select(Member).where(Member.name == "Bea"))
        assert bea is not None and bea.person_id is not None  # left, but nothing erased


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_changing_ones_mind_keeps_everything(console: Console, lang: str) -> None:
    await programme_with_pair(console, lang)
    stay = "Nej, jag stannar" if lang == "sv" else "No, I'll stay"
    out = await console.run(f"@bea /leave\n@bea [{stay}]")
    assert said(console, "anna", out) == ""
    [pair] = await pair_list(console)
    assert pair["status"] == "active"
    # the confirmation button is valid only right after /leave
    out = await console.run("@bea [1]")
    assert "(no button" in out[-1] or said(console, "anna", out) == ""
    [pair] = await pair_list(console)
    assert pair["status"] == "active"


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_forget_means_leaving_the_pair_is_flagged_and_no_blank_names(
    console: Console, lang: str
) -> None:
    await programme_with_pair(console, lang)
    yes = "Ja" if lang == "sv" else "Yes"
    out = await console.run(f"@bea /forget\n@bea [{yes}]")
    to_anna = said(console, "anna", out)
    assert "Bea" not in to_anna and ("adept" if lang == "sv" else "mentee") in to_anna
    [pair] = await pair_list(console)
    assert pair["status"] == "incomplete"
    async with console.core.db.transaction() as s:
        flags = list(await s.scalars(select(RiskFlag.reason).where(RiskFlag.group_id == 1)))
        assert "incomplete" in flags
    status = "\n".join(await console.run("@olga /program"))
    assert ("saknar någon" if lang == "sv" else "missing someone") in status
    out = await console.run("wait 30d")
    assert ": Tuesday" not in "\n".join(out) and " : " not in said(console, "anna", out)


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_pair_end_tells_both_and_closes(console: Console, lang: str) -> None:
    await programme_with_pair(console, lang)
    out = await console.run('$ pair end 1 --reason "Not a good match"')
    for who in ("anna", "bea"):
        text = said(console, who, out)
        assert ("i förtid" if lang == "sv" else "closed your mentorship early") in text
        assert "Not a good match" not in text
    [pair] = await pair_list(console)
    assert pair["status"] == "ended"
    out = await console.run("$ pair end 1")
    assert "ended already" in "\n".join(out)
    async with console.core.db.transaction() as s:
        group = await s.get(Group, 1)
        assert group is not None and group.close_reason == "Not a good match"
