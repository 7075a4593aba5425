"""Parsed content files, kept between starts and found by the files' bytes.

Building Python objects from the fifty-odd YAML files is most of loading the
content at start-up, and their result changes only when a file does.  So the
parsed data of each file is kept in one cache file, under the SHA-256 of the
file's bytes: an edited file (even one edited within the same second, to the
same size) misses and is parsed again, with its problems reported as always;
a hit gives exactly what parsing would.  The checks after parsing (keys,
placeholders, banks, pronouns) run on every load but one: the cache also
keeps the texts of the last load that found no problem, under the digests of
all its files (and the checking code's identity), and a load of exactly those
files takes them from there (see :func:`bot.content.load_content`).

The cache is ``marshal`` data in the cache directory (systemd's
``CacheDirectory=``, else ``$XDG_CACHE_HOME/mentorbot`` or
``~/.cache/mentorbot``).  It holds only the files of the last load, so
it never grows, and it is replaced atomically, so a reader sees a whole file
or none.  Anything unreadable or unwritable is ignored: the content is then
simply parsed, as without a cache.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: bump when the parser or the shape of the data changes
FORMAT = 1
CACHE_FILE = "content.marshal"
#: the entry of the last clean load (a file's entry is its 64 hex digits)
CLEAN = "clean"


def cache_dir() -> Path | None:
    """systemd's ``CacheDirectory=`` when the unit sets one, else the XDG place."""
    systemd = os.environ.get("CACHE_DIRECTORY")
    if systemd:
        return Path(systemd.split(":")[0])
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        return (Path(xdg) if xdg else Path.home() / ".cache") / "mentorbot"
    except RuntimeError:  # no home directory to be found
        return None


class ParsedFiles:
    """What each content file parses to, by the digest of its bytes."""

    def __init__(self, parser_id: str, folder: Path | None = None) -> None:
        self._folder = folder if folder is not None else cache_dir()
        self._id = (FORMAT, parser_id)
        self._old = self._read()
        self._used: dict[str, Any] = {}
        #: the digests of the files parsed so far, in order
        self.seen: list[str] = []
        self._clean: tuple[Any, Any] | None = None

    def parse(self, raw: bytes, parse: Callable[[bytes], Any]) -> Any:
        """The parsed data of ``raw``, from the cache or from ``parse`` (whose
        errors propagate; a file that does not parse is never cached)."""
        digest = hashlib.sha256(raw).hexdigest()
        if digest in self._old:
            data = self._old[digest]
        else:
            data = parse(raw)
        self._used[digest] = data
        self.seen.append(digest)
        return data

    def has_clean(self) -> bool:
        return CLEAN in self._old

    def clean(self, key: Any) -> Any:
        """What :meth:`remember_clean` kept under ``key`` (None: another key)."""
        record = self._old.get(CLEAN)
        if isinstance(record, tuple) and len(record) == 2 and record[0] == key:
            return record[1]
        return None

    def cached(self, digests: list[str]) -> list[Any] | None:
        """The parsed data of these digests, if the cache holds every one."""
        if not all(d in self._old for d in digests):
            return None
        return [self._old[d] for d in digests]

    def remember_clean(self, key: Any, value: Any) -> None:
        """Keep ``value`` for a load whose files (and code) make ``key``."""
        self._clean = (key, value)

    def save(self) -> None:
        """Keep this load's files (and only those) for the next start."""
        used = dict(self._used)
        if self._clean is not None:
            used[CLEAN] = self._clean
        if self._folder is None or (
            used.keys() == self._old.keys() and used.get(CLEAN) == self._old.get(CLEAN)
        ):
            return
        try:
            blob = marshal.dumps((self._id, used))
        except ValueError:  # a value marshal cannot hold (a YAML timestamp): no cache
            return
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            import tempfile  # only when the cache is written, after a change

            fd, tmp = tempfile.mkstemp(dir=self._folder, prefix=".content-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(blob)
                os.replace(tmp, self._folder / CACHE_FILE)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return

    def _read(self) -> dict[str, Any]:
        if self._folder is None:
            return {}
        try:
            ident, entries = marshal.loads((self._folder / CACHE_FILE).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        if ident != self._id or not isinstance(entries, dict):
            return {}
        return entries
