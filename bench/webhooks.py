"""Webhook ingestion: signed Calendly deliveries through the API against bare asyncpg upserts.

    python -m bench.webhooks [--invitees 2000] [--levels 1,4,16,32]

Works on the bench database (run `python -m bench.generate` first, or any migrated
`capacity_bench`). For each concurrency level a fresh workspace gets `--invitees` bookings as
Calendly `invitee.created`; a fifth of them are also canceled, and their cancel is delivered
before their creation (out of order); 30% of all deliveries are sent twice (redeliveries). One
API process (`capacity-service serve`) receives them from this process, signed beforehand and
sent as raw HTTP/1.1 with that many requests in flight; every delivery goes the production
way: signature check, the body's verdict, the raw event stored and its processing queued, all
before the answer. Then the queued events are applied by the `webhooks.process` job's own
function (the appointment upsert with the lead rollup, the debounced alert evaluation queued),
from 4 concurrent tasks, and timed by the database's clock.

The baseline sends the same sequence, at the same concurrency, as bare asyncpg statements
into the same `appointment` table: one INSERT ... ON CONFLICT (calendly_invitee_uri) DO UPDATE
guarded by provider_updated_at, per delivery, autocommitted; no raw event, no lead rollup.

Afterwards every level is checked: one appointment per invitee, one stored event per distinct
delivery, canceled invitees CANCELED, nothing lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import asyncpg
import psutil
from cryptography.fernet import Fernet
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

from bench.common import DATABASE_URL, ENCRYPTION_KEY, STATE_DIR, api_process, asyncpg_url, say
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.kit.enums import Provider
from capacity_service.webhooks import calendly
from capacity_service.webhooks.dispatch import (
    PROCESS_ENTRYPOINT,
    processing_job,
    queue_processing,
    take_queued_processing,
)
from capacity_service.webhooks.repository import ReceiptRepository
from capacity_service.webhooks.tasks import apply_event

SIGNING_KEY = "bench-webhook-signing-key-0123456789"
APPLY_CONCURRENCY = 4
EVENT_TYPE = "https://api.calendly.com/event_types/BENCHWEBHOOKS"


@dataclass(frozen=True)
class Delivery:
    invitee: str
    body: bytes
    event: str  # invitee.created | invitee.canceled
    status: str
    start_at: datetime
    updated_at: datetime


def deliveries(invitees: int, rng: random.Random) -> tuple[list[Delivery], set[str], set[str]]:
    """The delivery sequence, the invitees, and those that end canceled."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    sequence: list[Delivery] = []
    canceled: set[str] = set()
    uris: set[str] = set()
    for i in range(invitees):
        uri = new_invitee_uri()
        uris.add(uri)
        slot = start + timedelta(minutes=30 * i)
        created_at = slot - timedelta(days=3)
        created = Delivery(
            uri,
            dumps(calendly_event("invitee.created", uri, updated_at=created_at, start=slot)),
            "invitee.created",
            "CONFIRMED",
            slot,
            created_at,
        )
        if rng.random() < 0.2:
            canceled_at = created_at + timedelta(hours=5)
            cancel = Delivery(
                uri,
                dumps(
                    calendly_event(
                        "invitee.canceled",
                        uri,
                        status="canceled",
                        updated_at=canceled_at,
                        start=slot,
                    )
                ),
                "invitee.canceled",
                "CANCELED",
                slot,
                canceled_at,
            )
            canceled.add(uri)
            sequence += [cancel, created]  # out of order: the cancel arrives first
        else:
            sequence.append(created)
    redelivered = rng.sample(sequence, k=round(len(sequence) * 0.3 / 0.7))
    for copy in redelivered:  # a redelivery comes a little later than the first delivery
        index = sequence.index(copy)
        sequence.insert(min(len(sequence), index + rng.randint(1, 40)), copy)
    return sequence, uris, canceled


async def new_workspace(conn: asyncpg.Connection, name: str) -> tuple[uuid.UUID, uuid.UUID]:
    workspace_id, lead_id = uuid.uuid4(), uuid.uuid4()
    signing = Fernet(ENCRYPTION_KEY.encode()).encrypt(SIGNING_KEY.encode())
    await conn.execute(
        "INSERT INTO workspace (id, name, timezone, calendly_webhook_signing_key_encrypted, "
        "calendly_direct_book_event_type_uri) VALUES ($1, $2, 'UTC', $3, $4)",
        workspace_id,
        name,
        signing,
        EVENT_TYPE,
    )
    await conn.execute(
        "INSERT INTO lead (id, workspace_id, email) VALUES ($1, $2, 'bench@example.com')",
        lead_id,
        workspace_id,
    )
    return workspace_id, lead_id


