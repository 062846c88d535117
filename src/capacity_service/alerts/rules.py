"""Which alert conditions hold for a workspace now: pure functions of its figures.

A condition is `True` (holds), `False` (does not hold: an open alert clears) or `None` (cannot
be told, e.g. a source never fetched: an open alert stays open, none is opened). Treating the
unknown as unknown is the point: a disconnected calendar must not read as a full one.

Scopes: `combined` always; the per-source scopes (`DEFAULT`, `DIRECT_BOOK`) only when two
distinct identifiers are configured, since with one source they repeat the combined figure.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from capacity_service.availability.repository import CacheMeta
from capacity_service.capacity.schemas import Capacity, SlotFigures
from capacity_service.kit.enums import AvailabilitySource
from capacity_service.kit.time import iso_utc_or_none
from capacity_service.workspaces.sources import SourceConfig


class AlertKind(enum.StrEnum):
    OVER_CAPACITY = "over_capacity"
    UNDER_USED = "under_used"
    NO_AVAILABILITY = "no_availability"
    DATA_QUALITY_AUTH = "data_quality_auth"
    DATA_QUALITY_NOT_FOUND = "data_quality_not_found"


class AlertScope(enum.StrEnum):
    COMBINED = "combined"
    DEFAULT = "DEFAULT"
    DIRECT_BOOK = "DIRECT_BOOK"


AUTH_ERROR_KINDS = frozenset({"authentication", "credentials", "not_configured"})
"""Refresh error kinds that need the operator to reconnect the provider account."""
NOT_FOUND_ERROR_KINDS = frozenset({"not_found"})


@dataclass(frozen=True, slots=True)
class Thresholds:
    over_capacity_pct: float
    under_used_pct: float | None


@dataclass(frozen=True, slots=True)
class Finding:
    kind: AlertKind
    scope: AlertScope
    active: bool | None
    figures: dict[str, Any]
    summary: str


@dataclass(frozen=True, slots=True)
class SourceState:
    """A configured source as the evaluation sees it."""

    config: SourceConfig
    meta: CacheMeta | None
    """None when no refresh of the configured identifier has been recorded at all."""

    @property
    def fetched(self) -> bool:
        return self.meta is not None and self.meta.fetched_at is not None

    @property
    def memory_key(self) -> str:
        return f"{self.config.source.value}:{self.config.identifier}"


def _slot_figures(figures: SlotFigures) -> dict[str, Any]:
    return {
        "bookedPct": figures.booked_pct,
        "bookedSlots": figures.booked_slots,
        "availableSlots": figures.available_slots,
        "totalSlots": figures.total_slots,
    }


def _scope_figures(capacity: Capacity, scope: AlertScope) -> SlotFigures:
    if scope is AlertScope.COMBINED:
        return capacity
    if scope is AlertScope.DEFAULT:
        return capacity.breakdown.default
    return capacity.breakdown.direct_book


def _window(capacity: Capacity) -> dict[str, Any]:
    return {
        "windowDays": capacity.window_days,
        "windowStartIso": capacity.window_start_iso,
        "windowEndIso": capacity.window_end_iso,
    }


def _source_figures(state: SourceState) -> dict[str, Any]:
    meta = state.meta
    return {
        "provider": state.config.provider.value,
        "identifier": state.config.identifier,
        "lastSuccessfulRefreshIso": iso_utc_or_none(meta.fetched_at) if meta else None,
        "lastError": meta.last_error if meta else None,
        "lastErrorKind": meta.last_error_kind if meta else None,
        "lastErrorAtIso": iso_utc_or_none(meta.last_error_at) if meta else None,
        "consecutiveFailures": meta.consecutive_failures if meta else 0,
    }


def _capacity_findings(
    capacity: Capacity, sources: Mapping[AvailabilitySource, SourceState], thresholds: Thresholds
) -> list[Finding]:
    distinct = {s.config.identifier for s in sources.values()}
    findings: list[Finding] = []
    for scope in AlertScope:
        if scope is AlertScope.COMBINED:
            evaluated = bool(sources)
            trusted = all(s.fetched for s in sources.values())
        else:
            state = sources.get(AvailabilitySource(scope.value))
            evaluated = state is not None and len(distinct) > 1
            trusted = state is not None and state.fetched
        figures = _scope_figures(capacity, scope)
        pct = figures.booked_pct
        base = {**_slot_figures(figures), **_window(capacity)}
        label = "combined" if scope is AlertScope.COMBINED else scope.value

        over: bool | None
        under: bool | None
        if not evaluated:
            over = under = False
        elif not trusted:
            over = under = None
        else:
            over = pct is not None and pct >= thresholds.over_capacity_pct
            under = (
                thresholds.under_used_pct is not None
                and pct is not None
                and pct <= thresholds.under_used_pct
            )
        findings.append(
            Finding(
                AlertKind.OVER_CAPACITY,
                scope,
                over,
                {**base, "thresholdPct": thresholds.over_capacity_pct},
                f"{label} % booked is {pct} (at or above {thresholds.over_capacity_pct}) over the "
                f"next {capacity.window_days} days",
            )
        )
        findings.append(
            Finding(
                AlertKind.UNDER_USED,
                scope,
                under,
                {**base, "thresholdPct": thresholds.under_used_pct},
                f"{label} % booked is {pct} (at or below {thresholds.under_used_pct}) over the "
                f"next {capacity.window_days} days",
            )
        )
    return findings


def _source_findings(
    capacity: Capacity, sources: Mapping[AvailabilitySource, SourceState], had_slots: set[str]
) -> list[Finding]:
    findings: list[Finding] = []
    for source in AvailabilitySource:
        scope = AlertScope(source.value)
        state = sources.get(source)
        if state is None:
            for kind in (
                AlertKind.NO_AVAILABILITY,
                AlertKind.DATA_QUALITY_AUTH,
                AlertKind.DATA_QUALITY_NOT_FOUND,
            ):
                findings.append(Finding(kind, scope, False, {}, f"{source.value} not configured"))
            continue
        figures = _scope_figures(capacity, scope)
        described = f"{source.value} ({state.config.provider.value} {state.config.identifier})"
        no_slots: bool | None = None
        if state.fetched:
            no_slots = figures.available_slots == 0 and (
                figures.booked_slots > 0 or state.memory_key in had_slots
            )
        findings.append(
            Finding(
                AlertKind.NO_AVAILABILITY,
                scope,
                no_slots,
                {
                    **_slot_figures(figures),
                    **_window(capacity),
                    **_source_figures(state),
                    "hadSlotsBefore": state.memory_key in had_slots,
                },
                f"{described} has no open slots in the next {capacity.window_days} days",
            )
        )
        kind_now = state.meta.last_error_kind if state.meta else None
        for kind, error_kinds, what in (
            (AlertKind.DATA_QUALITY_AUTH, AUTH_ERROR_KINDS, "cannot authenticate"),
            (AlertKind.DATA_QUALITY_NOT_FOUND, NOT_FOUND_ERROR_KINDS, "is not found"),
        ):
            findings.append(
                Finding(
                    kind,
                    scope,
                    None if state.meta is None else kind_now in error_kinds,
                    _source_figures(state),
                    f"{described} {what} at the provider: "
                    f"{state.meta.last_error if state.meta else ''}",
                )
            )
    return findings


def evaluate_conditions(
    capacity: Capacity,
    sources: Mapping[AvailabilitySource, SourceState],
    thresholds: Thresholds,
    had_slots: Iterable[str],
) -> list[Finding]:
    """Every (kind, scope) with whether it holds now; one finding per pair, always."""
    remembered = set(had_slots)
    return _capacity_findings(capacity, sources, thresholds) + _source_findings(
        capacity, sources, remembered
    )


def sources_with_slots(
    capacity: Capacity, sources: Mapping[AvailabilitySource, SourceState], had_slots: Iterable[str]
) -> list[str]:
    """The memory after this evaluation: configured sources that have had slots, current
    identifiers only (a changed calendar starts with no history)."""
    current = {s.memory_key for s in sources.values()}
    kept = {key for key in had_slots if key in current}
    for source, state in sources.items():
        if state.fetched and _scope_figures(capacity, AlertScope(source.value)).available_slots:
            kept.add(state.memory_key)
    return sorted(kept)
