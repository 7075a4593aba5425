"""Group circles in a shared chat: bind, vote on a time, peer-sharing activity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.store.models import Group, Meeting, Programme, Rhythm, RiskFlag
from tests.conftest import START, database_url
from tests.console_harness import Console

JOIN = """
@{who} /start {{code:{name}}}
@{who} [{lang}]
@{who} [{yes}]
@{who} [{ok}]
@{who} [{yes}]
"""
SV = {"lang": "Svenska", "yes": "Ja", "ok": "Förstått"}
EN = {"lang": "English", "yes": "Yes", "ok": "Got it"}


@pytest.fixture
async def circle(tmp_path: Path) -> AsyncIterator[Console]:
    console = await Console.open(database_url(tmp_path), START)
    await console.run(
        "$ program create --name Cirklar --slug c --start 2026-12-01 --end 2027-06-01 "
        "--format group\n"
        "$ circle create --program c --mentor Greta --mentee Hanna --mentee Ines --mentee Jo"
    )
    for name in ("Greta", "Hanna", "Ines", "Jo"):
        words = EN if name == "Ines" else SV
        await console.run(JOIN.format(who=name.lower(), name=name, **words))
    yield console
    await console.close()


async def test_circle_binds_a_chat_and_votes_on_a_time(circle: Console) -> None:
    out = await circle.run("@greta#cirkel /bind")
    assert "mötesplatsen för Greta, Hanna, Ines & Jo" in out[1]
    out = await circle.run("@greta#cirkel /poll nästa tisdag kl 16; varannan torsdag kl 17")
    assert "1. tisdag 1 december kl. 16:00 (Europe/Stockholm)" in "\n".join(out)
    out = await circle.run("@greta#cirkel [2]\n@hanna#cirkel [2]\n@ines#cirkel [1]\n@jo#cirkel [2]")
    text = "\n".join(out)
    assert "Alla har röstat – det blir varannan torsdag" in text
    for name in ("greta", "hanna", "jo"):
        assert any(line.startswith(f"→ {name}: Bokat! varannan torsdag") for line in out)
    assert any(line.startswith("→ ines: Booked! every other Thursday") for line in out)
    async with circle.core.db.sessions() as s:
        planned = (await s.scalars(select(Meeting).where(Meeting.status == "planned"))).all()
        assert len(planned) == 1 and planned[0].rrule is not None
        assert "INTERVAL=2" in planned[0].rrule
        rhythm = await s.get(Rhythm, planned[0].group_id)
        assert rhythm is not None and rhythm.frequency_days == 14


async def test_non_members_are_refused_in_the_circle_chat(circle: Console) -> None:
    await circle.run("@greta#cirkel /bind")
    out = await circle.run("@mallory#cirkel /poll tisdag kl 16; torsdag kl 17")
    assert "inte med i gruppen" in out[1]
    await circle.run("@greta#cirkel /poll nästa tisdag kl 16; torsdag kl 17")
    out = await circle.run("@mallory#cirkel [1]")
    assert "hör till någon annan" in out[1]
    out = await circle.run("@mallory#annan /bind")
    assert "hittar ingen grupp" in out[1]
    async with circle.core.db.sessions() as s:
        options = (await s.scalars(select(Meeting))).all()
        assert all(o.data.get("votes") == [] for o in options)
        group = await s.scalar(select(Group))
        assert group is not None and group.chat_id == "cirkel"


async def test_peer_sharing_activity_is_posted_before_each_session(circle: Console) -> None:
    await circle.run("@greta#cirkel /bind")
    await circle.run("@greta#cirkel /poll varje torsdag kl 17; nästa fredag kl 9")
    await circle.run("@greta#cirkel [1]\n@hanna#cirkel [1]\n@ines#cirkel [1]\n@jo#cirkel [1]")
    out = await circle.run("wait 1d")
    posted = [line for line in out if line.startswith("→ #cirkel: Inför morgondagens träff")]
    assert len(posted) == 1
    out = await circle.run("wait 7d")
    second = [line for line in out if line.startswith("→ #cirkel: Inför morgondagens träff")]
    assert len(second) == 1 and second[0] != posted[0]  # a different activity each time
    reminders = [line for line in out if line.startswith("→ hanna: Påminnelse")]
    soon = [line for line in out if line.startswith("→ hanna: Snart dags! Ni ses")]
    assert len(reminders) == 1 and len(soon) == 1  # 24 h and 1 h before, privately


class RecordingChatFactory:
    """A fake ChatFactory port: records requests, creates chat "new-<n>" or refuses."""

    platform = "console"

    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed
        self.requests: list[tuple[str, str, list[str]]] = []

    async def create_group_chat(self, near, name, member_user_ids):  # type: ignore[no-untyped-def]
        from bot.core.types import Address

        self.requests.append((near.chat_id, name, sorted(member_user_ids)))
        if not self.allowed:
            return None
        return Address("console", f"new-{len(self.requests)}", None, "group")


async def test_bind_private_creates_a_members_only_chat(circle: Console) -> None:
    factory = RecordingChatFactory(allowed=True)
    circle.core.add_chat_factory(factory)
    out = await circle.run("@greta#lobby /bind private")
    assert factory.requests == [
        ("lobby", "Greta, Hanna, Ines & Jo", ["greta", "hanna", "ines", "jo"])
    ]
    assert "skapat en egen kanal" in out[1]
    assert any(
        line.startswith("→ #new-1: Klart! Den här chatten är nu mötesplatsen") for line in out
    )
    async with circle.core.db.sessions() as s:
        group = await s.scalar(select(Group))
        assert group is not None and group.chat_id == "new-1"


async def test_bind_private_without_the_right_binds_this_chat(circle: Console) -> None:
    circle.core.add_chat_factory(RecordingChatFactory(allowed=False))
    out = await circle.run("@greta#lobby /bind private")
    assert "får inte skapa kanaler" in out[1]
    async with circle.core.db.sessions() as s:
        group = await s.scalar(select(Group))
        assert group is not None and group.chat_id == "lobby"


async def test_the_circle_answers_its_agreement_together_in_the_chat(circle: Console) -> None:
    await circle.run("@greta#cirkel /bind")
    out = await circle.run("@greta#cirkel /agreement")
    assert out[1].startswith("→ #cirkel: 1/15 · Programmets mål och ramar")
    out = await circle.run("@greta#cirkel [1]\n@hanna#cirkel [1]\n@ines#cirkel [1]")
    assert "Greta: överens ✓ · Hanna: har inte svarat" in "\n".join(out)
    out = await circle.run("@jo#cirkel [1]")
    assert any(line.startswith("→ #cirkel: 4/15 · Roller") for line in out)  # items 2, 3 private
    # every confirm item, the circle item included, answered by all four in the chat
    walked: list[str] = []
    for _ in range(11):
        walked += await circle.run(
            "\n".join(f"@{n}#cirkel [1]" for n in ("greta", "hanna", "ines", "jo"))
        )
    out = await circle.run("@greta#cirkel /agreement")
    text = "\n".join(out)
    assert "svarar var och en på i sin privata chatt" in text
    assert "Vad adepten vill ha stöd med" in text and "Mötesrytm" in text
    # ...and those private points reach each mentee's private chat
    for name in ("hanna", "jo"):
        assert any(
            line.startswith(f"→ {name}: 2/15 · Vad adepten vill ha stöd med") for line in walked
        )
    assert any(
        line.startswith("→ ines: 2/15 · What the mentee wants support with") for line in walked
    )
    async with circle.core.db.sessions() as s:
        from bot.store.models import AgreementAnswer

        answers = (await s.scalars(select(AgreementAnswer))).all()
        confirm_items = {
            "goal",
            "roles",
            "format",
            "confidentiality",
            "contact",
            "feedback",
            "closing",
            "boundaries",
            "cancelling",
            "mentor_goals",
            "ending",
            "circle_privacy",
        }
        assert {a.item_id for a in answers} == confirm_items
        assert len(answers) == 4 * len(confirm_items)


async def test_the_poll_settles_the_rhythm_item_of_the_agreement(circle: Console) -> None:
    await circle.run("@greta#cirkel /bind")
    await circle.run("@greta#cirkel /poll varje torsdag kl 17; nästa fredag kl 9")
    await circle.run("\n".join(f"@{n}#cirkel [1]" for n in ("greta", "hanna", "ines", "jo")))
    async with circle.core.db.sessions() as s:
        from bot.store.models import AgreementAnswer

        rhythm_answers = (
            await s.scalars(select(AgreementAnswer).where(AgreementAnswer.item_id == "rhythm"))
        ).all()
        assert {a.answer for a in rhythm_answers} == {"agree"} and len(rhythm_answers) == 4


async def test_a_circle_that_stops_meeting_is_nudged_then_its_organiser_alerted(
    tmp_path: Path,
) -> None:
    """The at-risk watch works for circles as for pairs: measured against the
    circle's own rhythm, every member nudged privately in her language first,
    the organiser alerted a week later, and nothing more once they meet."""
    console = await Console.open(database_url(tmp_path), START)
    try:
        await console.run(
            "$ program create --name Cirklar --slug c --start 2026-12-01 --end 2027-06-01 "
            "--format group --organiser Olga\n"
            "$ circle create --program c --mentor Greta --mentee Hanna --mentee Ines --mentee Jo"
        )
        # nobody answers "did you meet?" here; the series would pause itself after two
        # (issue 23, see test_quiet_pairs), so this circle's programme never backs off
        async with console.core.db.transaction() as s:
            await s.execute(update(Programme).values(settings={"quiet_after_prompts": 1000}))
        for name in ("Olga", "Greta", "Hanna", "Ines", "Jo"):
            words = EN if name == "Ines" else SV
            await console.run(JOIN.format(who=name.lower(), name=name, **words))
        await console.run("@greta#cirkel /bind")
        await console.run("@greta#cirkel /poll nästa tisdag kl 16; varannan torsdag kl 17")
        await console.run("@greta#cirkel [2]\n@hanna#cirkel [2]\n@ines#cirkel [2]\n@jo#cirkel [2]")
        by_day: list[list[str]] = []
        for _ in range(36):  # nobody answers "did you meet?"
            by_day.append(await console.run("wait 1d"))

        def days_of(prefix: str) -> list[int]:
            return [d for d, out in enumerate(by_day) if any(x.startswith(prefix) for x in out)]

        # they never said they met, and a series is booked: the nudge neither
        # speaks of a "last meeting" nor asks them to book (issue 20)
        nudge_sv = (
            "Ni har möten inbokade, men på 29 dagar har jag inte hört att något av dem blev av"
            " – ni kom överens om att ses ungefär varannan vecka"
        )
        for name in ("greta", "hanna", "jo"):
            got = [
                d
                for d, out in enumerate(by_day)
                for x in out
                if x.startswith(f"→ {name}: ") and nudge_sv in x
            ]
            assert got == [28], name  # twice the rhythm and a day's grace
        ines = [
            d
            for d, out in enumerate(by_day)
            for x in out
            if x.startswith("→ ines: ")
            and "You have meetings booked, but in 29 days I haven't heard that any" in x
            and "you agreed to meet about every other week" in x
        ]
        assert ines == [28]
        assert not any(nudge_sv in x for out in by_day for x in out if x.startswith("→ #cirkel"))
        alert = "→ olga: ⚠️ Greta, Hanna, Ines & Jo (Cirklar) kan behöva din hjälp: inget möte"
        # within 2.5 × the rhythm (35 days): a quarter of the rhythm after the nudge
        assert days_of(alert) == [32]
        assert any(
            "inget möte på 32 dagar (de kom överens om att ses varannan vecka)" in x
            for x in by_day[32]
        )

        # They meet again: the next "did you meet?" answered yes closes the flag.
        out = await console.run("wait 8d")
        assert any(x.startswith("→ greta: Hur gick det – blev mötet") for x in out)
        await console.run("@greta [Ja, vi sågs]")
        later = await console.run("wait 20d")  # less than twice the rhythm
        assert not any(x.startswith("→ olga: ⚠️") for x in later)
        async with console.core.db.sessions() as s:
            flags = (await s.scalars(select(RiskFlag).where(RiskFlag.reason == "no_meeting"))).all()
            assert len(flags) == 1 and flags[0].resolved_at is not None
    finally:
        await console.close()
