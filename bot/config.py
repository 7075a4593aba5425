"""Configuration from the environment (and ``.env``), prefix ``MENTORBOT_``.

Bad configuration must stop start-up with one clear line naming the setting,
so :func:`load_settings` turns pydantic's errors into :class:`ConfigError`.

The settings read their variables themselves (:func:`environment`), the way
pydantic-settings read them before: names in any case, the environment over
``.env``, arguments over both.  Every setting is a plain value converted from
text, described once in :data:`FIELDS`.  Importing pydantic and building a
model is a fifth of a second of every start, and a start whose settings are
all plainly right needs none of it: :func:`_plainly` converts the values it is
sure of (digits for a number, text for text, each setting's own check), and
anything else -- a wrong value, an unusual spelling -- goes to the pydantic
model built from the same :data:`FIELDS`, which names the problem exactly as
before (or accepts it, and its values are used).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ENV_PREFIX = "MENTORBOT_"
#: exit code for configuration a person must fix (sysexits' EX_CONFIG): a
#: service manager should not restart into the same mistake
EXIT_CONFIG = 78
#: exit code when a platform stayed unreachable through every retry at start
#: (sysexits' EX_UNAVAILABLE): a service manager may try again later
EXIT_UNAVAILABLE = 69


def packaged_content_dir() -> Path:
    """The texts shipped inside the package (``bot/content_data``).

    Beside this module in every install pip makes (a folder on disk); else
    read through :mod:`importlib.resources`, so it is found wherever the
    package is, and from a zip the tree is copied out once.  The folder is
    looked at first because importing :mod:`importlib.resources` (with
    :mod:`tempfile` and :mod:`shutil`) costs every start a hundredth of a second.
    """
    beside = Path(__file__).parent / "content_data"
    if beside.is_dir():
        return beside
    from importlib.resources import files

    resource = files("bot") / "content_data"
    if isinstance(resource, Path):
        return resource
    import tempfile  # only for a zipped install, never on a normal start

    target = Path(tempfile.mkdtemp(prefix="mentorbot-content-"))
    _copy_tree(resource, target)
    return target


def _copy_tree(source: Traversable, target: Path) -> None:
    for item in source.iterdir():
        if item.is_dir():
            (target / item.name).mkdir()
            _copy_tree(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())


DEFAULT_CONTENT_DIR = packaged_content_dir()


class ConfigError(Exception):
    """A setting is wrong; the message names it and says what is expected."""


def _known_driver(value: str) -> str:
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("expected sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB")
    return value


def _sync_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("EXTRA", "FULL", "NORMAL", "OFF"):
        raise ValueError("expected FULL (default), EXTRA, NORMAL or OFF")
    return level


def _known_language(value: str) -> str:
    if value not in ("sv", "en"):
        raise ValueError("expected sv or en")
    return value


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("expected an IANA time zone such as Europe/Stockholm") from exc
    return value


def _host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:8443")
    return value


def _existing_dir(value: Path) -> Path:
    if not value.is_dir():
        raise ValueError(f"no such directory: {value}")
    return value


@dataclass(frozen=True)
class Field:
    """One setting: its type (``str``, ``str | None``, ``int``, ``float``,
    ``Path``), default, help line, bounds (``gt``/``ge``, ``le``) and check."""

    kind: str
    default: Any
    description: str
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    check: Callable[[Any], Any] | None = None


#: every setting, in the order ``--help`` lists them
FIELDS: dict[str, Field] = {
    "database_url": Field(
        "str",
        "sqlite+aiosqlite:///mentorbot.db",
        "sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER:PW@HOST/DB",
        check=_known_driver,
    ),
    "telegram_token": Field("str | None", None, "BotFather's token; starts the Telegram adapter"),
    "telegram_username": Field("str | None", None, "the bot's username, for t.me deep links"),
    "telegram_api_url": Field("str | None", None, "another Bot API server (default: Telegram's)"),
    "telegram_webhook_url": Field(
        "str | None", None, "public HTTPS URL: webhook mode instead of long polling"
    ),
    "telegram_webhook_listen": Field(
        "str", "0.0.0.0:8443", "HOST:PORT the webhook server listens on", check=_host_port
    ),
    "telegram_webhook_secret": Field(
        "str | None", None, "secret Telegram sends with each webhook call (required)"
    ),
    # messages per second to Telegram overall (its published limit is about 30)
    "telegram_rate_limit": Field(
        "float", 30, "messages per second to Telegram overall", gt=0, le=10_000
    ),
    "discord_token": Field("str | None", None, "the Discord bot token; starts the Discord adapter"),
    "discord_api_url": Field(
        "str | None", None, "another Discord REST endpoint (default: Discord's)"
    ),
    "discord_gateway_url": Field(
        "str | None", None, "another Discord gateway (default: Discord's)"
    ),
    "default_language": Field("str", "sv", "sv or en", check=_known_language),
    "default_timezone": Field(
        "str", "Europe/Stockholm", "IANA time zone suggested to new people", check=_known_zone
    ),
    "content_dir": Field(
        "Path",
        DEFAULT_CONTENT_DIR,
        "where the texts live (default: the ones shipped in the package)",
        check=_existing_dir,
    ),
    "invite_days": Field("int", 30, "days an invite code stays valid", ge=1, le=3650),
    "messages_per_minute": Field("int", 60, "flood limit per person", ge=1, le=1_000_000),
    "scheduler_interval": Field("float", 5.0, "seconds between scheduler ticks", gt=0, le=3600),
    "start_retries": Field(
        "int",
        5,
        "retries when a platform is unreachable at start, then exit 69",
        ge=0,
        le=100,
    ),
    "start_backoff": Field(
        "float",
        2.0,
        "seconds before the first retry; doubles each time (at most 60)",
        gt=0,
        le=300,
    ),
    "sqlite_synchronous": Field(
        "str",
        "FULL",
        "SQLite's PRAGMA synchronous: FULL keeps every confirmed commit across a power "
        "loss; NORMAL is faster and may lose the last commits on power loss",
        check=_sync_level,
    ),
}


class Settings:
    """Every setting; built from :func:`environment` and the arguments given
    (which win).  A wrong value raises pydantic's ``ValidationError``
    (:func:`load_settings` turns it into a :class:`ConfigError`)."""

    database_url: str
    telegram_token: str | None
    telegram_username: str | None
    telegram_api_url: str | None
    telegram_webhook_url: str | None
    telegram_webhook_listen: str
    telegram_webhook_secret: str | None
    telegram_rate_limit: float
    discord_token: str | None
    discord_api_url: str | None
    discord_gateway_url: str | None
    default_language: str
    default_timezone: str
    content_dir: Path
    invite_days: int
    messages_per_minute: int
    scheduler_interval: float
    start_retries: int
    start_backoff: float
    sqlite_synchronous: str

    #: the settings' descriptions, by name (as pydantic's ``model_fields`` was)
    model_fields = FIELDS

    def __init__(self, **values: Any) -> None:
        given = {**environment(), **values}
        converted = _plainly(given)
        if converted is None:  # pydantic decides, and names what is wrong
            model = _model()(**given)
            converted = {name: getattr(model, name) for name in FIELDS}
        self.__dict__.update(converted)

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Settings:
        """A copy with some values replaced (not checked, as pydantic's)."""
        copy = object.__new__(Settings)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(update or {})
        return copy

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if "token" not in k)
        return f"Settings({shown})"

    @property
    def webhook_host(self) -> str:
        return self.telegram_webhook_listen.rpartition(":")[0]

    @property
    def webhook_port(self) -> int:
        return int(self.telegram_webhook_listen.rpartition(":")[2])


