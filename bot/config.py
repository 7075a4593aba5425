"""Configuration from the environment (and ``.env``), prefix ``MENTORBOT_``.

Bad configuration must stop start-up with one clear line naming the setting,
so :func:`load_settings` turns pydantic's errors into :class:`ConfigError`.

The settings are a plain pydantic model that reads its variables itself
(:func:`environment`), the way pydantic-settings read them for it before:
names in any case, the environment over ``.env``, arguments over both.  Every
setting is a plain value that pydantic converts from text, so nothing of
pydantic-settings' richer sources was used, and importing it (with the
metadata, e-mail and zip modules it pulls in) was a tenth of the start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


class Settings(BaseModel):
    """Every setting; built from :func:`environment` and the arguments given."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**environment(), **values})

    database_url: str = Field(
        default="sqlite+aiosqlite:///mentorbot.db",
        description="sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER:PW@HOST/DB",
    )
    telegram_token: str | None = Field(
        default=None, description="BotFather's token; starts the Telegram adapter"
    )
    telegram_username: str | None = Field(
        default=None, description="the bot's username, for t.me deep links"
    )
    telegram_api_url: str | None = Field(
        default=None, description="another Bot API server (default: Telegram's)"
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="public HTTPS URL: webhook mode instead of long polling"
    )
    telegram_webhook_listen: str = Field(
        default="0.0.0.0:8443", description="HOST:PORT the webhook server listens on"
    )
    telegram_webhook_secret: str | None = Field(
        default=None, description="secret Telegram sends with each webhook call (required)"
    )
    #: messages per second to Telegram overall (its published limit is about 30)
    telegram_rate_limit: float = Field(
        default=30, gt=0, le=10_000, description="messages per second to Telegram overall"
    )
    discord_token: str | None = Field(
        default=None, description="the Discord bot token; starts the Discord adapter"
    )
    discord_api_url: str | None = Field(
        default=None, description="another Discord REST endpoint (default: Discord's)"
    )
    discord_gateway_url: str | None = Field(
        default=None, description="another Discord gateway (default: Discord's)"
    )
    default_language: str = Field(default="sv", description="sv or en")
    default_timezone: str = Field(
        default="Europe/Stockholm", description="IANA time zone suggested to new people"
    )
    content_dir: Path = Field(
        default=DEFAULT_CONTENT_DIR,
        description="where the texts live (default: the ones shipped in the package)",
    )
    invite_days: int = Field(
        default=30, ge=1, le=3650, description="days an invite code stays valid"
    )
    messages_per_minute: int = Field(
        default=60, ge=1, le=1_000_000, description="flood limit per person"
    )
    scheduler_interval: float = Field(
        default=5.0, gt=0, le=3600, description="seconds between scheduler ticks"
    )
    start_retries: int = Field(
        default=5,
        ge=0,
        le=100,
        description="retries when a platform is unreachable at start, then exit 69",
    )
    start_backoff: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="seconds before the first retry; doubles each time (at most 60)",
    )
    sqlite_synchronous: str = Field(
        default="FULL",
        description=(
            "SQLite's PRAGMA synchronous: FULL keeps every confirmed commit across a power "
            "loss; NORMAL is faster and may lose the last commits on power loss"
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB"
            )
        return value

    @field_validator("sqlite_synchronous")
    @classmethod
    def _sync_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("EXTRA", "FULL", "NORMAL", "OFF"):
            raise ValueError("expected FULL (default), EXTRA, NORMAL or OFF")
        return level

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("sv", "en"):
            raise ValueError("expected sv or en")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Europe/Stockholm") from exc
        return value

    @field_validator("telegram_webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:8443")
        return value

    @field_validator("content_dir")
    @classmethod
    def _existing_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"no such directory: {value}")
        return value

    @property
    def webhook_host(self) -> str:
        return self.telegram_webhook_listen.rpartition(":")[0]

    @property
    def webhook_port(self) -> int:
        return int(self.telegram_webhook_listen.rpartition(":")[2])


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise :class:`ConfigError` with one line per bad setting."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
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
    fields = {(ENV_PREFIX + name).lower(): name for name in Settings.model_fields}
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
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


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
    for name, field in Settings.model_fields.items():
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
