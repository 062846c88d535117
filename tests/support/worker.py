"""`capacity-service worker` as a real subprocess against this run's database."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from capacity_service.config import Settings
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY


@asynccontextmanager
async def run_worker(
    settings: Settings, tmp_path: Path, env: Mapping[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The worker logs to tmp_path/worker.log; on exit it gets SIGTERM, then SIGKILL after 15 s."""
    full_env = {
        **os.environ,
        "CAPACITY_DATABASE_URL": str(settings.database_url),
        "CAPACITY_ADMIN_TOKEN": ADMIN_TOKEN,
        "CAPACITY_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "CAPACITY_DATA_DIR": str(tmp_path),
        **env,
    }
    log = (tmp_path / "worker.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "capacity_service.cli",
        "worker",
        "--concurrency",
        "4",
        env=full_env,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
