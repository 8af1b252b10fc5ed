"""The one settings class. Every value comes from a ``BULKFLOW_*`` variable or a safe default."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.errors import ConfigError

Tier = Literal["high", "medium", "low"]
TIERS: tuple[Tier, ...] = ("high", "medium", "low")


def default_home() -> Path:
    """``$XDG_DATA_HOME/bulkflow``, else ``~/.local/share/bulkflow``: the same from any cwd."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # the XDG spec says a relative value is invalid and must be ignored
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "bulkflow"


def packaged_datasets_dir() -> Path:
    """The dataset schemas shipped inside the package (``schemas/datasets/*.yaml``)."""
    return Path(str(resources.files("schemas").joinpath("datasets")))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BULKFLOW_", extra="ignore")

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:19092"
    topic_prefix: str = "bulkflow"
    chunk_partitions: int = Field(8, ge=1)
    topic_partitions: int = Field(4, ge=1, description="partitions of every other topic")
    replication_factor: int = Field(1, ge=1)
    # BULKFLOW_INSTANCE_ID: this process's static consumer-group membership
    # (group.instance.id), set per child by the supervisor; "" = dynamic membership
    instance_id: str = Field("", pattern=r"^[A-Za-z0-9._-]{0,200}$")

    # where things live on one machine; relative values are made absolute once, here, so
    # child processes (which get them as BULKFLOW_* variables) see the same folders
    home: Path = Field(default_factory=default_home)
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "bulkflow")
    # BULKFLOW_DATABASE_URL: SQLAlchemy URL, e.g. postgresql+psycopg://user:password@host/db
    # with libpq parameters as its query (?sslmode=verify-full&sslrootcert=/path/ca.pem);
    # "" = SQLite under home. Kept out of repr: the password is a secret.
    database_url: str = Field("", repr=False)
    spool_dir: Path | None = None
    datasets_dir: Path = Field(default_factory=packaged_datasets_dir)

    # local broker
    broker_port: int = 19092
    controller_port: int = 19093
    kafka_version: str = "4.0.1"
    broker_heap: str = "512m"

    # API: where `bulkflow serve` / `bulkflow api` listen, and where the CLI finds them
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_url: str = ""  # BULKFLOW_API_URL: the CLI's API address, when not on this machine
    api_keys: str = "demo:demo-key"
    idempotency_ttl_s: float = Field(24 * 3600, gt=0, description="an Idempotency-Key's lifetime")
    max_upload_bytes: int = 512 * 1024 * 1024
    # an upload paused in needs_mapping fails after this many seconds without a confirmed
    # mapping (BULKFLOW_MAPPING_TIMEOUT_S, default 24 h)
    mapping_timeout_s: float = Field(24 * 3600, gt=0)

    # tiers, by the row estimate made at upload
    tier_high_max_rows: int = 1_000
    tier_medium_max_rows: int = 5_000

    # chunk size policy, in rows (producer/size_policy.py picks by the chunk topics' lag, in
    # chunks). Each chunk costs a record each way, a transaction and a progress update
    # whatever its size, so small chunks lose throughput; under load those costs matter
    # most, so busy topics get 10,000-row chunks too, and the small-upload latency goal
    # still holds with them (docs/decisions.md). chunk_max_bytes: one chunk record's most.
    chunk_rows_busy: int = 10_000
    chunk_rows_normal: int = 10_000
    chunk_rows_idle: int = 10_000
    chunk_lag_busy: int = 100
    chunk_lag_normal: int = 50
    chunk_max_bytes: int = 1024 * 1024

    # worker concurrency per tier
    concurrency_high: int = Field(8, ge=1)
    concurrency_medium: int = Field(6, ge=1)
    concurrency_low: int = Field(4, ge=1)
    # Kafka-level compression of what the faust apps send (results, chunk results, progress).
    # none by default: lz4 halves the broker's bytes but costs the workers about a fifth of
    # their throughput (docs/decisions.md, faust); lz4 suits brokers short of room.
    stream_compression: Literal["none", "lz4", "zstd", "gzip"] = "none"
    # Kafka-level compression of what the API, the producers and operator tools send (upload
    # blobs, chunks, job events). none by default: an XLSX blob is a zip and a chunk is lz4
    # Arrow already, so lz4 over them costs CPU in the sender and in the broker (which
    # decompresses to validate) for little gain (docs/decisions.md). lz4 suits CSV uploads
    # over a thin network.
    publish_compression: Literal["none", "lz4", "zstd", "gzip"] = "none"

    @field_validator("home", "cache_dir", "spool_dir", "datasets_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser().absolute()

    @field_validator("api_keys")
    @classmethod
    def _check_api_keys(cls, value: str) -> str:
        for pair in filter(None, (p.strip() for p in value.split(","))):
            tenant, sep, key = pair.partition(":")
            if not sep or not tenant or not key:
                raise ValueError(f"BULKFLOW_API_KEYS entry {pair!r} is not 'tenant:key'")
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'bulkflow.db').resolve()}"

    @property
    def spool_path(self) -> Path:
        return self.spool_dir or self.home / "spool"

    def api_key_map(self) -> dict[str, str]:
        """Key -> tenant."""
        keys: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in self.api_keys.split(","))):
            tenant, _, key = pair.partition(":")
            keys[key] = tenant
        return keys

    def tier_for_rows(self, estimated_rows: int) -> Tier:
        if estimated_rows < self.tier_high_max_rows:
            return "high"
        if estimated_rows <= self.tier_medium_max_rows:
            return "medium"
        return "low"

    def concurrency(self, tier: Tier) -> int:
        return {"high": self.concurrency_high, "medium": self.concurrency_medium}.get(
            tier, self.concurrency_low
        )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"bad BULKFLOW_* setting: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
