"""Query parameters shared by every endpoint that reports % booked."""

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query

from capacity_service.config import Settings
from capacity_service.kit.dependencies import SettingsDep

WindowDaysQuery = Annotated[
    int | None,
    Query(
        alias="windowDays",
        ge=1,
        le=90,
        description="Days ahead counted from now (1-90); default CAPACITY_DEFAULT_WINDOW_DAYS.",
    ),
]
"""The `windowDays` parameter as sent; `window_days_or_default` resolves its absence."""


def window_days_or_default(settings: Settings, window_days: int | None) -> int:
    return settings.default_window_days if window_days is None else window_days


def staleness_threshold(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.staleness_threshold_minutes)


async def _window_days(settings: SettingsDep, window_days: WindowDaysQuery = None) -> int:
    return window_days_or_default(settings, window_days)


async def _staleness_threshold(settings: SettingsDep) -> dt.timedelta:
    return staleness_threshold(settings)


WindowDaysDep = Annotated[int, Depends(_window_days)]
StalenessDep = Annotated[dt.timedelta, Depends(_staleness_threshold)]
