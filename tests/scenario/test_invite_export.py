"""``mentorbot invites export``: CSV, JSON and QR cards with fresh codes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import zxingcpp
from PIL import Image

from bot.organiser.csv_safe import csv_cell as neutralise
from bot.organiser.programmes import check_invite
from bot.store.db import Database
from tests.conftest import database_url

FORMULA_NAME = '=HYPERLINK("http://evil")'


def mentorbot(tmp_path: Path, *args: str, username: str | None = "mentor_test_bot"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORBOT_TELEGRAM")}
    env["MENTORBOT_DATABASE_URL"] = database_url(tmp_path)
    if username:
        env["MENTORBOT_TELEGRAM_USERNAME"] = username
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def _seed(tmp_path: Path) -> None:
    steps = [
        ("program", "create", "--name", "STEM Up", "--slug", "stemup", "--start",
         "2026-12-01", "--end", "2027-06-01", "--format", "mixed", "--organiser", "Olga"),
        ("pair", "create", "--program", "stemup", "--mentor", "Anna", "--mentee", FORMULA_NAME),
        ("circle", "create", "--program", "stemup", "--mentor", "Greta", "--mentee", "Hanna",
         "--mentee", "Ines", "--name", "c1"),
    ]  # fmt: skip
    for step in steps:
        done = mentorbot(tmp_path, *step)
        assert done.returncode == 0, done.stderr


def _code_problem(tmp_path: Path, code: str) -> str | None:
    async def check() -> str | None:
        db = Database(database_url(tmp_path))
        try:
            async with db.sessions() as session:
                return (await check_invite(session, code, datetime.now(UTC)))[1]
        finally:
            await db.dispose()

    return asyncio.run(check())


def test_csv_lists_everyone_with_fresh_codes_and_inert_formulas(tmp_path: Path) -> None:
    _seed(tmp_path)
    first = mentorbot(tmp_path, "invites", "export", "--program", "stemup")
    assert first.returncode == 0, first.stderr
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert [(r["name"], r["role"]) for r in rows] == [
        ("Olga", "organiser"),
        ("Anna", "mentor"),
        ("'" + FORMULA_NAME, "mentee"),  # a spreadsheet shows it as text
        ("Greta", "mentor"),
        ("Hanna", "mentee"),
        ("Ines", "mentee"),
    ]
    assert rows[1]["group"].startswith("pair #1") and rows[4]["group"] == "circle #2 c1"
    for row in rows:
        assert row["status"] == "invited"
        assert row["telegram_link"] == f"https://t.me/mentor_test_bot?start={row['code']}"
        assert row["discord"] == f"/join {row['code']}"
        assert row["expires"]
        assert _code_problem(tmp_path, row["code"]) is None  # a working code
    assert "issued 6 fresh code(s)" in first.stderr

    again = mentorbot(tmp_path, "invites", "export", "--program", "stemup", "--format", "csv")
    fresh = list(csv.DictReader(io.StringIO(again.stdout)))
    assert {r["code"] for r in fresh}.isdisjoint(r["code"] for r in rows)
    assert _code_problem(tmp_path, rows[1]["code"]) == "expired"  # replaced, says stderr
    assert _code_problem(tmp_path, fresh[1]["code"]) is None


def test_neutralise_covers_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "1+1") == "'" + start + "1+1"
    assert neutralise("Anna") == "Anna" and neutralise("") == ""


def test_json_to_a_file(tmp_path: Path) -> None:
    _seed(tmp_path)
    target = tmp_path / "invites.json"
    done = mentorbot(
        tmp_path, "invites", "export", "--program", "stemup", "--format", "json",
        "--output", str(target),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert len(rows) == 6
    assert rows[2]["name"] == FORMULA_NAME  # JSON keeps the name as it is
    assert set(rows[0]) == {
        "name", "role", "group", "status", "code", "telegram_link", "discord", "expires"
    }  # fmt: skip
    assert "wrote 6 row(s)" in done.stderr


def test_qr_codes_decode_to_the_deep_links(tmp_path: Path) -> None:
    _seed(tmp_path)
    cards = tmp_path / "cards"
    done = mentorbot(tmp_path, "invites", "export", "--program", "stemup", "--qr", str(cards))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    files = sorted(cards.glob("*.png"))
    assert [f.name for f in files][:3] == [
        "01-olga-organiser.png",
        "02-anna-mentor.png",
        "03-hyperlink-http-evil-mentee.png",
    ]
    assert len(files) == 6
    for path, row in zip(files, rows, strict=True):
        found = zxingcpp.read_barcodes(Image.open(path))
        assert [b.text for b in found] == [row["telegram_link"]]


def test_qr_needs_the_bots_username(tmp_path: Path) -> None:
    _seed(tmp_path)
    done = mentorbot(
        tmp_path, "invites", "export", "--program", "stemup", "--qr", str(tmp_path / "q"),
        username=None,
    )  # fmt: skip
    assert done.returncode == 78
    assert "MENTORBOT_TELEGRAM_USERNAME" in done.stderr
    assert not (tmp_path / "q").exists()


def _signup_problem(tmp_path: Path, code: str) -> str | None:
    from bot.matching.signup import find_signup

    async def check() -> str | None:
        db = Database(database_url(tmp_path))
        try:
            async with db.sessions() as session:
                programme, problem = await find_signup(session, code)
                return None if programme is not None else (problem or "unknown")
        finally:
            await db.dispose()

    return asyncio.run(check())


def test_open_sign_up_is_exported_with_fresh_links_and_qr_cards(tmp_path: Path) -> None:
    done = mentorbot(
        tmp_path, "program", "create", "--name", "Open", "--slug", "open", "--start",
        "2026-12-01", "--end", "2027-06-01", "--signup",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cards = tmp_path / "cards"
    out = mentorbot(tmp_path, "invites", "export", "--program", "open", "--qr", str(cards))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["role"], r["status"]) for r in rows] == [
        ("mentor", "sign-up"),
        ("mentee", "sign-up"),
    ]
    for row in rows:
        assert row["telegram_link"] == f"https://t.me/mentor_test_bot?start={row['code']}"
        assert _signup_problem(tmp_path, row["code"]) is None  # the fresh link works
    files = sorted(cards.glob("*.png"))
    assert len(files) == 2
    for path, row in zip(files, rows, strict=True):
        assert [b.text for b in zxingcpp.read_barcodes(Image.open(path))] == [row["telegram_link"]]
    # closed sign-up: no sign-up rows
    closed = mentorbot(tmp_path, "program", "update", "open", "--signup", "off")
    assert closed.returncode == 0, closed.stderr
    again = mentorbot(tmp_path, "invites", "export", "--program", "open")
    assert list(csv.DictReader(io.StringIO(again.stdout))) == []
    assert _signup_problem(tmp_path, rows[0]["code"]) == "closed"
