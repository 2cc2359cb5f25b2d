"""Hotline settings: typed, read in layers, refusing a placeholder secret outside demo mode.

Layers, lowest first: the defaults shipped here → a TOML file (flat `key = value` lines named like
the fields below) → `HOTLINE_*` environment variables (`HOTLINE_HTTP_PORT=9000`) → keyword
overrides given to `load_settings`. The TOML file is the `config_file` argument, else the file named
by `HOTLINE_CONFIG`, else none. Relative paths are relative to the working directory.

Nothing is read at import: programs call the cached `get_settings()` at their edge, tests call
`load_settings(...)` with what they need.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from config.center_file import sample_center_path

ENV_PREFIX = "HOTLINE_"
CONFIG_ENV = "HOTLINE_CONFIG"
MIN_SECRET_LENGTH = 32
# A real random key of 32+ characters has far more distinct characters than this.
MIN_SECRET_DISTINCT_CHARS = 10
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
PLACEHOLDER_SECRETS = frozenset(
    {
        "change-me",
        "changeme",
        "change_me",
        "changethis",
        "secret",
        "dev",
        "please-change",
        "pleasechange",
        "xxx",
        "test",
        "password",
        "placeholder",
        "your-secret-key",
        "secret-key",
    }
)
# Long, distinctive fragments only: short words would also match inside real random keys.
PLACEHOLDER_FRAGMENTS = ("changeme", "changethis", "pleasechange", "replaceme", "placeholder")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_PORT = 65535
EIGHT_HOURS_S = 8 * 3600
DEFAULT_LOCKOUT_S = 300

# The values read from the TOML file for the `Settings` being built right now (see load_settings).
_FILE_VALUES: ContextVar[Mapping[str, Any] | None] = ContextVar("hotline_file_values", default=None)


class SettingsError(ValueError):
    """The settings cannot be used; `messages` says what is wrong and how to fix it."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class _ConfigFileSource(PydanticBaseSettingsSource):
    """The TOML-file layer: values `load_settings` read from the config file, if any."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` returns the whole layer at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_VALUES.get() or {})


class Settings(BaseSettings):
    """Everything a Hotline process needs to start: defaults, a TOML file, the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="forbid")

    data_dir: Path = Path("hotline-data")
    database_url: str | None = None
    redis_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=MAX_PORT)
    secret_key: SecretStr = SecretStr("")
    demo: bool = False
    center_file: Path | None = None
    session_max_age_s: int = Field(EIGHT_HOURS_S, gt=0)
    login_max_failures: int = Field(5, ge=1)
    login_lockout_s: int = Field(DEFAULT_LOCKOUT_S, ge=0)
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides beat the environment, which beats the TOML file, which beats the defaults."""
        return init_settings, env_settings, _ConfigFileSource(settings_cls)

    @field_validator("data_dir", "center_file")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"'{value}' is not a log level; use one of {', '.join(LOG_LEVELS)}")
        return level

    @model_validator(mode="after")
    def _real_secret_outside_demo(self) -> Settings:
        problem = secret_key_problem(self.secret_key.get_secret_value())
        if problem and not self.demo:
            raise ValueError(
                f"{problem}. Outside demo mode Hotline needs a random secret key of at least "
                f"{MIN_SECRET_LENGTH} characters: set HOTLINE_SECRET_KEY (or secret_key in the "
                f"config file) to the output of: {MAKE_SECRET}"
            )
        return self

    @property
    def db_url(self) -> str:
        """The database URL: `database_url`, else a SQLite file `<data_dir>/hotline.db`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hotline.db').as_posix()}"

    @property
    def center_path(self) -> Path:
        """The center file to load: `center_file`, else the shipped sample center."""
        return self.center_file if self.center_file is not None else sample_center_path()


def secret_key_problem(secret: str) -> str | None:
    """Why `secret` is not a usable secret key (never quoting it), or None when it is fine."""
    if not secret.strip():
        return "no secret key is set"
    normal = secret.strip().lower()
    squashed = normal.replace("-", "").replace("_", "")
    if normal in PLACEHOLDER_SECRETS or any(part in squashed for part in PLACEHOLDER_FRAGMENTS):
        return "the secret key is a placeholder"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"the secret key is too short ({len(secret)} characters)"
    if len(set(secret)) < MIN_SECRET_DISTINCT_CHARS:
        return "the secret key is a placeholder (too few distinct characters to be random)"
    return None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings: defaults → TOML file → HOTLINE_* environment → `overrides`."""
    path = config_file
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    file_values = read_config_file(path) if path is not None else {}
    token = _FILE_VALUES.set(file_values)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_messages(exc, path, file_values, overrides)) from None
    finally:
        _FILE_VALUES.reset(token)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once on first use (`get_settings.cache_clear()` to re-read)."""
    return load_settings()


def read_config_file(path: Path) -> dict[str, Any]:
    """The key/value table of a TOML settings file; `SettingsError` naming the file if unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError([f"{path}: cannot read the config file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        message = f"{path}: the config file is not UTF-8 text (byte {exc.start})"
        raise SettingsError([message]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{path}: invalid TOML: {exc}"]) from None


def _messages(
    exc: ValidationError,
    path: Path | None,
    file_values: Mapping[str, Any],
    overrides: Mapping[str, Any],
) -> list[str]:
    """Each validation error as 'where: what', where is the layer the bad value came from."""
    messages = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        text = _readable(error["type"], error["msg"], error["input"], shown=field != "secret_key")
        messages.append(f"{_origin(field, path, file_values, overrides)}{text}")
    return messages


def _origin(
    field: str, path: Path | None, file_values: Mapping[str, Any], overrides: Mapping[str, Any]
) -> str:
    """A prefix naming where the value of `field` was set, highest layer first."""
    if not field:
        return ""
    env_name = ENV_PREFIX + field.upper()
    if field in overrides:
        return f"{field}: "
    if os.environ.get(env_name):
        return f"{env_name}: "
    if field in file_values and path is not None:
        return f"{path}: {field}: "
    return f"{field}: "


def _readable(kind: str, msg: str, value: Any, *, shown: bool) -> str:
    """A pydantic message in the words a person editing a config file uses."""
    if kind == "extra_forbidden":
        return "unknown setting"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    text = msg.replace("Input should be", "must be")
    # Never echo a secret back, not even a malformed one.
    return f"{text}, got {value!r}" if shown else text
