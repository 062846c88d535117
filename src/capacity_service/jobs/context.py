"""What a job handler gets: the process-wide resources of the worker and its job id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers import ProviderClients


@dataclass(frozen=True, slots=True)
class WorkerResources:
    """Built once per worker process and shared by every job it runs."""

    settings: Settings
    engine: AsyncEngine
    """For work that needs a connection outside any session (e.g. a session-level lock)."""
    sessionmaker: async_sessionmaker[AsyncSession]
    providers: ProviderClients
    cipher: SecretCipher


@dataclass(frozen=True, slots=True)
class JobContext:
    resources: WorkerResources
    job_id: int

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def engine(self) -> AsyncEngine:
        return self.resources.engine

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self.resources.sessionmaker

    @property
    def providers(self) -> ProviderClients:
        return self.resources.providers

    @property
    def cipher(self) -> SecretCipher:
        return self.resources.cipher
