"""Which jobs exist: each domain's `tasks.py` declares its own, listed in `TASK_MODULES`.

A task module exposes `TASKS: list[Task]` and, optionally, `SCHEDULES: list[WorkspaceSchedule]`
and `CRON_SCHEDULES: list[CronSchedule]`.
The worker imports every listed module, so adding a job is one line here plus the module.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from capacity_service.config import Settings
from capacity_service.jobs.context import JobContext, WorkerResources

TASK_MODULES: tuple[str, ...] = (
    "capacity_service.availability.tasks",
    "capacity_service.backfill.tasks",
    "capacity_service.alerts.tasks",
    "capacity_service.reconcile.tasks",
    "capacity_service.retention.tasks",
    "capacity_service.webhooks.tasks",
)

TaskHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Task:
    """A queue entrypoint. `concurrency_limit` caps running jobs of this entrypoint across all
    workers (0: no cap); the handler receives the decoded JSON payload."""

    entrypoint: str
    handler: TaskHandler
    concurrency_limit: int = 0


@dataclass(frozen=True, slots=True)
class WorkspaceSchedule:
    """Run `entrypoint` for every workspace once per interval, each at its own phase.

    The payload is `{"workspaceId": "<uuid>"}` and the dedupe key `workspace_dedupe_key(...)`,
    so a scheduled run and an on-demand one never queue twice for one workspace.
    """

    entrypoint: str
    interval_seconds: Callable[[Settings], int]


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A service-wide job on a cron expression (UTC), run by exactly one worker each time."""

    entrypoint: str
    cron: str
    handler: Callable[[WorkerResources], Awaitable[None]]


def workspace_dedupe_key(entrypoint: str, workspace_id: object) -> str:
    return f"{entrypoint}:{workspace_id}"


@dataclass(frozen=True, slots=True)
class Registry:
    tasks: list[Task]
    schedules: list[WorkspaceSchedule]
    cron_schedules: list[CronSchedule] = field(default_factory=list)


def load_registry(modules: tuple[str, ...] = TASK_MODULES) -> Registry:
    tasks: list[Task] = []
    schedules: list[WorkspaceSchedule] = []
    cron_schedules: list[CronSchedule] = []
    for name in modules:
        module = importlib.import_module(name)
        tasks.extend(getattr(module, "TASKS", []))
        schedules.extend(getattr(module, "SCHEDULES", []))
        cron_schedules.extend(getattr(module, "CRON_SCHEDULES", []))
    names = [t.entrypoint for t in tasks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"job entrypoints declared twice: {', '.join(duplicates)}")
    unknown = sorted({s.entrypoint for s in schedules} - set(names))
    if unknown:
        raise RuntimeError(f"schedules for entrypoints that no task declares: {', '.join(unknown)}")
    return Registry(tasks=tasks, schedules=schedules, cron_schedules=cron_schedules)
