"""Script steps for matching scenarios: a programme with sign-up links, people who
sign up and answer the intake in Swedish or English, driven through the console."""

from __future__ import annotations

import json
from typing import Any

from tests.console_harness import Console

ONBOARD = {
    "sv": ["[Svenska]", "[Ja]", "[Förstått]", "[Ja]"],
    "en": ["[English]", "[Yes]", "[Got it]", "[Yes]"],
}
DONE = {"sv": "[Klar]", "en": "[Done]"}
SKIP = {"sv": "[Hoppa över]", "en": "[Skip]"}
NOBODY = {"sv": "[Ingen]", "en": "[Nobody]"}


def programme(lang: str = "sv", fmt: str = "one_to_one", slug: str = "stemup") -> str:
    return (
        f'$ program create --name "STEM Up" --slug {slug} --goal "Stötta kvinnor i STEM" '
        f"--start 2026-12-01 --end 2027-06-01 --organiser Olga --language {lang} "
        f'--format {fmt} --signup --fields "Fysik;Kemi;Datavetenskap"\n'
        f"@olga /start {{code:Olga}}\n" + "\n".join(f"@olga {b}" for b in ONBOARD[lang])
    )


def signs_up(
    name: str,
    role: str,
    lang: str,
    *,
    languages: list[str],
    mode: str = "online",
    city: str | None = None,
    field: str = "Fysik",
    stage: str,
    support: list[str],
    capacity: int | None = None,
    group: str | None = None,
    hopes: str | None = None,
    avoid: str | None = None,
) -> str:
    """Script lines: ``name`` starts with the role's sign-up link and answers everything."""
    steps = [f"/start {{code:signup-{role}}}", *ONBOARD[lang]]
    steps += [f"[{language}]" for language in languages] + [DONE[lang]]
    steps.append(f"[{mode}]")
    if city is not None:
        steps.append(city)
    steps += [f"[{field}]", f"[{stage}]"]
    steps += [f"[{s}]" for s in support] + [DONE[lang]]
    if capacity is not None:
        steps.append(f"[{capacity}]")
    if group is not None:
        steps.append(f"[{group}]")
    steps.append(hopes if hopes else SKIP[lang])
    steps.append(avoid if avoid else NOBODY[lang])
    return "\n".join(f"@{name.lower()} {s}" for s in steps)


def json_output(lines: list[str]) -> Any:
    """The JSON an organiser command printed (the first line that is a JSON object)."""
    for line in lines:
        if line.lstrip().startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON in the transcript")


async def run(console: Console, *parts: str) -> list[str]:
    return await console.run("\n".join(parts))


def said_to(name: str, lines: list[str]) -> str:
    """Every message to ``name`` in a transcript, whole (continuation lines included)."""
    chunks: list[str] = []
    taking = False
    for line in lines:
        if line.startswith("→ "):
            taking = line.startswith(f"→ {name}:") or line.startswith(f"→ {name} (")
        elif line.strip() and not line.startswith("   "):
            taking = False
        if taking:
            chunks.append(line)
    return "\n".join(chunks)
