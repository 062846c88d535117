"""`rotate-secrets`: every stored secret ends up readable with the first key alone."""

import os
import subprocess
import sys

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.key_rotation.repository import ENCRYPTED_COLUMNS
from capacity_service.key_rotation.service import RotationCounts, rotate_secrets
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Base, Workspace
from capacity_service.models.workspace_alert_settings import WorkspaceAlertSettings
from tests.factories import make_workspace

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def by_table(results: list[RotationCounts]) -> dict[str, tuple[int, int, int]]:
    return {r.table: (r.rotated, r.current, r.unreadable) for r in results}


async def test_secrets_written_with_the_old_key_are_readable_with_the_new_key_alone(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    old = SecretCipher([OLD])
    workspaces = [
        await make_workspace(
            session,
            old,
            ghl_access_token=f"ghl-{i}",
            calendly_access_token=f"cal-{i}" if i % 2 else None,
            calendly_webhook_signing_key=f"sign-{i}",
        )
        for i in range(3)
    ]
    session.add(
        WorkspaceAlertSettings(
            workspace_id=workspaces[0].id, webhook_secret_encrypted=old.encrypt("hook-secret")
        )
    )
    await make_workspace(session)  # no secrets at all
    await session.flush()
    ids = [w.id for w in workspaces]

    results = await rotate_secrets(sessionmaker, SecretCipher([NEW, OLD]), batch_size=2)

    assert by_table(results) == {"workspace": (7, 0, 0), "workspace_alert_settings": (1, 0, 0)}
    new_only = SecretCipher([NEW])
    session.expire_all()
    for i, workspace_id in enumerate(ids):
        row = await session.get(Workspace, workspace_id)
        assert row is not None
        assert new_only.decrypt_optional(row.ghl_access_token_encrypted) == f"ghl-{i}"
        assert new_only.decrypt_optional(row.calendly_access_token_encrypted) == (
            f"cal-{i}" if i % 2 else None
        )
        assert new_only.decrypt_optional(row.calendly_webhook_signing_key_encrypted) == f"sign-{i}"
    alert = await session.scalar(select(WorkspaceAlertSettings))
    assert alert is not None
    assert new_only.decrypt_optional(alert.webhook_secret_encrypted) == "hook-secret"


async def test_a_second_rotation_rewrites_nothing(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    workspace_id = (await make_workspace(session, SecretCipher([OLD]), ghl_access_token="ghl")).id
    both = SecretCipher([NEW, OLD])
    await rotate_secrets(sessionmaker, both)
    session.expire_all()
    first = (await session.get(Workspace, workspace_id)).ghl_access_token_encrypted  # type: ignore[union-attr]

    results = await rotate_secrets(sessionmaker, both)

    assert by_table(results)["workspace"] == (0, 1, 0)
    session.expire_all()
    again = (await session.get(Workspace, workspace_id)).ghl_access_token_encrypted  # type: ignore[union-attr]
    assert again == first


async def test_a_secret_no_configured_key_reads_is_counted_and_left_as_it_is(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    lost = SecretCipher([Fernet.generate_key().decode()])
    workspace = await make_workspace(session, lost, ghl_access_token="lost")
    workspace_id, stored = workspace.id, workspace.ghl_access_token_encrypted

    results = await rotate_secrets(sessionmaker, SecretCipher([NEW, OLD]))

    counts = next(r for r in results if r.table == "workspace")
    assert (counts.rotated, counts.unreadable) == (0, 1)
    assert counts.unreadable_keys == [f"{workspace_id}.ghl_access_token_encrypted"]
    session.expire_all()
    row = await session.get(Workspace, workspace_id)
    assert row is not None
    assert row.ghl_access_token_encrypted == stored


def test_every_encrypted_column_of_the_schema_is_rotated() -> None:
    in_schema = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_encrypted")
    }
    rotated = {(source.name, column) for source in ENCRYPTED_COLUMNS for column in source.columns}
    assert rotated == in_schema


def test_the_command_prints_counts_per_table(database_url: str) -> None:
    from tests.conftest import ENCRYPTION_KEY

    result = subprocess.run(
        [sys.executable, "-m", "capacity_service.cli", "rotate-secrets", "--batch-size", "10"],
        env={
            **os.environ,
            "CAPACITY_DATABASE_URL": database_url,
            # The tests' own key only: a no-op on anything another test may have committed.
            "CAPACITY_ENCRYPTION_KEY": ENCRYPTION_KEY,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("workspace: ") and "re-encrypted" in line for line in lines)
    assert any(line.startswith("workspace_alert_settings: ") for line in lines)
