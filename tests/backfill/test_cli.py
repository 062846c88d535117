import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from capacity_service.cli import app
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers.fake import FakeProviderServer, FakeProviderState
from tests.backfill.conftest import rows_of, seed
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY


def cli_env(database_url: str, fake_server: FakeProviderServer) -> dict[str, str]:
    return {
        "CAPACITY_DATABASE_URL": database_url,
        "CAPACITY_ADMIN_TOKEN": ADMIN_TOKEN,
        "CAPACITY_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "CAPACITY_GHL_BASE_URL": fake_server.ghl_base_url,
        "CAPACITY_CALENDLY_BASE_URL": fake_server.calendly_base_url,
    }


async def test_cli_backfills_in_the_foreground_and_prints_the_summary(
    db: async_sessionmaker[AsyncSession],
    fake_state: FakeProviderState,
    fake_server: FakeProviderServer,
    cipher: SecretCipher,
    database_url: str,
) -> None:
    seeded = await seed(db, fake_state, cipher, ghl=3, calendly=2)

    # The command runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["backfill", str(seeded.workspace_id), "--concurrency", "2"],
        env=cli_env(database_url, fake_server),
    )

    assert result.exit_code == 0, result.output
    assert "succeeded: 3 HighLevel and 2 Calendly appointments attributed of 5" in result.output
    rows = (await rows_of(db, seeded.workspace_id)).values()
    assert all(r.ghl_calendar_id or r.calendly_event_type_uri for r in rows)


async def test_cli_says_so_when_the_workspace_does_not_exist(
    db: async_sessionmaker[AsyncSession], fake_server: FakeProviderServer, database_url: str
) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["backfill", str(uuid.uuid4())],
        env=cli_env(database_url, fake_server),
    )

    assert result.exit_code == 2
    assert "not found" in result.output
