"""Loads and validates ``content/``: every sentence the bot says, in sv and en.

Two shapes of file:

* ``content/<lang>/<name>.yaml`` — nested maps of message strings.  A key is
  ``<name>.<path>`` (``basics.help.intro``); both languages must have the same
  keys and the same ``{placeholders}``.
* ``content/<bank>.yaml`` — bilingual banks (coaching questions, prompts,
  evaluations, resources, the agreement checklist): lists of items with ``sv``
  and ``en`` fields, validated with pydantic.

Content is loaded once into memory; a broken file stops start-up with a list of
problems that name file and key, never a traceback.
"""

from __future__ import annotations

import hashlib
import importlib.util
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.content_cache import ParsedFiles
from bot.core.types import MAX_CHOICE_ID_BYTES

if TYPE_CHECKING:  # the banks' models load with pydantic when a bank is validated
    from bot.content_banks import BANKS as BANKS
    from bot.content_banks import MAX_ITEM_ID as MAX_ITEM_ID
    from bot.content_banks import Activity as Activity
    from bot.content_banks import AgreementBank as AgreementBank
    from bot.content_banks import ChecklistItem as ChecklistItem
    from bot.content_banks import CoachingBank as CoachingBank
    from bot.content_banks import EvalQuestion as EvalQuestion
    from bot.content_banks import EvaluationBank as EvaluationBank
    from bot.content_banks import Option as Option
    from bot.content_banks import PromptBank as PromptBank
    from bot.content_banks import Question as Question
    from bot.content_banks import Resource as Resource
    from bot.content_banks import ResourceBank as ResourceBank
    from bot.content_banks import Role as Role
    from bot.content_banks import Tip as Tip
    from bot.content_banks import _Item as _Item

LANGUAGES = ("sv", "en")
NEEDS = ("career", "emotional", "practical", "profile", "other")
PHASES = ("start", "middle", "end")
PURPOSES = ("opening", "exploring", "options", "action", "reflection")
MIN_QUESTIONS_PER_NEED_AND_PHASE = 6
#: the banks, in the order they are read (``content/<name>.yaml``)
BANK_NAMES = ("coaching", "prompts", "evaluations", "resources", "agreement")


def __getattr__(name: str) -> Any:
    """The banks' models (``bot.content.Question``...), which live in
    :mod:`bot.content_banks`: imported on first use, with pydantic."""
    if name.startswith("__"):
        raise AttributeError(name)
    import bot.content_banks

    try:
        return getattr(bot.content_banks, name)
    except AttributeError:
        raise AttributeError(f"module 'bot.content' has no attribute {name!r}") from None


def _parser_id() -> str:
    """What the parsed data depends on besides the bytes (the cache's key):
    PyYAML's installed files (another version rewrites them) and whether
    libyaml's loader comes with them.  Read from the files, not from PyYAML
    itself, so that a start whose files are all in the cache never imports
    PyYAML (a twentieth of a second)."""
    spec = importlib.util.find_spec("yaml")
    if spec is None or spec.origin is None:
        return "PyYAML (not found)"
    init = Path(spec.origin)
    try:
        stat = init.stat()
    except OSError:
        return "PyYAML (unreadable)"
    libyaml = any(init.parent.glob("_yaml*"))
    loader = "CSafeLoader" if libyaml else "SafeLoader"
    return f"PyYAML {init} {stat.st_size} {stat.st_mtime_ns} {loader}"


#: what the parsed data depends on besides the bytes (the cache's key)
PARSER = _parser_id()


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Content:
    """All texts, in memory.  ``t(lang, key, **params)`` formats one message."""

    def __init__(
        self,
        strings: dict[str, dict[str, str]],
        banks: dict[str, Any],
        unvalidated: dict[str, Any] | None = None,
    ) -> None:
        """``banks``: validated, by name; ``unvalidated``: the parsed data of
        banks that validated without a problem when these very files were
        last loaded, validated again on first use (:meth:`bank`)."""
        self.strings = strings
        self._banks = dict(banks)
        self._unvalidated = dict(unvalidated or {})
        self._lock = threading.Lock()

    def bank(self, name: str) -> Any:
        bank = self._banks.get(name)
        if bank is None:
            with self._lock:
                bank = self._banks.get(name)
                if bank is None:
                    from bot.content_banks import BANKS

                    bank = BANKS[name].model_validate(self._unvalidated.pop(name))
                    self._banks[name] = bank
        return bank

    def warm_up(self) -> None:
        """Validate the banks now (the warm-up after ready)."""
        for name in BANK_NAMES:
            self.bank(name)

    @property
    def coaching(self) -> CoachingBank:
        return self.bank("coaching")  # type: ignore[no-any-return]

    @property
    def prompts(self) -> PromptBank:
        return self.bank("prompts")  # type: ignore[no-any-return]

    @property
    def evaluations(self) -> EvaluationBank:
        return self.bank("evaluations")  # type: ignore[no-any-return]

    @property
    def resources(self) -> ResourceBank:
        return self.bank("resources")  # type: ignore[no-any-return]

    @property
    def agreement(self) -> AgreementBank:
        return self.bank("agreement")  # type: ignore[no-any-return]

    def t(self, lang: str, key: str, /, **params: object) -> str:
        table = self.strings.get(lang) or self.strings["sv"]
        template = table[key]  # a missing key is a programming error: tests load all content
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self.strings["sv"]


