"""The core stays platform-neutral."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

BOT = Path(bot.__file__).parent


def test_bot_imports_neither_telegram_nor_discord() -> None:
    offenders = []
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(BOT)}: {n}"
                for n in names
                if n.split(".")[0] in {"telegram", "discord"}
            ]
    assert offenders == []
    assert len(list(BOT.rglob("*.py"))) > 10  # the walk really looked at the core
