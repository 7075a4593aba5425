"""/forget erases so that nothing of the person is left in the SQLite file or its WAL,
and its confirmation buttons count only after the /forget that asked."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.console.session import actor
from bot.core.types import Address, ChoiceIn
from bot.store.models import Agreement, Member, Note, Person, RiskFlag
from tests.conftest import START, database_url
from tests.console_harness import Console
from tests.pair_steps import AGREE_AND_BOOK, SETUP

NAME = "Zelmira"
GOAL = "Bygga upp ett eget kvantoptiklabb"
WHEN = "torsdagar efter lunch"
NOTE = "Orolig inför halvtidsseminariet hos Lindqvist"
CONTACT = "Min handledare Gunnarsson svarar aldrig på mejl"
AGENDA = "Hur skriver jag en ansökan till Vetenskapsrådet"
TYPED = (GOAL, WHEN, NOTE, CONTACT, AGENDA)

SCRIPT = (
    (SETUP + AGREE_AND_BOOK)
    .replace("Bea", NAME)
    .replace("@bea", "@" + NAME.lower())
    .replace("Disputera inom två år", GOAL)
    .replace("tisdagar efter 15", WHEN)
    + "\n@zelmira [Vi är överens]" * 5
    + "\n@anna /agreement\n@anna [Fortsätt]"
    + "\n@anna [Vi är överens]" * 5
)


@pytest.fixture
async def any_console(tmp_path: Path) -> AsyncIterator[Console]:
    c = await Console.open(database_url(tmp_path), START)
    yield c
    await c.close()


def db_file(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    url = database_url(tmp_path)
    if not url.startswith("sqlite"):
        pytest.skip("scans the bytes of the SQLite file")
    c = await Console.open(url, START)
    yield c
    await c.close()


def forms(text: str) -> list[bytes]:
    """How a text can sit in the file: UTF-8, and JSON-escaped (\\u00e4)."""
    out = {text.encode("utf-8"), json.dumps(text)[1:-1].encode("ascii")}
    return sorted(out)


def leftovers(path: Path, secrets: list[str]) -> list[str]:
    found = []
    for file in (path, Path(f"{path}-wal")):
        if not file.exists():
            continue
        raw = file.read_bytes().lower()
        for secret in secrets:
            if any(form.lower() in raw for form in forms(secret)):
                found.append(f"{secret!r} in {file.name}")
    return found


async def test_forget_leaves_nothing_of_the_person_in_the_file_or_the_wal(
    console: Console, tmp_path: Path
) -> None:
    who = "@" + NAME.lower()
    await console.run(SCRIPT)
    await console.run(f"{who} /note {NOTE}\n{who} /contact {CONTACT}\n{who} /agenda {AGENDA}")
    await console.core.mark_unreachable("console", NAME.lower())  # raises a risk flag with the name
    await console.run(f"{who} /help")  # she is back: reachable again
    path = db_file(tmp_path)
    async with console.core.db.sessions() as s:
        agreement = await s.scalar(select(Agreement).where(Agreement.status != "open"))
        assert agreement is not None, "the agreement was completed"
        snapshot = agreement.items["text"]
        assert NAME in snapshot["sv"] and GOAL in snapshot["sv"]
        flag = await s.scalar(select(RiskFlag).where(RiskFlag.reason == "unreachable"))
        assert flag is not None and flag.detail["name"] == NAME
        assert await s.scalar(select(func.count()).select_from(Note)) == 1
    # before: the file scan sees her (the test can fail)
    before = leftovers(path, [NAME, *TYPED])
    assert len(before) >= len(TYPED), before

    out = await console.run(f"{who} /forget\n{who} [Ja, radera]")
    assert any("raderat" in line for line in out)

    assert leftovers(path, [NAME, NAME.lower(), *TYPED]) == []
    async with console.core.db.sessions() as s:
        agreement = await s.scalar(select(Agreement).where(Agreement.status != "open"))
        assert agreement is not None
        text = agreement.items["text"]
        # the agreed text is kept: the person is their role, their words a mark
        assert "adept" in text["sv"] and "(borttaget)" in text["sv"], text["sv"]
        assert "mentee" in text["en"] and "(removed)" in text["en"], text["en"]
        assert "Anna" in text["sv"]  # the partner's part of the agreement stays
        flag = await s.scalar(select(RiskFlag).where(RiskFlag.reason == "unreachable"))
        assert flag is not None and NAME not in json.dumps(flag.detail)
    # and SQLite still reads the file as a sound database
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] in (0, 1)


def press(name: str, choice: str) -> ChoiceIn:
    """A button press the bot never offered (a forged or replayed id)."""
    who = actor(name)
    return ChoiceIn(who, Address("console", who.user_id, None, "dm"), choice)


async def test_forget_yes_without_forget_is_a_stale_button_and_changes_nothing(
    any_console: Console,
) -> None:
    console = any_console
    await console.run(SCRIPT)
    who = "@" + NAME.lower()
    for forged in ("priv:forget:yes", "priv:forget:no", "priv:forget:yes:1", "priv:x"):
        replies = await console.core.handle(press(NAME.lower(), forged))
        assert len(replies) == 1 and "gäller inte längre" in replies[0].reply.text, replies
    async with console.core.db.sessions() as s:
        person = await s.scalar(select(Person).where(Person.display_name == NAME))
        assert person is not None
        seat = await s.scalar(select(Member).where(Member.person_id == person.id))
        assert seat is not None and seat.left_at is None and seat.name == NAME
    # asked, then answered once: the same button pressed again is stale
    await console.run(f"{who} /forget\n{who} [Nej]")
    replies = await console.core.handle(press(NAME.lower(), "priv:forget:yes"))
    assert "gäller inte längre" in replies[0].reply.text, replies
    # another person cannot use the question asked of someone else
    await console.run(f"{who} /forget")
    replies = await console.core.handle(press("anna", "priv:forget:yes"))
    assert "gäller inte längre" in replies[0].reply.text, replies
    async with console.core.db.sessions() as s:
        for name in (NAME, "Anna"):
            assert await s.scalar(select(Person).where(Person.display_name == name)) is not None