def load_content(directory: Path) -> Content:
    """Load and validate; raise :class:`ContentError` listing every problem.

    Files whose bytes are all exactly those of the last load that found no
    problem (by their SHA-256, checked by the same code: :data:`CHECKS`) give
    the same content without the checks, from the cache (see
    :mod:`bot.content_cache`): its texts at once, its banks validated on first
    use.  Any change -- one file's bytes, a file added or gone, another
    version of the checks -- loads and checks everything, as always."""
    parsed = ParsedFiles(PARSER)
    known = _known_clean(directory, parsed)
    if known is not None:
        return known
    strings, banks, problems = _read(directory, parsed)
    if problems:
        raise ContentError(problems)
    return Content(strings, banks)


def check_content(directory: Path) -> list[Problem]:
    """Every problem of the content (always loaded and checked in full)."""
    return _read(directory)[2]


def _checks_id() -> str:
    """What the checks' verdict depends on besides the files: the checking
    code and pydantic's version (their files' sizes and times, not imported)."""
    here = Path(__file__).parent
    parts = [PARSER]
    spec = importlib.util.find_spec("pydantic")
    sources = [here / "content.py", here / "content_banks.py", here / "pronoun_check.py"]
    if spec is not None and spec.origin is not None:
        sources.append(Path(spec.origin).parent / "version.py")
    for path in sources:
        try:
            stat = path.stat()
        except OSError:
            return "unknown"
        parts.append(f"{path} {stat.st_size} {stat.st_mtime_ns}")
    return " | ".join(parts)


def _content_files(directory: Path) -> list[Path] | None:
    """Every file a load reads, in its order (None: a folder is missing)."""
    files: list[Path] = []
    for lang in LANGUAGES:
        folder = directory / lang
        if not folder.is_dir():
            return None
        files.extend(sorted(folder.glob("*.yaml")))
    return files + [directory / f"{name}.yaml" for name in BANK_NAMES]


def _known_clean(directory: Path, parsed: ParsedFiles) -> Content | None:
    """The content of files a load found no problem in, unchanged since (or None)."""
    files = _content_files(directory)
    if files is None or not parsed.has_clean():
        return None
    try:
        digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in files]
    except OSError:
        return None
    key = (_checks_id(), tuple(_rel(p, directory) for p in files), tuple(digests))
    strings = parsed.clean(key)
    if strings is None:
        return None
    banks = parsed.cached(digests[-len(BANK_NAMES) :])
    if banks is None:
        return None
    return Content(strings, {}, dict(zip(BANK_NAMES, banks, strict=True)))


def _read(
    directory: Path, parsed: ParsedFiles | None = None
) -> tuple[dict[str, dict[str, str]], dict[str, Any], list[Problem]]:
    from pydantic import ValidationError

    from bot.content_banks import BANKS
    from bot.pronoun_check import findings as pronoun_findings

    problems: list[Problem] = []
    strings: dict[str, dict[str, str]] = {}
    sources: dict[str, dict[str, str]] = {}
    parsed = parsed or ParsedFiles(PARSER)
    for lang in LANGUAGES:
        strings[lang], sources[lang] = _read_strings(directory, lang, problems, parsed)
    _check_parity(strings, sources, problems)
    banks: dict[str, Any] = {}
    for name, model in BANKS.items():
        path = directory / f"{name}.yaml"
        data = _load_yaml(path, directory, problems, parsed)
        if data is None:
            continue
        try:
            banks[name] = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(Problem(_rel(path, directory), _loc(data, err["loc"]), err["msg"]))
            continue
        _check_bank(name, banks[name], _rel(path, directory), problems)
    for file, key, message in pronoun_findings(strings, sources, banks):
        problems.append(Problem(file, key, message))
    if not problems:  # the next load of these very files may skip the checks
        files = _content_files(directory)
        if files is not None and len(files) == len(parsed.seen):  # the bytes just checked
            rels = tuple(_rel(p, directory) for p in files)
            parsed.remember_clean((_checks_id(), rels, tuple(parsed.seen)), strings)
    parsed.save()
    return strings, banks, problems