def _request(host: str, path: str, body: bytes, signature: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Calendly-Webhook-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request on a kept-alive connection; its status, the body read and dropped."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def send_through_api(
    url: str, workspace_id: uuid.UUID, sequence: list[Delivery], concurrency: int
) -> tuple[float, dict[int, int]]:
    """Each delivery signed beforehand and sent as raw HTTP/1.1 on `concurrency` kept-alive
    connections: the load generator must cost far less than the service it measures (an httpx
    client spent more CPU per request than the API's whole acknowledged path)."""
    host, port = url.removeprefix("http://").split(":")
    path = f"/v1/webhooks/calendly/{workspace_id}"
    requests = [_request(host, path, d.body, calendly_sign(d.body, SIGNING_KEY)) for d in sequence]
    statuses: dict[int, int] = {}
    queue = list(reversed(requests))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while queue:
                status = await _exchange(reader, writer, queue.pop())
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, statuses


async def apply_queued(workspace_id: uuid.UUID, concurrency: int) -> dict[str, float]:
    """Apply the level's queued events with the function the `webhooks.process` job runs, from
    `concurrency` tasks in this process (a full worker would also refresh the bench's 1,000
    workspaces). Returns the events applied per second, by the database's clock."""
    engine = create_engine(asyncpg_url(), pool_size=concurrency)
    sessionmaker = create_sessionmaker(engine)
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        waiting = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM webhook_event WHERE workspace_id = $1 AND status = 'received' "
                "ORDER BY received_at",
                workspace_id,
            )
        ]
        async with sessionmaker() as session, session.begin():
            await take_queued_processing(session, waiting)
        queue = list(reversed(waiting))

        async def worker() -> None:
            while queue:
                await apply_event(sessionmaker, queue.pop())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        span = await conn.fetchval(
            "SELECT extract(epoch FROM max(processed_at) - min(processed_at)) FROM webhook_event "
            "WHERE workspace_id = $1 AND status = 'processed'",
            workspace_id,
        )
        return {"applied": len(waiting), "applied_per_s": len(waiting) / float(span or 1)}
    finally:
        await conn.close()
        await engine.dispose()


UPSERT = """
INSERT INTO appointment (id, workspace_id, lead_id, provider, calendly_invitee_uri,
    calendly_event_type_uri, status, start_at, end_at, booked_at, provider_updated_at)
VALUES ($1, $2, $3, 'calendly', $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (calendly_invitee_uri) DO UPDATE SET
    status = EXCLUDED.status, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at,
    provider_updated_at = EXCLUDED.provider_updated_at, updated_at = now()
WHERE appointment.provider_updated_at IS NULL
   OR appointment.provider_updated_at < EXCLUDED.provider_updated_at
"""


async def send_bare(
    workspace_id: uuid.UUID, lead_id: uuid.UUID, sequence: list[Delivery], concurrency: int
) -> float:
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=concurrency, max_size=concurrency)
    queue = list(reversed(sequence))
    try:

        async def worker() -> None:
            async with pool.acquire() as conn:
                statement = await conn.prepare(UPSERT)
                while queue:
                    d = queue.pop()
                    await statement.fetch(
                        uuid.uuid4(), workspace_id, lead_id, d.invitee, EVENT_TYPE, d.status,
                        d.start_at, d.start_at + timedelta(minutes=30), d.updated_at, d.updated_at,
                    )  # fmt: skip

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started
    finally:
        await pool.close()


async def send_receipt_statements(
    workspace_id: uuid.UUID, sequence: list[Delivery], concurrency: int
) -> float:
    """The receipt's own statements for the same sequence, from a bare asyncpg pool: what the
    API's acknowledged path costs PostgreSQL, without HTTP, signature or Python around it."""
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=concurrency, max_size=concurrency)
    queue = list(reversed(sequence))
    try:

        async def worker() -> None:
            async with pool.acquire() as conn:
                receipts = ReceiptRepository(conn)
                while queue:
                    d = queue.pop()
                    key = calendly.event_key(workspace_id, json.loads(d.body), d.body)
                    event_id = uuid.uuid4()
                    if not await receipts.insert_new(
                        event_id=event_id,
                        provider=Provider.CALENDLY,
                        event_key=key,
                        event_type=d.event,
                        workspace_id=workspace_id,
                        raw_body=d.body,
                        status="received",
                        error=None,
                        job=processing_job(event_id),
                    ):
                        known = await receipts.known(provider=Provider.CALENDLY, event_key=key)
                        if known is not None and known.status == "received":
                            await queue_processing(conn, known.id)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started
    finally:
        await pool.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the API process: what a delivery costs it, whatever else the
    machine is doing (the events/s figures move with the machine's load)."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def check(
    conn: asyncpg.Connection, workspace_id: uuid.UUID, uris: set[str], canceled: set[str]
) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT calendly_invitee_uri, status FROM appointment WHERE workspace_id = $1",
        workspace_id,
    )
    stored = {r["calendly_invitee_uri"]: r["status"] for r in rows}
    events = await conn.fetchval(
        "SELECT count(*) FROM webhook_event WHERE workspace_id = $1", workspace_id
    )
    return {
        "appointments": len(rows),
        "distinct_appointments": len(stored),
        "missing": len(uris - stored.keys()),
        "wrong_status": sum(
            1 for uri, status in stored.items() if (status == "CANCELED") != (uri in canceled)
        ),
        "stored_events": int(events or 0),
    }


