"""Fill the bench database: workspaces, leads, appointments and cached slots, by COPY.

    python -m bench.generate [--workspaces 1000] [--appointments 2000000] [--slots 1500]

Creates `capacity_bench` on the machine's PostgreSQL (CAPACITY_BENCH_SERVER_URL, default
postgresql://postgres@127.0.0.1:5432) if needed, migrates it with the project's Alembic, empties
it, and loads with asyncpg's binary COPY. Each workspace has a HighLevel calendar as DEFAULT and
a Calendly event type as DIRECT_BOOK, both refreshed a minute ago with `--slots` open slots over
the next 92 days, one API key, and `appointments / workspaces` appointments on half as many
leads: 60% confirmed, 15% canceled, 5% rescheduled, 12% showed, 8% no-show; 60% HighLevel;
75% attributed to a configured source, 10% to a calendar the workspace does not list, 15% with
no attribution yet; starts from 180 days ago to 90 days ahead. The API keys go to
.data/bench/workspaces.json for the load drivers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet

from bench.common import (
    ENCRYPTION_KEY,
    STATE_DIR,
    WORKSPACES_FILE,
    connect,
    ensure_database,
    migrate,
    say,
)
from capacity_service.kit.secrets import hash_api_key

STATUSES = [
    ("CONFIRMED", 60),
    ("CANCELED", 15),
    ("RESCHEDULED", 5),
    ("SHOWED", 12),
    ("NO_SHOW", 8),
]
CHUNK = 200_000
TABLES = (
    "webhook_event, booking_request, backfill_run, appointment, lead, campaign, "
    "workspace_availability_cache, api_key, workspace, pgqueuer, pgqueuer_log"
)


def _weighted(rng: random.Random, n: int) -> list[str]:
    return rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES], k=n)


async def generate(workspaces: int, appointments: int, slots_per_source: int, seed: int) -> None:
    rng = random.Random(seed)
    started = time.monotonic()
    await ensure_database()
    migrate()
    conn = await connect()
    try:
        await conn.execute(f"TRUNCATE {TABLES} CASCADE")
        now = datetime.now(UTC).replace(microsecond=0)
        fernet = Fernet(ENCRYPTION_KEY.encode())
        token = fernet.encrypt(b"bench-provider-token")
        signing = fernet.encrypt(b"bench-calendly-signing-key")

        ws_rows, key_rows, cache_rows, listed = [], [], [], []
        for i in range(workspaces):
            ws_id = uuid.uuid4()
            calendar = f"cal-{i:04d}"
            event_type = f"https://api.calendly.com/event_types/ET{i:04d}"
            ws_rows.append(
                (ws_id, f"Bench workspace {i:04d}", "America/New_York", f"bench-loc-{i:04d}",
                 token, calendar, token, "https://api.calendly.com/organizations/BENCH",
                 signing, event_type, now, now)
            )  # fmt: skip
            key = f"cs_bench_{uuid.uuid4().hex}"
            key_rows.append((uuid.uuid4(), ws_id, "bench", key[:10], hash_api_key(key), now))
            for source, provider, identifier in (
                ("DEFAULT", "ghl", calendar),
                ("DIRECT_BOOK", "calendly", event_type),
            ):
                first = now.replace(minute=0, second=0) + timedelta(hours=1)
                halves = sorted(rng.sample(range(92 * 48), slots_per_source))
                slots = [first + timedelta(minutes=30 * h) for h in halves]
                cache_rows.append(
                    (uuid.uuid4(), ws_id, source, provider, identifier, slots, now,
                     now + timedelta(days=92), 30, now - timedelta(minutes=1), 0, now, now)
                )  # fmt: skip
            listed.append(
                {"id": str(ws_id), "key": key, "calendar": calendar, "eventType": event_type}
            )

        await conn.copy_records_to_table(
            "workspace",
            records=ws_rows,
            columns=[
                "id", "name", "timezone", "ghl_location_id", "ghl_access_token_encrypted",
                "ghl_default_calendar_id", "calendly_access_token_encrypted",
                "calendly_organization_uri", "calendly_webhook_signing_key_encrypted",
                "calendly_direct_book_event_type_uri", "created_at", "updated_at",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "api_key",
            records=key_rows,
            columns=["id", "workspace_id", "name", "prefix", "key_hash", "created_at"],
        )
        await conn.copy_records_to_table(
            "workspace_availability_cache",
            records=cache_rows,
            columns=[
                "id", "workspace_id", "source", "provider", "identifier", "slots",
                "range_start_at", "range_end_at", "slot_duration_minutes", "fetched_at",
                "consecutive_failures", "created_at", "updated_at",
            ],
        )  # fmt: skip
        say(f"{workspaces} workspaces, keys and caches in {time.monotonic() - started:.1f}s")

        per_workspace = appointments // workspaces
        leads_per_workspace = max(1, per_workspace // 2)
        lead_rows = []
        lead_ids: list[list[uuid.UUID]] = []
        for w, (ws_id, *_rest) in enumerate(ws_rows):
            ids = [uuid.uuid4() for _ in range(leads_per_workspace)]
            lead_ids.append(ids)
            for n, lead_id in enumerate(ids):
                created = now - timedelta(days=rng.uniform(0, 365))
                lead_rows.append(
                    (lead_id, ws_id, f"lead{n}@w{w}.example.com", f"Lead {n}",
                     f"contact-{w}-{n}", created, created)
                )  # fmt: skip
        for start in range(0, len(lead_rows), CHUNK):
            await conn.copy_records_to_table(
                "lead",
                records=lead_rows[start : start + CHUNK],
                columns=[
                    "id", "workspace_id", "email", "name", "ghl_contact_id", "created_at",
                    "updated_at",
                ],
            )  # fmt: skip
        say(f"{len(lead_rows)} leads in {time.monotonic() - started:.1f}s")

        written = 0
        batch: list[tuple[object, ...]] = []
        for w, (ws_id, *_rest) in enumerate(ws_rows):
            calendar, event_type = listed[w]["calendar"], listed[w]["eventType"]
            statuses = _weighted(rng, per_workspace)
            for k in range(per_workspace):
                lead_id = lead_ids[w][k % leads_per_workspace]
                start_at = now + timedelta(minutes=rng.randrange(-180 * 48, 90 * 48) * 30)
                booked_at = start_at - timedelta(hours=rng.uniform(1, 24 * 30))
                ghl = rng.random() < 0.6
                attribution = rng.random()
                if attribution < 0.75:
                    target: str | None = calendar if ghl else event_type
                elif attribution < 0.85:
                    target = "cal-unlisted" if ghl else "https://api.calendly.com/event_types/X"
                else:
                    target = None
                appointment_id = uuid.uuid4()
                batch.append(
                    (appointment_id, ws_id, lead_id, "ghl" if ghl else "calendly",
                     f"ghl-{appointment_id.hex}" if ghl else None,
                     None if ghl else
                     f"https://api.calendly.com/scheduled_events/{appointment_id.hex}/invitees/I",
                     target if ghl else None, None if ghl else target, statuses[k],
                     start_at, start_at + timedelta(minutes=30), min(booked_at, now), now, now)
                )  # fmt: skip
                if len(batch) >= CHUNK:
                    written += await _copy_appointments(conn, batch)
                    batch = []
                    say(f"{written} appointments in {time.monotonic() - started:.1f}s")
        written += await _copy_appointments(conn, batch)
        # VACUUM as well: it sets the visibility map that makes the covering capacity index an
        # index-only scan, which autovacuum would do on a live database some time after a load.
        await conn.execute("VACUUM (ANALYZE)")
        say(f"{written} appointments; loaded and vacuumed in {time.monotonic() - started:.1f}s")
    finally:
        await conn.close()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    WORKSPACES_FILE.write_text(json.dumps(listed))


async def _copy_appointments(conn: object, batch: list[tuple[object, ...]]) -> int:
    if not batch:
        return 0
    await conn.copy_records_to_table(  # type: ignore[attr-defined]
        "appointment",
        records=batch,
        columns=[
            "id", "workspace_id", "lead_id", "provider", "ghl_appointment_id",
            "calendly_invitee_uri", "ghl_calendar_id", "calendly_event_type_uri", "status",
            "start_at", "end_at", "booked_at", "created_at", "updated_at",
        ],
    )  # fmt: skip
    return len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--appointments", type=int, default=2_000_000)
    parser.add_argument("--slots", type=int, default=1500, help="cached slots per source")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(generate(args.workspaces, args.appointments, args.slots, args.seed))


if __name__ == "__main__":
    main()
