"""Settings fail early, in one line."""

import subprocess
import sys

import pytest

from capacity_service.config import (
    GHL_WEBHOOK_ED25519_PUBLIC_KEY,
    GHL_WEBHOOK_RSA_PUBLIC_KEY,
    ConfigError,
    load_settings,
)


def test_invalid_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPACITY_DEFAULT_WINDOW_DAYS", "500")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "CAPACITY_DEFAULT_WINDOW_DAYS" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_bad_encryption_key_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPACITY_ENCRYPTION_KEY", "short")
    with pytest.raises(ConfigError, match="Fernet"):
        load_settings()


def test_non_postgres_url_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPACITY_DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings()


def test_cli_with_database_but_no_secrets_exits_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "capacity_service.cli", "migrate"],
        env={"CAPACITY_DATABASE_URL": "postgresql://u@127.0.0.1:1/x", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: missing required setting(s): CAPACITY_ADMIN_TOKEN, CAPACITY_ENCRYPTION_KEY"
    ]


def test_an_admin_token_list_without_any_token_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPACITY_ADMIN_TOKEN", " , ")
    with pytest.raises(ConfigError, match="CAPACITY_ADMIN_TOKEN"):
        load_settings()


def test_a_ghl_public_key_setting_without_a_pem_block_is_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAPACITY_GHL_WEBHOOK_PUBLIC_KEY", "not a key")
    with pytest.raises(ConfigError, match="CAPACITY_GHL_WEBHOOK_PUBLIC_KEY.*PEM"):
        load_settings()


def test_an_rsa_key_in_the_ed25519_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPACITY_GHL_WEBHOOK_PUBLIC_KEY", GHL_WEBHOOK_RSA_PUBLIC_KEY)
    with pytest.raises(ConfigError, match="not Ed25519"):
        load_settings()


def test_the_ghl_key_settings_accept_concatenated_pem_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    both = GHL_WEBHOOK_ED25519_PUBLIC_KEY + GHL_WEBHOOK_ED25519_PUBLIC_KEY
    monkeypatch.setenv("CAPACITY_GHL_WEBHOOK_PUBLIC_KEY", both)
    monkeypatch.setenv("CAPACITY_GHL_WEBHOOK_LEGACY_PUBLIC_KEY", GHL_WEBHOOK_RSA_PUBLIC_KEY * 2)
    settings = load_settings()
    assert settings.ghl_webhook_public_key == both


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "capacity_service.cli", *args],
        env={
            "CAPACITY_DATABASE_URL": "postgresql://u@127.0.0.1:1/x",
            "PATH": "/usr/bin:/bin",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_worker_starts_without_an_admin_token_it_never_uses() -> None:
    """It gets past the settings check and fails only on the (unreachable) database."""
    result = _run_cli("worker", "--no-migrate", env={"CAPACITY_ENCRYPTION_KEY": _FERNET_KEY})
    assert result.returncode == 2
    assert "CAPACITY_ADMIN_TOKEN" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot reach the database")


def test_the_worker_still_requires_the_encryption_key() -> None:
    result = _run_cli("worker", "--no-migrate", env={})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: missing required setting(s): CAPACITY_ENCRYPTION_KEY"
    ]


def test_serve_still_requires_the_admin_token() -> None:
    result = _run_cli("serve", env={"CAPACITY_ENCRYPTION_KEY": _FERNET_KEY})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: missing required setting(s): CAPACITY_ADMIN_TOKEN"
    ]


_FERNET_KEY = "x" * 43 + "="