def _read_strings(
    directory: Path, lang: str, problems: list[Problem], parsed: ParsedFiles
) -> tuple[dict[str, str], dict[str, str]]:
    flat: dict[str, str] = {}
    source: dict[str, str] = {}
    folder = directory / lang
    if not folder.is_dir():
        problems.append(Problem(f"{lang}/", "-", "language folder is missing"))
        return flat, source
    for path in sorted(folder.glob("*.yaml")):
        data = _load_yaml(path, directory, problems, parsed)
        if data is None:
            continue
        rel = _rel(path, directory)
        if not isinstance(data, dict):
            problems.append(Problem(rel, "-", "expected a mapping at the top"))
            continue
        for key, value in _flatten(path.stem, data):
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(rel, key, "expected non-empty text"))
                continue
            flat[key] = value.rstrip("\n")
            source[key] = rel
    return flat, source


def _check_parity(
    strings: dict[str, dict[str, str]], sources: dict[str, dict[str, str]], problems: list[Problem]
) -> None:
    sv, en = strings["sv"], strings["en"]
    for key in sorted(sv.keys() - en.keys()):
        problems.append(Problem(sources["sv"][key].replace("sv/", "en/"), key, "missing in en"))
    for key in sorted(en.keys() - sv.keys()):
        problems.append(Problem(sources["en"][key].replace("en/", "sv/"), key, "missing in sv"))
    for key in sorted(sv.keys() & en.keys()):
        try:
            a, b = _placeholders(sv[key]), _placeholders(en[key])
        except ValueError as exc:
            problems.append(Problem(sources["sv"][key], key, f"bad placeholder: {exc}"))
            continue
        if a != b:
            problems.append(
                Problem(
                    sources["en"][key],
                    key,
                    f"placeholders differ: sv {sorted(a)} vs en {sorted(b)}",
                )
            )


def _check_bank(name: str, bank: Any, file: str, problems: list[Problem]) -> None:
    from bot.content_banks import _Item as BankItem

    for section, items in bank:
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for idx, item in enumerate(items):
            if isinstance(item, BankItem):
                if item.id in seen:
                    problems.append(Problem(file, f"{section}[{idx}].id", f"duplicate {item.id}"))
                seen.add(item.id)
                if len(f"xxxxxx:{item.id}:xxxxxxxxxx".encode()) > MAX_CHOICE_ID_BYTES:
                    problems.append(Problem(file, f"{section}[{idx}].id", "id too long"))
    if name == "coaching":
        _check_coaching(bank, file, problems)


def _check_coaching(bank: CoachingBank, file: str, problems: list[Problem]) -> None:
    """The question bank must never run dry for any need in any phase."""
    for need in ("career", "emotional", "practical", "profile"):
        for phase in PHASES:
            count = sum(1 for q in bank.questions if q.fits(need) and phase in q.phase)
            if count < MIN_QUESTIONS_PER_NEED_AND_PHASE:
                problems.append(
                    Problem(
                        file,
                        f"questions[needs={need},phase={phase}]",
                        f"only {count} questions, at least {MIN_QUESTIONS_PER_NEED_AND_PHASE}",
                    )
                )
    for phase in PHASES:
        for purpose in PURPOSES:
            if not any(q.purpose == purpose and phase in q.phase for q in bank.questions):
                problems.append(
                    Problem(file, f"questions[phase={phase},purpose={purpose}]", "none")
                )


def _load_yaml(path: Path, directory: Path, problems: list[Problem], parsed: ParsedFiles) -> Any:
    if not path.exists():
        problems.append(Problem(_rel(path, directory), "-", "file is missing"))
        return None
    try:
        return parsed.parse(path.read_bytes(), _parse_yaml)
    except _Unparsable as unparsable:
        exc = unparsable.error
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "-"
        problems.append(Problem(_rel(path, directory), where, f"not valid YAML: {exc}"))
        return None


class _Unparsable(Exception):
    """A file that is no valid YAML (or UTF-8); ``error`` says why."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _parse_yaml(raw: bytes) -> Any:
    import yaml  # only for a file the cache does not hold

    #: libyaml's safe loader when PyYAML has it (several times faster)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(raw.decode("utf-8"), Loader=loader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _Unparsable(exc) from exc


def _flatten(prefix: str, data: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            yield from _flatten(full, value)
        else:
            yield full, value


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _loc(data: Any, loc: tuple[Any, ...]) -> str:
    """Render a pydantic error location, using item ids where there are some."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            ident = item.get("id") if isinstance(item, dict) else None
            parts[-1] = f"{parts[-1]}[{ident or part}]" if parts else f"[{part}]"
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts) or "-"


def _rel(path: Path, directory: Path) -> str:
    try:
        return str(path.relative_to(directory))
    except ValueError:
        return str(path)
