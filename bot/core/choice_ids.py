"""Numbers inside choice ids (``agr:12:goals:done``), parsed defensively.

A choice id comes back from the platform as the person's client sends it, so
it may be forged: a number too large for a database integer, a negative one,
digits from another script (``"²".isdigit()`` is true, ``int("²")`` fails), or
garbage.  Every such part must end as the ordinary stale-button answer, never
as an error or a database overflow.
"""

from __future__ import annotations

#: the largest id a database integer column holds (SQLite and PostgreSQL BIGINT)
MAX_ID = 2**63 - 1
#: anything longer cannot be a valid id (and int() on huge strings costs time)
MAX_DIGITS = len(str(MAX_ID))


def parse_int(text: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as an int in ``[low, high]`` if it is plain ASCII digits, else None."""
    if not text or len(text) > MAX_DIGITS or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(text: str | None) -> int | None:
    """A database row id: 1 .. 2**63-1."""
    return parse_int(text, low=1)


def suspicious(choice_id: str) -> bool:
    """True for ids the bot never makes: not ASCII, over Telegram's 64 bytes, or
    with a number no database column can hold.  The engine answers these as
    stale buttons before any flow sees them."""
    if not choice_id.isascii() or len(choice_id) > 64:
        return True
    return any(p.isdigit() and parse_int(p) is None for p in choice_id.split(":"))