_DIGITS = re.compile(r"[0-9]{1,15}")
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")


def _plainly(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Every setting converted, when each value is one whose conversion is
    beyond doubt (the same value pydantic gives it); else None."""
    out: dict[str, Any] = {}
    for name, field in FIELDS.items():
        value = values.get(name, field.default)
        kind = field.kind
        if kind == "str | None" and value is None:
            out[name] = None
            continue
        if kind in ("str", "str | None"):
            if type(value) is not str:
                return None
        elif kind == "Path":
            if not isinstance(value, (str, Path)):
                return None
            value = Path(value)
        elif kind == "int":
            if type(value) is str and _DIGITS.fullmatch(value):
                value = int(value)
            elif type(value) is not int:
                return None
        elif type(value) is str and _DECIMAL.fullmatch(value):  # float
            value = float(value)
        elif type(value) in (int, float):
            value = float(value)
        else:
            return None
        if not _within(value, field):
            return None
        if field.check is not None:
            try:
                value = field.check(value)
            except ValueError:
                return None
        out[name] = value
    return out


def _within(value: float, field: Field) -> bool:
    return (
        (field.gt is None or value > field.gt)
        and (field.ge is None or value >= field.ge)
        and (field.le is None or value <= field.le)
    )


@cache
def _model() -> Any:
    """The settings as a pydantic model, built from :data:`FIELDS`: what
    checks a value :func:`_plainly` is not sure of, with pydantic's messages."""
    from pydantic import ConfigDict, create_model, field_validator
    from pydantic import Field as PydanticField

    types: dict[str, Any] = {
        "str": str,
        "str | None": str | None,
        "int": int,
        "float": float,
        "Path": Path,
    }
    fields: dict[str, Any] = {
        name: (
            types[f.kind],
            PydanticField(default=f.default, gt=f.gt, ge=f.ge, le=f.le, description=f.description),
        )
        for name, f in FIELDS.items()
    }
    validators = {
        f"_check_{name}": field_validator(name)(_classmethod(f.check))
        for name, f in FIELDS.items()
        if f.check is not None
    }
    return create_model(  # type: ignore[call-overload]
        "Settings",
        __config__=ConfigDict(extra="ignore", validate_default=True),
        __validators__=validators,
        **fields,
    )


def _classmethod(check: Callable[[Any], Any]) -> Any:
    def validate(cls: type, value: Any) -> Any:
        return check(value)

    return classmethod(validate)


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise :class:`ConfigError` with one line per bad setting."""
    try:
        settings = Settings(**overrides)
    except Exception as exc:
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        lines = []
        for err in exc.errors():
            name = "MENTORBOT_" + "_".join(str(p) for p in err["loc"]).upper()
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {msg}")
        raise ConfigError("; ".join(lines)) from None
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        raise ConfigError(
            "MENTORBOT_TELEGRAM_WEBHOOK_SECRET: required when MENTORBOT_TELEGRAM_WEBHOOK_URL is set"
        )
    return settings


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings' values as text: each ``MENTORBOT_*`` variable (in any
    case) of ``.env`` in the working directory, then of the environment, which
    wins; a name without a value in ``.env`` is skipped."""
    fields = {(ENV_PREFIX + name).lower(): name for name in FIELDS}
    sources: list[Mapping[str, str | None]] = []
    if environ is None:
        if Path(".env").is_file():
            from dotenv import dotenv_values

            sources.append(dotenv_values(".env"))
        environ = os.environ
    sources.append(environ)
    values: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            name = fields.get(key.lower())
            if name is not None and value is not None:
                values[name] = value
    return values


def setting_names() -> list[str]:
    """Every setting as its environment variable, in declaration order."""
    return [ENV_PREFIX + name.upper() for name in FIELDS]


def unknown_settings(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per ``MENTORBOT_*`` variable that is no setting.

    The environment and ``.env`` are both checked.  A misspelt name would
    otherwise be ignored in silence (a misspelt token
    quietly starts the console instead of Telegram), so the closest real
    setting is named.  Variables the tests and scripts use for themselves
    (``MENTORBOT_TEST_*``, ``_PG_*``, ``_BENCH_*``) are not settings and pass.
    """
    env: Mapping[str, str | None]
    if environ is None:
        env = os.environ
        if Path(".env").is_file():  # python-dotenv only then, as in :func:`environment`
            from dotenv import dotenv_values

            env = {**dotenv_values(".env"), **os.environ}
    else:
        env = environ
    known = setting_names()
    warnings = []
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        if upper.startswith((ENV_PREFIX + "TEST_", ENV_PREFIX + "PG_", ENV_PREFIX + "BENCH_")):
            continue
        import difflib  # only when a name is unknown

        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a setting and is ignored{hint}")
    return warnings


def settings_help() -> str:
    """Every setting with its default, for ``mentorbot run --help``."""
    lines = ["settings (environment or .env):"]
    for name, field in FIELDS.items():
        default = field.default
        if name == "content_dir":
            shown = "(shipped texts)"
        elif default is None:
            shown = "-"
        else:
            shown = str(default)
        lines.append(f"  {ENV_PREFIX + name.upper():<36} default {shown}")
        lines.append(f"  {'':<36} {field.description or ''}")
    return "\n".join(lines)
