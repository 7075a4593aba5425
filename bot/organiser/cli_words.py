"""Counts in the organiser command line's sentences, agreeing with their number.

"imported 1 groups" and "4 error(s)" read as machine output; the command line
says "imported 1 group", "imported 2 groups", "1 error", "4 errors".  The
sentences live in content (``organiser.cli.*``, with CLDR plural variants) and
are picked by :func:`bot.wording.plural`, so no count is pluralised by hand.

The command line speaks English, like its flags, help and other lines; the
Swedish variants are kept as mirrors, as every content key is.
"""

from __future__ import annotations

import argparse
from functools import lru_cache
from pathlib import Path

from bot.config import load_settings
from bot.content import Content, load_content
from bot.wording import plural

#: the language of the command line's output
CLI_LANGUAGE = "en"


@lru_cache(maxsize=4)
def _content(directory: Path) -> Content:
    return load_content(directory)


def cli_count(args: argparse.Namespace, key: str, n: int, /, **params: object) -> str:
    """The ``organiser.cli.<key>`` sentence for the count ``n``."""
    settings = getattr(args, "settings", None) or load_settings()
    return plural(_content(settings.content_dir), CLI_LANGUAGE, f"organiser.cli.{key}", n, **params)
