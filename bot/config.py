"""Configuration from the environment (and ``.env``), prefix ``MENTORBOT_``.

Bad configuration must stop start-up with one clear line naming the setting,
so :func:`load_settings` turns pydantic's errors into :class:`ConfigError`.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


class ConfigError(Exception):
    """A setting is wrong; the message names it and says what is expected."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MENTORBOT_", env_file=".env", extra="ignore", validate_default=True
    )

    database_url: str = "sqlite+aiosqlite:///mentorbot.db"
    telegram_token: str | None = None
    telegram_username: str | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0:8443"
    telegram_webhook_secret: str | None = None
    #: messages per second to Telegram overall (its published limit is about 30)
    telegram_rate_limit: float = Field(default=30, gt=0, le=10_000)
    discord_token: str | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    default_language: str = "sv"
    default_timezone: str = "Europe/Stockholm"
    content_dir: Path = DEFAULT_CONTENT_DIR
    invite_days: int = Field(default=30, ge=1, le=3650)
    messages_per_minute: int = Field(default=60, ge=1, le=1_000_000)
    scheduler_interval: float = Field(default=5.0, gt=0, le=3600)
    #: SQLite's ``PRAGMA synchronous``: FULL (default) makes every commit the bot
    #: confirmed survive a power loss; NORMAL is faster and may lose the last
    #: commits on power loss (never on a crash of the process); OFF risks the file.
    sqlite_synchronous: str = "FULL"

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
