"""Process-wide objects that endpoints need, taken from the app state built at start-up.

Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a hop per call.
"""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.providers import ProviderClients


async def _cipher(request: Request) -> SecretCipher:
    cipher: SecretCipher = request.app.state.cipher
    return cipher


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


CipherDep = Annotated[SecretCipher, Depends(_cipher)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def _providers(request: Request) -> ProviderClients:
    providers: ProviderClients = request.app.state.providers
    return providers


ProvidersDep = Annotated[ProviderClients, Depends(_providers)]


def request_now(request: Request) -> datetime:
    """The current instant; tests pin it by setting `app.state.clock` to a callable."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def clock_is_pinned(request: Request) -> bool:
    """Whether `app.state.clock` replaces the real time (then nothing time-bound is cached)."""
    return getattr(request.app.state, "clock", None) is not None


async def _now(request: Request) -> datetime:
    return request_now(request)


NowDep = Annotated[datetime, Depends(_now)]
