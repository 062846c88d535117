"""Key rotation: every stored secret re-encrypted with the first key of the configured list.

One transaction per batch, so a long run holds few row locks at a time and an interruption
keeps what was done; values the first key already reads are skipped, so running it again is
safe and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.key_rotation.repository import (
    ENCRYPTED_COLUMNS,
    EncryptedColumns,
    EncryptedColumnsRepository,
)
from capacity_service.kit.secrets import SecretCipher, SecretDecryptionError


@dataclass(slots=True)
class RotationCounts:
    """Per table: secrets re-encrypted, already under the first key, and unreadable with any
    configured key (left as they are)."""

    table: str
    rotated: int = 0
    current: int = 0
    unreadable: int = 0
    unreadable_keys: list[str] = field(default_factory=list)


async def rotate_secrets(
    sessionmaker: async_sessionmaker[AsyncSession],
    cipher: SecretCipher,
    *,
    batch_size: int = 500,
    sources: tuple[EncryptedColumns, ...] = ENCRYPTED_COLUMNS,
) -> list[RotationCounts]:
    results = []
    for source in sources:
        counts = RotationCounts(source.name)
        after: Any | None = None
        while True:
            async with sessionmaker() as session, session.begin():
                rows = await rotate_batch(session, cipher, source, after, batch_size, counts)
            if len(rows) < batch_size:
                break
            after = rows[-1][source.key]
        results.append(counts)
    return results


async def rotate_batch(
    session: AsyncSession,
    cipher: SecretCipher,
    source: EncryptedColumns,
    after: Any | None,
    batch_size: int,
    counts: RotationCounts,
) -> list[dict[str, Any]]:
    repository = EncryptedColumnsRepository(session)
    rows = list(await repository.batch(source, after, batch_size))
    for row in rows:
        values: dict[str, bytes] = {}
        for column in source.columns:
            token = row[column]
            if token is None:
                continue
            try:
                rotated = cipher.rotate(bytes(token))
            except SecretDecryptionError:
                counts.unreadable += 1
                counts.unreadable_keys.append(f"{row[source.key]}.{column}")
                continue
            if rotated is None:
                counts.current += 1
            else:
                values[column] = rotated
                counts.rotated += 1
        if values:
            await repository.rewrite(source, row[source.key], values)
    await session.flush()
    return rows
