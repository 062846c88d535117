"""Analytics and the admin capacity list under load, against /healthz at the same concurrency.

    python -m bench.analytics [--connections 8] [--seconds 20]

Needs `python -m bench.generate` first. Starts one API process (`capacity-service serve`, one
uvicorn worker) on the bench database and drives it with wrk from a separate process:
`/healthz`, then `GET /v1/workspaces/{id}/analytics` over all generated workspaces, each with its
own API key, then `GET /v1/admin/capacity` (all 1,000 workspaces sorted, first 500 returned).
Peak RSS of the API process is sampled during the analytics run. Prints the figures as
Markdown and writes them to .data/bench/analytics.json.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime

import httpx
import psutil

from bench.common import ADMIN_TOKEN, STATE_DIR, api_process, load_workspaces, say
from bench.wrk import WrkResult, requests_script, run_wrk


class PeakRss:
    """Samples a process's resident memory every 50 ms until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self.baseline = self.peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def row(name: str, result: WrkResult) -> str:
    return (
        f"| {name} | {result.rps:.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} "
        f"| {result.requests} | {result.non2xx + result.socket_errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics", description=__doc__)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    workspaces = load_workspaces()
    analytics = [(f"/v1/workspaces/{w['id']}/analytics", w["key"]) for w in workspaces]
    health = [("/healthz", "unused")]
    capacity = [("/v1/admin/capacity?limit=500", ADMIN_TOKEN)]
    c, d = args.connections, args.seconds

    with api_process() as api:
        with httpx.Client(base_url=api.url, timeout=60) as client:  # warm the pool
            for path, token in analytics[:50] + capacity * 3:
                client.get(path, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        healthz = run_wrk(api.url, requests_script(health), connections=c, seconds=d)
        # The first run fills the answer cache as the load arrives; the second is the steady
        # state, with answers older than CAPACITY_ANALYTICS_CACHE_SECONDS (30 s) recomputed.
        warm = run_wrk(api.url, requests_script(analytics), connections=c, seconds=d)
        with PeakRss(api.pid) as rss:
            analytic = run_wrk(api.url, requests_script(analytics), connections=c, seconds=d)
        healthz_1 = run_wrk(api.url, requests_script(health), connections=1, seconds=d // 2)
        capacity_1 = run_wrk(api.url, requests_script(capacity), connections=1, seconds=d)
        capacity_c = run_wrk(api.url, requests_script(capacity), connections=c, seconds=d)
    # The same load with the answer cache off: every request computed from the database.
    with api_process(CAPACITY_ANALYTICS_CACHE_SECONDS="0") as api:
        with httpx.Client(base_url=api.url, timeout=60) as client:
            for path, token in analytics[:50]:
                client.get(path, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        healthz_off = run_wrk(api.url, requests_script(health), connections=c, seconds=d)
        uncached = run_wrk(api.url, requests_script(analytics), connections=c, seconds=d)

    ratio = analytic.p50_ms / healthz.p50_ms
    lines = [
        f"analytics load, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {len(workspaces)} workspaces, "
        f"{d} s per run",
        "",
        "| run | req/s | p50 ms | p99 ms | requests | errors |",
        "|---|---|---|---|---|---|",
        row(f"GET /healthz, {c} connections", healthz),
        row(f"GET .../analytics, {c} connections, first run", warm),
        row(f"GET .../analytics, {c} connections, second run", analytic),
        row("GET /healthz, 1 connection", healthz_1),
        row("GET /v1/admin/capacity (1,000 workspaces), 1 connection", capacity_1),
        row(f"GET /v1/admin/capacity (1,000 workspaces), {c} connections", capacity_c),
        row(f"cache off: GET /healthz, {c} connections", healthz_off),
        row(f"cache off: GET .../analytics, {c} connections", uncached),
        "",
        f"analytics p50 / healthz p50 = {ratio:.2f} (target <= 2); "
        f"{analytic.cached} of {analytic.requests} answers from memory",
        f"first run: {warm.cached} of {warm.requests} answers from memory",
        f"cache off: analytics p50 / healthz p50 = {uncached.p50_ms / healthz_off.p50_ms:.2f}",
        f"analytics p99 / healthz p99 = {analytic.p99_ms / healthz.p99_ms:.2f}",
        f"analytics req/s / healthz req/s = {analytic.rps / healthz.rps:.2f}",
        f"admin capacity p50 / healthz p50 (1 connection) = "
        f"{capacity_1.p50_ms / healthz_1.p50_ms:.1f}",
        f"API process RSS: {rss.baseline / 2**20:.0f} MiB before, peak {rss.peak / 2**20:.0f} MiB "
        "under the analytics load",
    ]
    say("\n".join(lines))
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    (STATE_DIR / "analytics.json").write_text(
        json.dumps(
            {
                "healthz": asdict(healthz),
                "analytics": asdict(analytic),
                "analytics_first_pass": asdict(warm),
                "healthz_cache_off": asdict(healthz_off),
                "analytics_cache_off": asdict(uncached),
                "healthz_1": asdict(healthz_1),
                "capacity_1": asdict(capacity_1),
                "capacity_c": asdict(capacity_c),
                "rss_peak_bytes": rss.peak,
                "rss_baseline_bytes": rss.baseline,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
