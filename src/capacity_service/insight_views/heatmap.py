"""Weekday x hour grids in the workspace's time zone.

Cells are keyed by ISO weekday (1 = Monday) and local hour (0-23) of each slot or booking start,
converted by PostgreSQL with the zone's rules at that instant, so a 09:00 local slot stays in
the 09:00 row across a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

WEEKDAYS = range(1, 8)
HOURS = range(24)

Cell = tuple[int, int]
"""(ISO weekday, local hour)."""


@dataclass(frozen=True)
class CellCounts:
    weekday: int
    hour: int
    booked: int
    available: int | None


def by_cell(per_day_hour: Mapping[tuple[dt.date, int], int]) -> dict[Cell, int]:
    """Fold counts per (local date, local hour) into counts per (weekday, hour)."""
    cells: dict[Cell, int] = {}
    for (day, hour), n in per_day_hour.items():
        key = (day.isoweekday(), hour)
        cells[key] = cells.get(key, 0) + n
    return cells


def grid(booked: Mapping[Cell, int], available: Mapping[Cell, int] | None) -> list[CellCounts]:
    """All 168 cells, Monday 00:00 first; `available` None means open slots are not known."""
    return [
        CellCounts(
            weekday=w,
            hour=h,
            booked=booked.get((w, h), 0),
            available=None if available is None else available.get((w, h), 0),
        )
        for w in WEEKDAYS
        for h in HOURS
    ]