async def bench(invitees: int, levels: list[int], seed: int) -> None:
    rng = random.Random(seed)
    conn = await asyncpg.connect(DATABASE_URL)
    results = []
    created: list[uuid.UUID] = []
    try:
        with api_process(CAPACITY_DATABASE_POOL_SIZE=str(max(levels))) as api:
            for level in levels:
                sequence, uris, canceled = deliveries(invitees, rng)
                distinct = len({d.body for d in sequence})
                ws_api, _ = await new_workspace(conn, f"Bench webhooks c{level}")
                ws_bare, lead_bare = await new_workspace(conn, f"Bench bare upserts c{level}")
                created += [ws_api, ws_bare]
                cpu_before = _cpu_seconds(api.pid)
                api_seconds, statuses = await send_through_api(api.url, ws_api, sequence, level)
                api_cpu = _cpu_seconds(api.pid) - cpu_before
                applied = await apply_queued(ws_api, APPLY_CONCURRENCY)
                # Invitee URIs are unique across the table: the baseline gets its own.
                bare_sequence = [replace(d, invitee=d.invitee + "-bare") for d in sequence]
                bare_seconds = await send_bare(ws_bare, lead_bare, bare_sequence, level)
                ws_floor, _ = await new_workspace(conn, f"Bench receipt statements c{level}")
                created.append(ws_floor)
                floor_seconds = await send_receipt_statements(ws_floor, sequence, level)
                api_check = await check(conn, ws_api, uris, canceled)
                bare_check = await check(
                    conn, ws_bare, {u + "-bare" for u in uris}, {u + "-bare" for u in canceled}
                )
                results.append(
                    {
                        "concurrency": level,
                        "deliveries": len(sequence),
                        "distinct_deliveries": distinct,
                        "invitees": len(uris),
                        "canceled": len(canceled),
                        "api_events_per_s": len(sequence) / api_seconds,
                        "api_cpu_ms_per_delivery": 1000 * api_cpu / len(sequence),
                        "bare_events_per_s": len(sequence) / bare_seconds,
                        "receipt_statements_per_s": len(sequence) / floor_seconds,
                        "applied": applied,
                        "statuses": statuses,
                        "api_check": api_check,
                        "bare_check": bare_check,
                    }
                )
                say(json.dumps(results[-1]))
    finally:
        for workspace_id in created:
            await conn.execute(
                "DELETE FROM pgqueuer WHERE dedupe_key IN (SELECT $2 || ':' || id "
                "FROM webhook_event WHERE workspace_id = $1)",
                workspace_id,
                PROCESS_ENTRYPOINT,
            )
            await conn.execute("DELETE FROM webhook_event WHERE workspace_id = $1", workspace_id)
            await conn.execute("DELETE FROM workspace WHERE id = $1", workspace_id)
        await conn.close()

    lines = [
        f"webhook ingestion, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {invitees} invitees per "
        "level, 30% redelivered, 20% canceled with the cancel first",
        "",
        "| in flight | deliveries | API events/s | bare upserts/s | ratio "
        "| receipt statements alone / bare | API CPU ms/delivery "
        "| applied events/s | answers | appointments (expected) | stored events (expected) "
        "| lost / wrong |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["api_check"]
        lines.append(
            f"| {r['concurrency']} | {r['deliveries']} | {r['api_events_per_s']:.0f} "
            f"| {r['bare_events_per_s']:.0f} "
            f"| {r['api_events_per_s'] / r['bare_events_per_s']:.2f} "
            f"| {r['receipt_statements_per_s'] / r['bare_events_per_s']:.2f} "
            f"| {r['api_cpu_ms_per_delivery']:.1f} | {r['applied']['applied_per_s']:.0f} "
            f"| {r['statuses']} "
            f"| {c['appointments']} ({r['invitees']}) "
            f"| {c['stored_events']} ({r['distinct_deliveries']}) "
            f"| {c['missing']} / {c['wrong_status']} |"
        )
    say("\n".join(lines))
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    (STATE_DIR / "webhooks.json").write_text(json.dumps(results, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--invitees", type=int, default=2000)
    parser.add_argument("--levels", default="1,4,16,32")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    asyncio.run(bench(args.invitees, levels, args.seed))


if __name__ == "__main__":
    main()
