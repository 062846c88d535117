"""Query parameters shared by every endpoint that reports % booked."""

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query

from capacity_service.kit.dependencies import SettingsDep


async def _window_days(
    settings: SettingsDep,
    window_days: Annotated[
        int | None,
        Query(
            alias="windowDays",
            ge=1,
            le=90,
            description="Days ahead counted from now (1-90); default CAPACITY_DEFAULT_WINDOW_DAYS.",
        ),
    ] = None,
) -> int:
    return settings.default_window_days if window_days is None else window_days


async def _staleness_threshold(settings: SettingsDep) -> dt.timedelta:
    return dt.timedelta(minutes=settings.staleness_threshold_minutes)


WindowDaysDep = Annotated[int, Depends(_window_days)]
StalenessDep = Annotated[dt.timedelta, Depends(_staleness_threshold)]
