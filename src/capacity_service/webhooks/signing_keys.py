"""Calendly signing keys, decrypted, in the API process's memory while they cannot be stale.

Every Calendly delivery needs its workspace's key before anything else; reading and
decrypting it was one of the few round trips of a receipt. The keys are held in a
`WorkspaceCache`, so a committed change of the workspace (a rotated or removed key, a deleted
workspace) evicts its key as soon as the change notification arrives, and while the change
listener is not live nothing is held. A signature that fails against a held key is checked
once more against the key read afresh, so a rotation committed moments ago, whose notification
is still on its way, never refuses a delivery signed with the new key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from capacity_service.changes.cache import WorkspaceCache
from capacity_service.kit.secrets import SecretCipher
from capacity_service.webhooks.repository import ReceiptRepository

KEY_CACHE_SECONDS = 300.0
"""A bound for safety only: eviction by notification is what keeps a held key current."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The workspace's key in plain text (None: the workspace has none), and whether it came
    from memory, in which case a failed signature deserves a fresh read."""

    key: str | None
    held: bool


class CalendlySigningKeys:
    def __init__(self, cipher: SecretCipher, cache: WorkspaceCache[uuid.UUID, str | None] | None):
        self._cipher = cipher
        self._cache = cache

    def holds(self, workspace_id: uuid.UUID) -> bool:
        """Whether the workspace's key is in memory now (for operators and tests)."""
        return self._cache is not None and self._cache.get(workspace_id) is not None

    async def get(self, receipts: ReceiptRepository, workspace_id: uuid.UUID) -> SigningKey | None:
        """The key of an existing workspace; None when the workspace does not exist."""
        if self._cache is not None:
            hit = self._cache.get(workspace_id)
            if hit is not None:
                return SigningKey(hit.value, held=True)
        return await self.read(receipts, workspace_id)

    async def read(self, receipts: ReceiptRepository, workspace_id: uuid.UUID) -> SigningKey | None:
        """The key from the database, kept in memory if nothing changed while reading it."""
        ticket = self._cache.ticket() if self._cache is not None else None
        exists, encrypted = await receipts.calendly_signing_key(workspace_id)
        if not exists:
            return None
        key = None if encrypted is None else self._cipher.decrypt(encrypted)
        if self._cache is not None and ticket is not None:
            self._cache.put(workspace_id, workspace_id, key, ticket)
        return SigningKey(key, held=False)
