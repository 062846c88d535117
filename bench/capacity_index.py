"""The capacity count's index: (workspace_id, status, start_at) with and without INCLUDE.

    python -m bench.capacity_index [--repeat 9]

On the generated bench database, builds `idx_appointment_workspace_window` first as the plain
three-column index, then as the covering one (`INCLUDE (ghl_calendar_id,
calendly_event_type_uri)`), VACUUM ANALYZE after each so both may use index-only scans, and
measures in each state: the booked count of every workspace's 30-day window (the statement the
admin capacity list runs per workspace, over all 1,000), and `GET /v1/admin/capacity` through
one API process. Leaves the index as the migrations define it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench.common import ADMIN_TOKEN, STATE_DIR, api_process, connect, say

INDEX = "idx_appointment_workspace_window"
VARIANTS = {
    "plain": f"CREATE INDEX {INDEX} ON appointment (workspace_id, status, start_at)",
    "covering": (
        f"CREATE INDEX {INDEX} ON appointment (workspace_id, status, start_at) "
        "INCLUDE (ghl_calendar_id, calendly_event_type_uri)"
    ),
}
BOOKED = """
SELECT count(*) FROM workspace AS w
CROSS JOIN LATERAL (
    SELECT coalesce(a.ghl_calendar_id, a.calendly_event_type_uri) AS attribution, count(*) AS n
    FROM appointment AS a
    WHERE a.workspace_id = w.id AND a.status = 'CONFIRMED'
      AND a.start_at >= $1 AND a.start_at < $2
    GROUP BY 1
) AS b
"""


async def build(conn: asyncpg.Connection, definition: str) -> float:
    started = time.perf_counter()
    await conn.execute(f"DROP INDEX IF EXISTS {INDEX}")
    await conn.execute(definition)
    await conn.execute("VACUUM ANALYZE appointment")
    return time.perf_counter() - started


async def booked_count_ms(conn: asyncpg.Connection, repeat: int) -> tuple[float, str]:
    now = datetime.now(UTC)
    window = (now, now + timedelta(days=30))
    await conn.fetchval(BOOKED, *window)  # warm the cache
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await conn.fetchval(BOOKED, *window)
        timings.append((time.perf_counter() - started) * 1000)
    plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + BOOKED, *window)
    scan = next((r[0].strip() for r in plan if INDEX in r[0]), "")
    return statistics.median(timings), scan


def capacity_list_ms(url: str, repeat: int) -> float:
    timings = []
    with httpx.Client(base_url=url, timeout=60) as client:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        client.get("/v1/admin/capacity?limit=500", headers=headers).raise_for_status()
        for _ in range(repeat):
            started = time.perf_counter()
            client.get("/v1/admin/capacity?limit=500", headers=headers).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def bench(repeat: int) -> None:
    conn = await connect()
    original = await conn.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", INDEX)
    results: dict[str, dict[str, object]] = {}
    try:
        with api_process() as api:
            for name, definition in VARIANTS.items():
                seconds = await build(conn, definition)
                count_ms, scan = await booked_count_ms(conn, repeat)
                list_ms = await asyncio.to_thread(capacity_list_ms, api.url, repeat)
                results[name] = {
                    "build_and_vacuum_s": seconds,
                    "booked_count_all_workspaces_ms": count_ms,
                    "admin_capacity_list_ms": list_ms,
                    "scan": scan,
                }
                say(f"{name}: {json.dumps(results[name])}")
    finally:
        if original:
            await conn.execute(f"DROP INDEX IF EXISTS {INDEX}")
            await conn.execute(original)
            await conn.execute("VACUUM ANALYZE appointment")
        await conn.close()
    plain, covering = results["plain"], results["covering"]
    count_ratio = float(plain["booked_count_all_workspaces_ms"]) / float(  # type: ignore[arg-type]
        covering["booked_count_all_workspaces_ms"]  # type: ignore[arg-type]
    )
    list_ratio = float(plain["admin_capacity_list_ms"]) / float(  # type: ignore[arg-type]
        covering["admin_capacity_list_ms"]  # type: ignore[arg-type]
    )
    say(
        "\n".join(
            [
                f"capacity index, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, medians of {repeat}",
                "",
                "| index | booked count, all workspaces (ms) | GET /v1/admin/capacity (ms) |",
                "|---|---|---|",
                *(
                    f"| {name} | {r['booked_count_all_workspaces_ms']:.1f} "
                    f"| {r['admin_capacity_list_ms']:.1f} |"
                    for name, r in results.items()
                ),
                "",
                f"plain / covering: booked count {count_ratio:.2f}x, capacity list "
                f"{list_ratio:.2f}x",
                f"scans: plain `{plain['scan']}`; covering `{covering['scan']}`",
            ]
        )
    )
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    (STATE_DIR / "capacity_index.json").write_text(json.dumps(results, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity_index", description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(bench(args.repeat))


if __name__ == "__main__":
    main()
