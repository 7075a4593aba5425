"""/mydata exports everything about a person; /forget deletes it for good."""

from __future__ import annotations

import json
import re

from sqlalchemy import String, Text, select
from sqlalchemy.types import JSON

from bot.store.models import Base, Member, Person
from tests.console_harness import Console
from tests.pair_steps import booked_pair


async def all_text(console: Console) -> str:
    """Every string and JSON value in every table, as one text."""
    chunks: list[str] = []
    async with console.core.db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await s.execute(select(*columns))).all():
                chunks.extend(json.dumps(v, ensure_ascii=False) for v in row if v is not None)
    return "\n".join(chunks)


async def test_mydata_exports_everything_as_json(console: Console) -> None:
    await booked_pair(console)
    await console.run("@bea /note Jag är nervös inför disputationen")
    await console.run("@bea /mydata")
    transport = console.session.transport
    name, content = transport.files["bea"][-1]
    assert name == "mydata.json"
    data = json.loads(content)
    assert data["person"]["display_name"] == "Bea"
    assert data["identities"][0]["user_id"] == "bea"
    assert data["memberships"][0]["role"] == "mentee"
    assert data["agreement_texts"][0]["goals"] == ["Disputera inom två år"]
    assert data["rhythm_proposals"][0]["when_text"] == "tisdagar efter 15"
    assert len(data["meetings"]) == 1
    assert "Anna" not in json.dumps(data["identities"])  # nobody else's identity


async def test_forget_deletes_everything_personal(console: Console) -> None:
    await booked_pair(console)
    await console.run("@bea /agenda Hur hittar jag en postdoc?")
    await console.run("@bea /note Hemlig anteckning om min handledare")
    assert "Disputera inom två år" in await all_text(console)
    out = await console.run("@bea /forget\n@bea [Ja, radera]")
    assert any("allt jag hade sparat om dig är raderat" in line for line in out)
    anna = console.to("anna", out)
    olga = console.to("olga", out)
    assert anna and anna[0].startswith("→ anna: Din adept har behövt lämna ert mentorskap")
    assert "Bea" not in anna[0]
    assert olga and "(#1)" in olga[0] and "Bea" not in olga[0]
    text = await all_text(console)
    for secret in (
        r"\bBea\b",
        r'"bea"',
        "Disputera inom två år",
        "tisdagar efter 15",
        "Hemlig anteckning",
        "postdoc",
    ):
        assert not re.search(secret, text), f"{secret!r} is still stored"
    async with console.core.db.sessions() as s:
        assert await s.scalar(select(Person).where(Person.display_name == "Bea")) is None
        seat = await s.scalar(select(Member).where(Member.role == "mentee"))
        assert seat is not None and seat.person_id is None and seat.left_at is not None
        anna_still = await s.scalar(select(Person).where(Person.display_name == "Anna"))
        assert anna_still is not None


async def test_forget_can_be_cancelled(console: Console) -> None:
    await booked_pair(console)
    await console.run("@bea /forget\n@bea [Nej]")
    assert "Disputera inom två år" in await all_text(console)
