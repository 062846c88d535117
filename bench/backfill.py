"""Attribution backfill against the provider test double at 100 ms and 100 requests per 10 s.

    python -m bench.backfill [--rows 600]

Starts the test double in its own process (`python -m capacity_service.providers.fake
--latency-ms 100 --rate-limit 100`), gives it `--rows` HighLevel appointments, and stores the
same appointments without attribution in a fresh workspace of the bench database. Then:

1. the service's backfill (`backfill_appointment_attribution`, default concurrency, the rate
   limiter learning the budget from the headers): lookups/s against the allowed 10/s, 429s;
2. the original plan, fixed batches of 10 concurrent lookups with 500 ms pauses and no rate
   limiter, on another account of the same double: lookups/s, successes/s and 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bench.common import (
    ADMIN_TOKEN,
    DATABASE_URL,
    ENCRYPTION_KEY,
    ROOT,
    STATE_DIR,
    asyncpg_url,
    free_port,
    say,
    wait_ready,
)
from capacity_service.backfill.runner import backfill_appointment_attribution
from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.kit.secrets import SecretCipher
from capacity_service.providers import build_provider_clients

LATENCY_MS = 100
LIMIT, WINDOW_SECONDS = 100, 10
LOOKUP = "^/calendars/events/appointments/"


async def seed_double(
    control: httpx.AsyncClient, location: str, rows: int, start: datetime
) -> tuple[str, list[str]]:
    added = await control.post("/add_ghl_calendar", json={"location_id": location})
    calendar = added.raise_for_status().json()["result"]
    appointments = [
        {
            "location_id": location,
            "calendar_id": calendar,
            "contact_id": f"contact-{i}",
            "start": (start + timedelta(minutes=30 * i)).isoformat(),
        }
        for i in range(rows)
    ]
    response = await control.post("/add_ghl_appointments", json={"appointments": appointments})
    response.raise_for_status()
    return str(calendar), list(response.json()["result"])


async def seed_workspace(
    conn: asyncpg.Connection, location: str, token: str, ids: list[str], start: datetime
) -> uuid.UUID:
    workspace_id, lead_id = uuid.uuid4(), uuid.uuid4()
    encrypted = Fernet(ENCRYPTION_KEY.encode()).encrypt(token.encode())
    await conn.execute(
        "INSERT INTO workspace (id, name, timezone, ghl_location_id, ghl_access_token_encrypted)"
        " VALUES ($1, 'Bench backfill', 'UTC', $2, $3)",
        workspace_id,
        location,
        encrypted,
    )
    await conn.execute(
        "INSERT INTO lead (id, workspace_id, email) VALUES ($1, $2, 'backfill@example.com')",
        lead_id,
        workspace_id,
    )
    await conn.copy_records_to_table(
        "appointment",
        records=[
            (
                uuid.uuid4(),
                workspace_id,
                lead_id,
                "ghl",
                ghl_id,
                "CONFIRMED",
                start + timedelta(minutes=30 * i),
                start + timedelta(minutes=30 * i + 30),
            )
            for i, ghl_id in enumerate(ids)
        ],  # fmt: skip
        columns=[
            "id",
            "workspace_id",
            "lead_id",
            "provider",
            "ghl_appointment_id",
            "status",
            "start_at",
            "end_at",
        ],  # fmt: skip
    )
    return workspace_id


async def service_backfill(base_url: str, workspace_id: uuid.UUID) -> tuple[float, object]:
    settings = Settings(
        database_url=asyncpg_url(),
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
    )
    engine = create_engine(str(settings.database_url), pool_size=4)
    providers = build_provider_clients(
        ghl_base_url=base_url + "/ghl",
        calendly_base_url=base_url + "/calendly",
        ghl_api_version=settings.ghl_api_version,
        timeout_seconds=settings.provider_timeout_seconds,
        retry_max_seconds=settings.provider_retry_max_seconds,
    )
    try:
        started = time.perf_counter()
        summary = await backfill_appointment_attribution(
            workspace_id,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            providers=providers,
            cipher=SecretCipher(settings.fernet_keys),
            concurrency=settings.backfill_concurrency,
            batch_size=settings.backfill_batch_size,
        )
        return time.perf_counter() - started, summary
    finally:
        await providers.aclose()
        await engine.dispose()


async def fixed_batches(base_url: str, token: str, ids: list[str]) -> tuple[float, int, int]:
    """The original plan: 10 lookups at once, a 500 ms pause, repeat; no limiter, no retry."""
    ok = limited = 0
    headers = {"Authorization": f"Bearer {token}", "Version": "2021-04-15"}
    async with httpx.AsyncClient(base_url=base_url + "/ghl", headers=headers, timeout=30) as c:
        started = time.perf_counter()
        for first in range(0, len(ids), 10):
            batch = ids[first : first + 10]
            answers = await asyncio.gather(
                *(c.get(f"/calendars/events/appointments/{i}") for i in batch)
            )
            ok += sum(1 for a in answers if a.status_code == 200)
            limited += sum(1 for a in answers if a.status_code == 429)
            await asyncio.sleep(0.5)
        return time.perf_counter() - started, ok, limited


async def bench(rows: int) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    double = subprocess.Popen(
        [
            sys.executable, "-m", "capacity_service.providers.fake", "--port", str(port),
            "--latency-ms", str(LATENCY_MS), "--rate-limit", str(LIMIT),
            "--rate-window-seconds", str(WINDOW_SECONDS),
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    conn = await asyncpg.connect(DATABASE_URL)
    workspace_id: uuid.UUID | None = None
    try:
        wait_ready(base_url, double, path="/_control/requests")  # type: ignore[arg-type]
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        async with httpx.AsyncClient(base_url=base_url + "/_control", timeout=60) as control:
            location = f"bench-backfill-{uuid.uuid4().hex[:8]}"
            _, ids = await seed_double(control, location, rows, start)
            workspace_id = await seed_workspace(conn, location, "bench-backfill-token", ids, start)
            seconds, summary = await service_backfill(base_url, workspace_id)
            after_service = (await control.get("/requests", params={"path": LOOKUP})).json()
            _, naive_ids = await seed_double(control, location + "-naive", rows, start)
            naive_seconds, ok, limited = await fixed_batches(base_url, "naive-token", naive_ids)
    finally:
        if workspace_id is not None:
            await conn.execute("DELETE FROM workspace WHERE id = $1", workspace_id)
        await conn.close()
        double.terminate()
        double.wait(timeout=10)

    allowed = LIMIT / WINDOW_SECONDS
    fastest = (rows - 1) // LIMIT * WINDOW_SECONDS + LATENCY_MS / 1000
    service_rate = after_service["count"] / seconds
    result = {
        "rows": rows,
        "service": {
            "seconds": seconds,
            "lookups": after_service["count"],
            "lookups_per_s": service_rate,
            "rate_limited": after_service["rateLimited"],
            "updated": summary.ghl_updated,  # type: ignore[attr-defined]
            "errors": summary.error_count,  # type: ignore[attr-defined]
            "status": summary.status,  # type: ignore[attr-defined]
        },
        "fixed_batches": {
            "seconds": naive_seconds,
            "lookups_per_s": rows / naive_seconds,
            "successes_per_s": ok / naive_seconds,
            "rate_limited": limited,
        },
    }
    naive = result["fixed_batches"]
    lines = [
        f"backfill, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {rows} HighLevel rows, double at "
        f"{LATENCY_MS} ms and {LIMIT} requests / {WINDOW_SECONDS} s (allowed {allowed:.0f}/s)",
        "",
        "| pacing | seconds | lookups/s | successful lookups/s | 429s | rows attributed |",
        "|---|---|---|---|---|---|",
        f"| service (rate limiter from headers) | {seconds:.1f} | {service_rate:.2f} "
        f"| {summary.ghl_updated / seconds:.2f} | {after_service['rateLimited']} "  # type: ignore[attr-defined]
        f"| {summary.ghl_updated} of {rows} |",  # type: ignore[attr-defined]
        f"| original plan (10 per batch, 500 ms pause) | {naive_seconds:.1f} "
        f"| {naive['lookups_per_s']:.2f} | {naive['successes_per_s']:.2f} "
        f"| {limited} | {ok} of {rows} |",
        "",
        f"service successful lookups/s / allowed = "
        f"{summary.ghl_updated / seconds / allowed:.2f} (target >= 0.9)",  # type: ignore[attr-defined]
        f"service run time / fastest the limit permits ({fastest:.1f} s: every window's "
        f"budget used at its start) = {fastest / seconds:.2f}",
        f"service / original plan (successful lookups/s) = "
        f"{summary.ghl_updated / seconds / naive['successes_per_s']:.2f}",  # type: ignore[attr-defined]
    ]
    say("\n".join(lines))
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    (STATE_DIR / "backfill.json").write_text(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__)
    parser.add_argument("--rows", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(bench(args.rows))


if __name__ == "__main__":
    main()
