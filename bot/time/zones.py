"""Turning what a person types ("Stockholm", "new york", "Europe/Berlin") into a zone."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

#: Swedish and English names that are not the last part of an IANA zone name.
ALIASES = {
    "sverige": "Europe/Stockholm",
    "sweden": "Europe/Stockholm",
    "göteborg": "Europe/Stockholm",
    "gothenburg": "Europe/Stockholm",
    "malmö": "Europe/Stockholm",
    "uppsala": "Europe/Stockholm",
    "lund": "Europe/Stockholm",
    "umeå": "Europe/Stockholm",
    "luleå": "Europe/Stockholm",
    "linköping": "Europe/Stockholm",
    "köpenhamn": "Europe/Copenhagen",
    "helsingfors": "Europe/Helsinki",
    "bryssel": "Europe/Brussels",
    "rom": "Europe/Rome",
    "aten": "Europe/Athens",
    "lissabon": "Europe/Lisbon",
    "san francisco": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "utc": "UTC",
}


@cache
def _by_city() -> dict[str, str]:
    table: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/")):
            table.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), zone)
    return table


def resolve_zone(text: str) -> str | None:
    """An IANA zone for the text, or None if it names no place we know."""
    cleaned = " ".join(text.strip().split())[:64]
    if not cleaned:
        return None
    lowered = cleaned.lower()
    if lowered in ALIASES:
        return ALIASES[lowered]
    for zone in available_timezones():
        if zone.lower() == lowered.replace(" ", "_"):
            return zone
    return _by_city().get(lowered)


def valid_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        return False
    return True
