"""`capacity-service rotate-secrets`: the rotation against the configured database, with counts."""

from __future__ import annotations

from collections.abc import Callable

from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.key_rotation.service import rotate_secrets
from capacity_service.kit.secrets import SecretCipher


async def run_rotation(
    settings: Settings, *, batch_size: int, echo: Callable[[str], object]
) -> int:
    """Rotate and print one line per table; returns how many secrets no key could read."""
    engine = create_engine(str(settings.database_url), pool_size=1)
    try:
        results = await rotate_secrets(
            create_sessionmaker(engine), SecretCipher(settings.fernet_keys), batch_size=batch_size
        )
    finally:
        await engine.dispose()
    for counts in results:
        echo(
            f"{counts.table}: {counts.rotated} re-encrypted, {counts.current} already current, "
            f"{counts.unreadable} unreadable"
        )
        for where in counts.unreadable_keys[:20]:
            echo(f"  unreadable: {where}")
    return sum(counts.unreadable for counts in results)
