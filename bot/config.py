"""Settings: environment variables (``NEWSBOT_*``, plus ``DISCORD_TOKEN``) over an optional
TOML file (``NEWSBOT_CONFIG=path``) over defaults. The README's settings table is this class.

Usage::

    from bot.config import Settings, SettingsError, load_settings
    settings = Settings()                      # reads the environment (pydantic's errors)
    settings = Settings(data_dir=Path("/tmp/kb"))
    try:
        settings = load_settings(data_dir=Path("/tmp/kb"))   # what the CLI and the doctor call
    except SettingsError as exc:
        print(exc)    # one line: "NEWSBOT_TOP_K='lots': Input should be a valid integer ..."
    if debug_enabled():                        # NEWSBOT_DEBUG=1: tracebacks instead of one line
        ...

``NEWSBOT_CONFIG`` and ``NEWSBOT_DEBUG`` are read from the environment only (they are not
fields): the first says where the file is, the second must work when the settings do not load.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource
from pydantic_settings import SettingsError as PydanticSettingsError

from index.embedding import DEFAULT_MODEL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_VARIABLE = "NEWSBOT_CONFIG"
DEBUG_VARIABLE = "NEWSBOT_DEBUG"


class SettingsError(ValueError):
    """The settings do not load; the message is one line that names the variable."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsbot"


class Settings(BaseSettings):
    """Every setting, its env var (prefix NEWSBOT_, case-insensitive) and its default."""

    model_config = SettingsConfigDict(env_prefix="NEWSBOT_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir,
                           description="Where the knowledge base lives.")
    seeds_dir: Path = Field(default=PROJECT_ROOT / "seeds",
                            description="Articles indexed on first use when the knowledge base is empty.")
    model: str = Field(default=DEFAULT_MODEL,
                       description="Sentence-transformers model name or path; the default is bundled.")
    allow_model_download: bool = Field(default=False,
                                       description="Let a non-bundled model be fetched from a hub.")
    embed_batch_size: int = Field(default=8, ge=1, le=256, description="Windows per forward pass.")
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto", description="auto uses bfloat16 where the CPU has native support.")
    top_k: int = Field(default=10, ge=1, le=50, description="Passages retrieved per question.")
    lock_timeout: float = Field(default=120.0, ge=0, description="Seconds a writer waits for another.")
    vector_index: Literal["auto", "auto-sq8", "flat", "ivf", "ivf-sq8"] = Field(
        default="auto", description="FAISS layout: exact up to 100k chunks then IVF (`auto`), or fixed.")
    max_question_chars: int = Field(default=2000, ge=1, description="Longer questions are refused.")

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN",
                                            description="The bot token (env DISCORD_TOKEN).")
    discord_api_base: str | None = Field(default=None, description="REST base, for Discord-compatible servers.")
    discord_gateway: str | None = Field(default=None, description="Gateway URL, for Discord-compatible servers.")
    admin_role: str | None = Field(default=None, description="A role name that may also run admin commands.")
    thread_mode: bool = Field(default=False, description="Answer channel questions in a new thread.")
    answer_channels: list[int] = Field(default_factory=list,
                                       description="Channel ids where every message is taken as a question.")
    rate_limit_per_minute: int = Field(default=5, ge=1, description="Questions per member per minute.")
    max_attachment_bytes: int = Field(default=8 * 1024 * 1024, ge=1024,
                                      description="Largest /article add attachment accepted.")
    log_level: str = Field(default="INFO", description="Python logging level for `newsbot run`.")

    # Article intake (index/intake/fetch.py, index/intake/feeds.py).
    feed_interval: float = Field(default=15.0, gt=0, description="Minutes between feed polls in `newsbot run`.")
    announce_channel: int | None = Field(default=None,
                                         description="A channel id where the bot posts each new feed article.")
    fetch_allow_hosts: list[str] = Field(default_factory=list,
                                         description="Host names or addresses (JSON list) that fetching may reach "
                                                     "even when they resolve to loopback or private addresses.")
    fetch_timeout: float = Field(default=15.0, gt=0, description="Seconds a page or feed fetch may take.")
    fetch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="Largest page or feed fetched.")

    # The cluster backend (index/store/cluster/): both set, or neither (the embedded store).
    database_url: str | None = Field(default=None, description="A postgresql:// URL: the cluster backend's "
                                                                "source of truth.")
    milvus_uri: str | None = Field(default=None, description="Milvus: an http:// address, or a file path for "
                                                              "Milvus Lite.")
    shard_count: int | None = Field(default=None, ge=1, description="Total Discord shards across bot processes.")
    shard_ids: list[int] | None = Field(default=None, description="The shard ids this process runs (JSON list).")

    @field_validator("data_dir", "seeds_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_VARIABLE)
        if config_file:
            path = Path(config_file).expanduser()
            if not path.is_file():  # pydantic-settings would silently ignore it
                raise SettingsError(f"{CONFIG_VARIABLE}={config_file}: not a file (create that TOML file, "
                                    f"or unset {CONFIG_VARIABLE})")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def env_name(field: str) -> str:
    """The environment variable of a field: ``top_k`` → ``NEWSBOT_TOP_K``."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else f"NEWSBOT_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """``Settings(**overrides)``, with every way it can fail turned into one SettingsError line."""
    try:
        return Settings(**overrides)
    except SettingsError:
        raise
    except ValidationError as exc:
        raise SettingsError(validation_message(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{CONFIG_VARIABLE}={os.environ.get(CONFIG_VARIABLE)}: not valid TOML ({exc})") from exc
    except PydanticSettingsError as exc:  # a list setting whose value is not JSON
        field = str(exc).split('"')[1] if str(exc).count('"') >= 2 else ""
        raise SettingsError(f"{env_name(field) if field else 'a setting'}: not a valid JSON list "
                            "(write it like [1, 2] or [\"a\"])") from exc


def validation_message(exc: ValidationError) -> str:
    """pydantic's errors, one clause each, on one line: ``NEWSBOT_TOP_K='lots': Input should be ...``."""
    parts = []
    for error in exc.errors()[:5]:
        field = str(error.get("loc", ("",))[0])
        where = env_name(field) if field in Settings.model_fields else (field or "settings")
        value = error.get("input")
        shown = f"={value!r}" if isinstance(value, (str, int, float)) and field != "discord_token" else ""
        parts.append(f"{where}{shown}: {' '.join(str(error.get('msg', 'invalid')).split())}")
    if os.environ.get(CONFIG_VARIABLE):
        parts.append(f"(values may come from {os.environ[CONFIG_VARIABLE]}, as lower-case keys)")
    return "; ".join(parts)


def debug_enabled() -> bool:
    """``NEWSBOT_DEBUG`` set to anything but empty, 0, false, no or off: show tracebacks."""
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in ("", "0", "false", "no", "off")
