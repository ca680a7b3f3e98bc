"""Configuration from the environment and `.env`; `deploy/.env.example` lists every variable."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_BASE_FILE_URL = "https://api.telegram.org/file/bot"
MATRIX_ID = re.compile(r"@[^:\s]+:[^\s]+")


class AiProvider(StrEnum):
    ANTHROPIC = "anthropic"
    OFFLINE = "offline"


class WeatherProvider(StrEnum):
    OPEN_METEO = "open-meteo"
    MANUAL = "manual"


class GeocoderBackend(StrEnum):
    OFFLINE = "offline"
    NOMINATIM = "nominatim"


class Settings(BaseSettings):
    """Every setting of the bot; field names are the environment variable names (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = TELEGRAM_BASE_URL
    telegram_base_file_url: str = TELEGRAM_BASE_FILE_URL
    database_url: str | None = None
    aimtrack_data_dir: Path = Path("data")
    aimtrack_allowed_users: Annotated[frozenset[int], NoDecode] = frozenset()
    ai_provider: AiProvider | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    ai_model: str = "claude-sonnet-4-5"
    ai_max_tokens: int = Field(default=1024, gt=0, le=64_000)
    ai_timeout_s: float = Field(default=60.0, gt=0)
    ai_deadline_s: float = Field(default=45.0, gt=0)  # of a whole coach call; a stop cancels it at once
    weather_provider: WeatherProvider = WeatherProvider.OPEN_METEO
    geocoder: GeocoderBackend = GeocoderBackend.OFFLINE
    aimtrack_webhook_url: str | None = None
    aimtrack_webhook_secret: SecretStr | None = None
    aimtrack_listen: str = "127.0.0.1:8443"  # loopback: the reverse proxy in front is what the world reaches
    aimtrack_webhook_max_body_kb: int = Field(default=1024, gt=0)  # a bigger update is refused (413)
    aimtrack_webhook_timeout_s: float = Field(default=10.0, gt=0)  # for a whole request to come in
    aimtrack_webhook_max_connections: int = Field(default=100, gt=0)  # open at once; more are closed
    aimtrack_jobs_at_start: bool = False  # also run the daily/weekly jobs at start (still once per period)
    matrix_homeserver: str | None = None  # e.g. https://matrix.example.org
    matrix_user_id: str | None = None  # the bot's own account, e.g. @aimtrack:example.org
    matrix_access_token: SecretStr | None = None
    matrix_password: SecretStr | None = None  # instead of a token: the bot logs in at start
    aimtrack_allowed_matrix_users: Annotated[frozenset[str], NoDecode] = frozenset()
    aimtrack_max_upload_mb: float = Field(default=20.0, gt=0)  # the largest photo or file taken from Matrix

    @field_validator("aimtrack_allowed_users", mode="before")
    @classmethod
    def _split_user_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not part.isdigit():
                    raise ValueError(
                        f"{part!r} is not a Telegram user id (expected numbers separated by commas)"
                    )
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("aimtrack_allowed_matrix_users", mode="before")
    @classmethod
    def _split_matrix_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not MATRIX_ID.fullmatch(part):
                    raise ValueError(f"{part!r} is not a Matrix user id (expected @name:server, ...)")
            return frozenset(parts)
        return value

    @field_validator("matrix_user_id")
    @classmethod
    def _check_matrix_id(cls, value: str | None) -> str | None:
        if value is not None and not MATRIX_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a Matrix user id (expected @name:server)")
        return value

    @field_validator("aimtrack_listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{value!r} is not HOST:PORT")
        return value

    @field_validator(
        "telegram_bot_token",
        "anthropic_api_key",
        "aimtrack_webhook_secret",
        "matrix_access_token",
        "matrix_password",
        "matrix_homeserver",
        "matrix_user_id",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("aimtrack_webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("use 1-256 characters: letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        if self.ai_provider is None:
            self.ai_provider = AiProvider.ANTHROPIC if self.anthropic_api_key else AiProvider.OFFLINE
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{self.aimtrack_data_dir.resolve() / 'aimtrack.db'}"
        return self

    @property
    def matrix_enabled(self) -> bool:
        """The bot serves Matrix: a homeserver, its account, and a token or a password are set."""
        credentials = self.matrix_access_token or self.matrix_password
        return bool(self.matrix_homeserver and self.matrix_user_id and credentials)

    @property
    def listen_host(self) -> str:
        return self.aimtrack_listen.rpartition(":")[0]

    @property
    def listen_port(self) -> int:
        return int(self.aimtrack_listen.rpartition(":")[2])


class SettingsError(Exception):
    """A configuration value is wrong; `str()` is one line naming the variable."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning a validation error into one clear line per wrong variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{variable}: {message}")
        raise SettingsError("; ".join(lines)) from None
