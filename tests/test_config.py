"""Settings fail early, in one line."""

import subprocess
import sys

import pytest

from capacity_service.config import ConfigError, load_settings


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
