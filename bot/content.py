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

import importlib.util
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content_cache import ParsedFiles
from bot.core.types import MAX_CHOICE_ID_BYTES
from bot.pronoun_check import findings as pronoun_findings

LANGUAGES = ("sv", "en")
NEEDS = ("career", "emotional", "practical", "profile", "other")
PHASES = ("start", "middle", "end")
PURPOSES = ("opening", "exploring", "options", "action", "reflection")
#: bank ids travel inside choice ids such as ``coach:more:<id>``; keep room.
MAX_ITEM_ID = 24
MIN_QUESTIONS_PER_NEED_AND_PHASE = 6


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


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=MAX_ITEM_ID)
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class Question(_Item):
    needs: list[Literal["career", "emotional", "practical", "profile", "other", "any"]]
    phase: list[Literal["start", "middle", "end"]] = Field(min_length=1)
    purpose: Literal["opening", "exploring", "options", "action", "reflection"]

    def fits(self, need: str) -> bool:
        return "any" in self.needs or need in self.needs


class Tip(_Item):
    quality: str
    phase: list[Literal["start", "middle", "end"]] = Field(min_length=1)


class CoachingBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[Question] = Field(min_length=60)
    tips: list[Tip] = Field(min_length=6)


class Activity(_Item):
    title_sv: str = Field(min_length=1)
    title_en: str = Field(min_length=1)

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en


class PromptBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    icebreakers: list[_Item] = Field(min_length=3)
    online_bonding: list[_Item] = Field(min_length=3)
    mentee_prep: list[_Item] = Field(min_length=3)
    mentor_reflection: list[_Item] = Field(min_length=3)
    circle_activities: list[Activity] = Field(min_length=3)


class Option(_Item):
    pass


Role = Literal["mentor", "mentee"]


def _both_roles() -> list[Role]:
    return ["mentor", "mentee"]


class EvalQuestion(_Item):
    kind: Literal["rating", "text", "choice"]
    options: list[Option] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=_both_roles)


class EvaluationBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pulse: list[EvalQuestion] = Field(min_length=3)
    checkin: list[EvalQuestion] = Field(min_length=1)
    midpoint: list[EvalQuestion] = Field(min_length=1)
    final: list[EvalQuestion] = Field(min_length=1)


class Resource(_Item):
    url: str = Field(pattern=r"^https?://")


class ResourceBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resources: list[Resource] = Field(min_length=1)


class ChecklistItem(_Item):
    """One point of the mentoring agreement, with the guide's reason for it."""

    title_sv: str
    title_en: str
    why_sv: str
    why_en: str
    kind: Literal["confirm", "support", "goals", "rhythm", "group"] = "confirm"
    circles_only: bool = False

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def why(self, lang: str) -> str:
        return self.why_sv if lang == "sv" else self.why_en


class AgreementBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ChecklistItem] = Field(min_length=10)
    support_options: list[Option] = Field(min_length=5)

    @field_validator("items")
    @classmethod
    def _unique(cls, items: list[ChecklistItem]) -> list[ChecklistItem]:
        ids = [i.id for i in items]
        if len(ids) != len(set(ids)):
            raise ValueError("item ids must be unique")
        return items


BANKS: dict[str, type[BaseModel]] = {
    "coaching": CoachingBank,
    "prompts": PromptBank,
    "evaluations": EvaluationBank,
    "resources": ResourceBank,
    "agreement": AgreementBank,
}


class Content:
    """All texts, in memory.  ``t(lang, key, **params)`` formats one message."""

    def __init__(self, strings: dict[str, dict[str, str]], banks: dict[str, Any]):
        self.strings = strings
        self.coaching: CoachingBank = banks["coaching"]
        self.prompts: PromptBank = banks["prompts"]
        self.evaluations: EvaluationBank = banks["evaluations"]
        self.resources: ResourceBank = banks["resources"]
        self.agreement: AgreementBank = banks["agreement"]

    def t(self, lang: str, key: str, /, **params: object) -> str:
        table = self.strings.get(lang) or self.strings["sv"]
        template = table[key]  # a missing key is a programming error: tests load all content
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in self.strings["sv"]


def load_content(directory: Path) -> Content:
    """Load and validate; raise :class:`ContentError` listing every problem."""
    strings, banks, problems = _read(directory)
    if problems:
        raise ContentError(problems)
    return Content(strings, banks)


def check_content(directory: Path) -> list[Problem]:
    return _read(directory)[2]


def _read(directory: Path) -> tuple[dict[str, dict[str, str]], dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    strings: dict[str, dict[str, str]] = {}
    sources: dict[str, dict[str, str]] = {}
    parsed = ParsedFiles(PARSER)
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
    for section, items in bank:
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for idx, item in enumerate(items):
            if isinstance(item, _Item):
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
