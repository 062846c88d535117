"""The backfill in the foreground (`capacity-service backfill`), with a progress bar."""

from __future__ import annotations

import uuid

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from capacity_service.backfill.runner import BackfillProgress, backfill_appointment_attribution
from capacity_service.backfill.schemas import BackfillSummary
from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.kit.secrets import SecretCipher


async def backfill_in_foreground(
    settings: Settings,
    workspace_id: uuid.UUID,
    *,
    concurrency: int | None = None,
    retry_failed: bool = False,
    console: Console | None = None,
) -> BackfillSummary:
    from capacity_service.main import build_providers

    engine = create_engine(str(settings.database_url), pool_size=4)
    providers = build_providers(settings)
    progress = Progress(
        TextColumn("backfill"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    bar = progress.add_task("backfill", total=None, detail="")

    def show(state: BackfillProgress) -> None:
        progress.update(
            bar,
            total=state.total,
            completed=state.done,
            detail=(
                f"HighLevel {state.ghl_filled}  Calendly {state.calendly_filled}  "
                f"errors {state.errors}"
            ),
        )

    try:
        with progress:
            return await backfill_appointment_attribution(
                workspace_id,
                engine=engine,
                sessionmaker=create_sessionmaker(engine),
                providers=providers,
                cipher=SecretCipher(settings.fernet_keys),
                concurrency=concurrency or settings.backfill_concurrency,
                batch_size=settings.backfill_batch_size,
                on_progress=show,
                retry_failed=retry_failed,
            )
    finally:
        await providers.aclose()
        await engine.dispose()
