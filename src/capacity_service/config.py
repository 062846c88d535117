"""All settings in one place, read from the environment with the `CAPACITY_` prefix."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from capacity_service.webhooks.signatures import ed25519_public_keys, rsa_public_keys

GHL_WEBHOOK_ED25519_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
"""

GHL_WEBHOOK_RSA_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
"""


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line a person can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAPACITY_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg:// URL. Unset: an embedded PostgreSQL under data_dir.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Embedded database and local keys.")
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=500,
        description="Pooled database connections per API or worker process; as many again "
        "may be opened beyond it at a peak and are closed after use. Size it to the requests "
        "a process has in flight: a connection opened per request costs more than the request.",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token(s) for /v1/admin/*, comma separated (several while rotating). "
        "Required with database_url.",
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s), comma separated, newest first, encrypting provider secrets.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"

    ghl_base_url: str = "https://services.leadconnectorhq.com"
    ghl_api_version: str = "2021-04-15"
    calendly_base_url: str = "https://api.calendly.com"
    provider_timeout_seconds: float = Field(default=10.0, gt=0)
    provider_retry_max_seconds: float = Field(default=30.0, gt=0)

    ghl_webhook_public_key: str = Field(
        default=GHL_WEBHOOK_ED25519_PUBLIC_KEY,
        description="Ed25519 PEM(s) for X-GHL-Signature; concatenated blocks while rotating.",
    )
    ghl_webhook_legacy_public_key: str = Field(
        default=GHL_WEBHOOK_RSA_PUBLIC_KEY,
        description="RSA PEM(s) for the legacy x-wh-signature; concatenated blocks while rotating.",
    )
    ghl_webhook_tolerance_seconds: int = Field(default=300, ge=1)
    calendly_webhook_tolerance_seconds: int = Field(default=180, ge=1)

    alert_over_capacity_pct: float = Field(
        default=85, ge=0, le=100, description="Default over-capacity alert: % booked at or above."
    )
    alert_under_used_pct: float | None = Field(
        default=None, ge=0, le=100, description="Default under-used alert: % booked at or below."
    )
    alert_webhook_url: str | None = Field(
        default=None, description="Operator's outgoing webhook: every workspace's alerts."
    )
    alert_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key signing the operator's alert webhooks."
    )
    alert_delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    alert_delivery_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    alert_delivery_backoff_seconds: float = Field(
        default=30.0, gt=0, description="First retry delay of a failed alert webhook; doubles."
    )

    staleness_threshold_minutes: int = Field(default=60, ge=1)
    default_window_days: int = Field(default=30, ge=1, le=90)
    analytics_cache_seconds: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="Longest an analytics answer is served from the API process's memory; any "
        "committed change of the workspace's data evicts it sooner (database notifications). "
        "The bound is for time itself: the window slides and availability ages. 0 disables it.",
    )
    availability_margin_days: int = Field(default=2, ge=0, le=30)
    refresh_interval_seconds: int = Field(default=900, ge=30)
    reconcile_interval_seconds: int = Field(default=3600, ge=60)
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    backfill_concurrency: int = Field(
        default=8, ge=1, le=100, description="Attribution lookups in flight per provider account."
    )
    webhook_event_retention_days: int = Field(
        default=30,
        ge=1,
        description="Processed/ignored webhook events (raw bodies) kept this long.",
    )
    failed_webhook_event_retention_days: int = Field(
        default=90, ge=1, description="Failed or unprocessed webhook events kept this long."
    )
    job_log_retention_days: int = Field(
        default=14, ge=1, description="pgqueuer_log rows (job outcomes, tracebacks) kept this long."
    )
    backfill_batch_size: int = Field(
        default=100, ge=1, le=1000, description="Rows per backfill read and per progress commit."
    )

    @field_validator("encryption_key")
    @classmethod
    def _valid_fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for key in value.get_secret_value().split(","):
            try:
                Fernet(key.strip().encode())
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    "must be Fernet keys (32 url-safe base64 bytes); "
                    "make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'"
                ) from exc
        return value

    @field_validator("admin_token")
    @classmethod
    def _some_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _split_tokens(value):
            raise ValueError("holds no token (comma separated, at least one not empty)")
        return value

    @field_validator("ghl_webhook_public_key")
    @classmethod
    def _ed25519_pems(cls, value: str) -> str:
        ed25519_public_keys(value)
        return value

    @field_validator("ghl_webhook_legacy_public_key")
    @classmethod
    def _rsa_pems(cls, value: str) -> str:
        rsa_public_keys(value)
        return value

    @model_validator(mode="after")
    def _alert_webhook_signed(self) -> Settings:
        if not self.alert_webhook_url:
            return self
        if not self.alert_webhook_url.startswith(("http://", "https://")):
            raise ValueError("CAPACITY_ALERT_WEBHOOK_URL must be an http(s) URL")
        if self.alert_webhook_secret is None:
            raise ValueError("CAPACITY_ALERT_WEBHOOK_SECRET is required with the webhook URL")
        return self

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a PostgreSQL URL (postgresql+asyncpg://user:pass@host/db)")
        return value

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def fernet_keys(self) -> list[str]:
        if self.encryption_key is None:
            raise ConfigError("CAPACITY_ENCRYPTION_KEY is not set")
        return [k.strip() for k in self.encryption_key.get_secret_value().split(",") if k.strip()]

    @property
    def admin_tokens(self) -> list[str]:
        """Every accepted admin token: more than one while a rotation is under way."""
        return [] if self.admin_token is None else _split_tokens(self.admin_token)

    def require_runtime_secrets(self, *, admin_token: bool = True) -> None:
        """The service refuses to start without the secrets that guard the API and the data.

        `admin_token=False` for processes that serve no API (the worker): they need only the
        database and the encryption key.
        """
        required = [("CAPACITY_ADMIN_TOKEN", self.admin_token)] if admin_token else []
        required.append(("CAPACITY_ENCRYPTION_KEY", self.encryption_key))
        missing = [name for name, value in required if value is None]
        if missing:
            raise ConfigError(f"missing required setting(s): {', '.join(missing)}")


def _split_tokens(value: SecretStr) -> list[str]:
    return [t.strip() for t in value.get_secret_value().split(",") if t.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"CAPACITY_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def with_local_secrets(settings: Settings) -> Settings:
    """Fill a missing admin token and encryption key for a local run from files in data_dir.

    Only used when no database URL is given, so that `make run` works on a fresh machine while
    a deployment against a real database must state its secrets explicitly.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    updates: dict[str, object] = {}
    if settings.admin_token is None:
        updates["admin_token"] = SecretStr(
            _read_or_create(settings.data_dir / "admin-token", lambda: secrets.token_urlsafe(32))
        )
    if settings.encryption_key is None:
        updates["encryption_key"] = SecretStr(
            _read_or_create(
                settings.data_dir / "encryption-key", lambda: Fernet.generate_key().decode()
            )
        )
    return settings.model_copy(update=updates) if updates else settings


def _read_or_create(path: Path, make: object) -> str:
    if path.exists():
        return path.read_text().strip()
    assert callable(make)
    value = str(make())
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value
