"""Renders neutral messages as transcript lines for the terminal and tests.

The format is a stable interface (scripts, README, tests read it):
``→ name: text`` with continuation lines indented, buttons numbered
``[1] Label``, files as ``📎 name``.
"""

from __future__ import annotations

from bot.core.types import Reply

INDENT = "   "


def render(recipient: str, reply: Reply) -> list[str]:
    head = f"→ {recipient}{' (edit)' if reply.replace else ''}: "
    lines = reply.text.splitlines() or [""]
    out = [head + lines[0]] + [INDENT + line if line else "" for line in lines[1:]]
    if reply.choices:
        out.append(INDENT + "  ".join(f"[{i}] {c.label}" for i, c in enumerate(reply.choices, 1)))
    out.extend(f"{INDENT}📎 {a.filename}" for a in reply.attachments)
    return out


def render_cleared(recipient: str, text: str) -> str:
    """One line saying which message lost its buttons (answered or superseded)."""
    first = (text.strip().splitlines() or [""])[0]
    if len(first) > 60:
        first = first[:59] + "…"
    return f"→ {recipient} (buttons removed): {first}"
