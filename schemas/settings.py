"""The one settings class. Every value comes from a ``BULKFLOW_*`` variable or a safe default."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
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
    # every topic's copies (bulkflow's and faust's own), and how many of them must have a
    # record before Kafka acknowledges it (acks=all): 3 and 2 on a cluster, 1 and 1 on the
    # single local broker. Applied when a topic is created; `bulkflow topics create` reports
    # existing topics below them
    replication_factor: int = Field(1, ge=1)
    min_insync_replicas: int = Field(1, ge=1)
    # BULKFLOW_INSTANCE_ID: this process's static consumer-group membership
    # (group.instance.id), set per child by the supervisor; "" = dynamic membership
    instance_id: str = Field("", pattern=r"^[A-Za-z0-9._-]{0,200}$")

    # Kafka security, applied to every client (messaging/security.py; docs/deploy.md).
    # PLAINTEXT suits the open local broker only; a company's Kafka wants SASL_SSL or SSL
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    # the password, or a file holding it (a secret an orchestrator mounts; one of the two).
    # Never printed: logs, /metrics, errors and the CLI show it as ********
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_sasl_password_file: Path | None = None
    # PEM files: the CA that signed the brokers' certificates (default: the system's trust
    # store), and this client's certificate and unencrypted key for mTLS (both or neither)
    kafka_ssl_ca_file: Path | None = None
    kafka_ssl_cert_file: Path | None = None
    kafka_ssl_key_file: Path | None = None
    # check that the broker's certificate names the host connected to (off only for a
    # broker whose certificate cannot name it; the CA is checked either way)
    kafka_ssl_verify_hostname: bool = True

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
    # the API's status view: at start it reads the progress topic from this many seconds
    # back (running jobs publish every few seconds); everything older comes from the
    # database (bulkflow_job_status), so start-up does not grow with history
    status_window_s: float = Field(300.0, ge=0)
    # finished statuses an API process keeps in memory, the most recent (older ones are read
    # from the database when asked for); running jobs are always kept
    status_recent_jobs: int = Field(10_000, ge=0)

    # a spool's size cap, bytes (the API's and each producer's): beyond it the files of
    # ended jobs go first, oldest first; a running job's file never goes, so an upload that
    # would pass the cap while only running jobs' files are left is refused (503)
    spool_max_bytes: int = Field(10 * 1024**3, ge=0)

    # the aggregator lets a finished job go from its table this many seconds after it ended
    # (a tombstone on its changelog); a late record for it reloads it from the database
    finished_job_grace_s: float = Field(600.0, ge=0)
    # seconds a sealed job may wait, after its last change and after a chunk of it was
    # written (the ledger's row), for that chunk's result: then the aggregator counts the
    # chunk from the ledger (a result lost on the way must not leave a job processing for ever)
    stalled_job_after_s: float = Field(30.0, gt=0)
    # bookkeeping retention (docs/operations.md). Ledger rows are kept at least this many
    # days, and beyond that for as long as any topic still holds a record that could replay
    # their chunk (row errors and dead letters: per dataset, in its YAML)
    ledger_retention_days: float = Field(35.0, gt=0)
    # how often, seconds, `bulkflow serve` runs `bulkflow gc`; 0: it runs none
    gc_interval_s: float = Field(3600.0, ge=0)

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
    # none by default: lz4 halves the broker's bytes but costs the workers twice the CPU to
    # send results and saves the broker none (docs/decisions.md, faust); lz4 suits brokers
    # short of room.
    stream_compression: Literal["none", "lz4", "zstd", "gzip"] = "none"
    # Kafka-level compression of what the API, the producers and operator tools send (upload
    # blobs, chunks, job events). none by default: an XLSX blob is a zip and a chunk is lz4
    # Arrow already, so lz4 over them costs CPU in the sender and in the broker (which
    # decompresses to validate) for little gain (docs/decisions.md). lz4 suits CSV uploads
    # over a thin network.
    publish_compression: Literal["none", "lz4", "zstd", "gzip"] = "none"

    @field_validator(
        "home",
        "cache_dir",
        "spool_dir",
        "datasets_dir",
        "kafka_sasl_password_file",
        "kafka_ssl_ca_file",
        "kafka_ssl_cert_file",
        "kafka_ssl_key_file",
    )
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.expanduser().absolute()

    @model_validator(mode="after")
    def _check_kafka_security(self) -> Settings:
        problems = kafka_security_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

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

    @property
    def kafka_uses_sasl(self) -> bool:
        return self.kafka_security_protocol.startswith("SASL_")

    @property
    def kafka_uses_tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

    def kafka_password(self) -> str:
        """The SASL password, from BULKFLOW_KAFKA_SASL_PASSWORD_FILE when it is set."""
        if self.kafka_sasl_password_file is not None:
            return self.kafka_sasl_password_file.read_text(encoding="utf-8").strip()
        return self.kafka_sasl_password.get_secret_value()

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


def kafka_security_problems(s: Settings) -> list[str]:
    """What makes the Kafka security settings unusable, each naming the setting to fix."""
    protocol = f"BULKFLOW_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol}"
    problems: list[str] = []
    if s.kafka_uses_sasl:
        if not s.kafka_sasl_username:
            problems.append(f"BULKFLOW_KAFKA_SASL_USERNAME is empty, and {protocol} needs it")
        has_password = bool(s.kafka_sasl_password.get_secret_value())
        if has_password and s.kafka_sasl_password_file is not None:
            problems.append(
                "both BULKFLOW_KAFKA_SASL_PASSWORD and BULKFLOW_KAFKA_SASL_PASSWORD_FILE are "
                "set: keep one"
            )
        elif not has_password and s.kafka_sasl_password_file is None:
            problems.append(
                f"{protocol} needs BULKFLOW_KAFKA_SASL_PASSWORD or "
                "BULKFLOW_KAFKA_SASL_PASSWORD_FILE"
            )
    elif s.kafka_sasl_username or s.kafka_sasl_password_file is not None:
        problems.append(
            f"a SASL user is set but {protocol} does not log in: set it to SASL_SSL "
            "(or SASL_PLAINTEXT)"
        )
    tls_files = {
        "BULKFLOW_KAFKA_SSL_CA_FILE": s.kafka_ssl_ca_file,
        "BULKFLOW_KAFKA_SSL_CERT_FILE": s.kafka_ssl_cert_file,
        "BULKFLOW_KAFKA_SSL_KEY_FILE": s.kafka_ssl_key_file,
    }
    if not s.kafka_uses_tls and any(tls_files.values()):
        problems.append(
            f"TLS files are set but {protocol} does not use TLS: set it to SSL or SASL_SSL"
        )
    if (s.kafka_ssl_cert_file is None) != (s.kafka_ssl_key_file is None):
        problems.append(
            "mTLS needs both BULKFLOW_KAFKA_SSL_CERT_FILE and BULKFLOW_KAFKA_SSL_KEY_FILE"
        )
    files = {**tls_files, "BULKFLOW_KAFKA_SASL_PASSWORD_FILE": s.kafka_sasl_password_file}
    for name, path in files.items():
        if path is not None and not os.access(path, os.R_OK):
            problems.append(f"{name}={path}: no such readable file")
    if s.min_insync_replicas > s.replication_factor:
        problems.append(
            f"BULKFLOW_MIN_INSYNC_REPLICAS={s.min_insync_replicas} exceeds "
            f"BULKFLOW_REPLICATION_FACTOR={s.replication_factor}: no write could succeed"
        )
    return problems


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming each bad setting, never its value (it may be a secret)."""
    parts = []
    for error in exc.errors():
        field = "_".join(str(p) for p in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"BULKFLOW_{field}: {message}" if field else message)
    return "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"bad setting: {describe_validation_error(exc)}") from None
    except ValueError as exc:
        raise ConfigError(f"bad BULKFLOW_* setting: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
