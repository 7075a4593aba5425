"""The sign-up options of ``program create`` and ``program update``.

Kept apart from :mod:`bot.matching.cli` so that the organiser CLI can import
it without a cycle: ``--signup`` prints a reusable code per role (like
invites: the code, a Telegram deep link, ``/join CODE`` for Discord) and
``--fields "Fysik;Kemi"`` sets the programme's list of fields for the intake.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.matching.signup import (
    close_signup,
    open_signup,
    parse_fields,
    programme_fields,
    set_fields,
)
from bot.organiser.programmes import deep_link
from bot.store.models import Programme
from bot.store.session import DbSession


def add_signup_options(parser: argparse.ArgumentParser, *, update: bool) -> None:
    """``--signup`` (create: a flag; update: on|off) and ``--fields "A;B;C"``."""
    if update:
        parser.add_argument("--signup", choices=("on", "off"), help="open or close sign-up")
    else:
        parser.add_argument(
            "--signup", action="store_const", const="on", help="open sign-up: a code per role"
        )
    parser.add_argument("--fields", help='the programme\'s fields, e.g. "Fysik;Kemi"')


async def apply_signup_options(
    session: DbSession,
    programme: Programme,
    args: argparse.Namespace,
    settings: Settings,
    now: datetime,
) -> dict[str, Any]:
    """Apply ``--signup`` / ``--fields``; the sign-up codes and fields for the output."""
    out: dict[str, Any] = {}
    if getattr(args, "fields", None) is not None:
        set_fields(programme, parse_fields(args.fields))
        out["fields"] = programme_fields(programme)
    signup = getattr(args, "signup", None)
    if signup == "on":
        out["signup"] = [
            {
                "role": c.role,
                "code": c.code,
                "telegram_link": deep_link(settings.telegram_username, c.code),
                "discord": f"/join {c.code}",
            }
            for c in await open_signup(session, programme, now)
        ]
    elif signup == "off":
        out["signup_closed"] = await close_signup(session, programme, now)
    return out


def render_signup(result: dict[str, Any]) -> list[str]:
    lines = []
    if "fields" in result:
        lines.append("fields: " + ("; ".join(result["fields"]) or "-"))
    for link in result.get("signup", []):
        lines.append(f"  sign-up {link['role']:<7} code {link['code']}  ({link['discord']})")
        if link["telegram_link"]:
            lines.append(f"  {'':<15} {link['telegram_link']}")
    if result.get("signup"):
        lines.append("  (reusable until sign-up closes: program update P --signup off)")
    if "signup_closed" in result:
        lines.append("sign-up closed")
    return lines
