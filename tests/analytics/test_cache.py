"""Analytics answers served from memory, evicted by the database's change notifications.

Notifications are sent only on commit, so these tests commit, in a database of their own that
is dropped afterwards. The TTL is far longer than any wait here: an answer that changes within
the wait was evicted by a notification, not by expiry.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.availability.repository import AvailabilityCacheRepository
from capacity_service.config import Settings
from capacity_service.db import create_engine, create_sessionmaker
from capacity_service.jobs.queue import asyncpg_dsn
from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.kit.time import utcnow
from capacity_service.main import create_app
from capacity_service.models import Workspace
from capacity_service.models.webhook_event import WebhookEvent
from capacity_service.workspaces.sources import SourceConfig
from tests.capacity.builders import make_cache
from tests.conftest import ADMIN_TOKEN, ENCRYPTION_KEY, asgi_client
from tests.database import drop_database
from tests.factories import make_appointment, make_lead, make_workspace
from tests.hardening.conftest import new_migrated_database
from tests.support.notifications import DEADLINE_SECONDS, Heard, eventually, heard_everything

TTL_SECONDS = 300
CALENDAR = "cal_default"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    server, name, url = await new_migrated_database("capacity_analytics_cache")
    yield url
    await drop_database(server, name)


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


def cache_settings(database_url: str, seconds: int) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        encryption_key=SecretStr(ENCRYPTION_KEY),
        analytics_cache_seconds=seconds,
    )


_HEARD: dict[str, Heard] = {}


@pytest.fixture
async def app(database_url: str, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    application = create_app(cache_settings(database_url, TTL_SECONDS), engine=engine)
    async with application.router.lifespan_context(application):
        await eventually(lambda: application.state.workspace_changes.live)
        heard = _HEARD["app"] = Heard()
        application.state.workspace_changes.subscribe(heard)
        yield application
    _HEARD.pop("app", None)


async def notifications_delivered(engine: AsyncEngine) -> None:
    """Wait until the app under test heard every change committed so far (the seed's)."""
    heard = _HEARD.get("app")
    if heard is not None:
        await heard_everything(engine, heard)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@dataclass
class DatabaseUse:
    """Connections checked out of the app's pool and statements sent, since the last clear."""

    checkouts: int = 0
    statements: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.checkouts = 0
        self.statements.clear()


@pytest.fixture
def database_use(engine: AsyncEngine) -> Iterator[DatabaseUse]:
    use = DatabaseUse()

    def checked_out(*_: Any) -> None:
        use.checkouts += 1

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        use.statements.append(statement)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", checked_out)
    event.listen(engine.sync_engine, "before_cursor_execute", executed)
    yield use
    event.remove(pool, "checkout", checked_out)
    event.remove(engine.sync_engine, "before_cursor_execute", executed)


async def answer_eventually(
    request: Callable[[], Awaitable[httpx.Response]], accept: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """Ask until an answer is accepted: eviction follows the commit by a notification."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while True:
        response = await request()
        if accept(response):
            return response
        assert loop.time() < deadline, f"still {response.status_code} {response.text[:300]}"
        await asyncio.sleep(0.02)


async def committed(engine: AsyncEngine, write: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await write(session)


@dataclass(frozen=True)
class Seeded:
    workspace: Workspace
    key: str
    key_id: str

    @property
    def url(self) -> str:
        return f"/v1/workspaces/{self.workspace.id}/analytics"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def seed(engine: AsyncEngine, client: httpx.AsyncClient) -> Seeded:
    """A workspace with a DEFAULT calendar, three open slots ahead and an API key."""
    now = utcnow()

    async def write(session: AsyncSession) -> Workspace:
        workspace = await make_workspace(session, ghl_default_calendar_id=CALENDAR)
        await make_cache(
            session,
            workspace,
            AvailabilitySource.DEFAULT,
            CALENDAR,
            [now + timedelta(days=d) for d in (1, 2, 3)],
            fetched_at=now,
        )
        await make_lead(session, workspace)
        return workspace

    workspace: Workspace = await committed(engine, write)
    created = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/api-keys", headers=ADMIN, json={"name": "cache"}
    )
    assert created.status_code == 201, created.text
    await notifications_delivered(engine)
    return Seeded(workspace, created.json()["key"], created.json()["id"])


def served_from_memory(response: httpx.Response) -> bool:
    return response.headers.get("cache-control", "").startswith("private") and (
        response.headers.get("age") is not None
    )


async def test_a_repeated_request_is_answered_from_memory_without_the_database(
    client: httpx.AsyncClient, engine: AsyncEngine, database_use: DatabaseUse
) -> None:
    seeded = await seed(engine, client)
    first = await client.get(seeded.url, headers=seeded.headers)
    assert first.status_code == 200
    assert first.headers["cache-control"] == f"private, max-age={TTL_SECONDS}"
    assert first.headers["age"] == "0"
    assert first.headers["x-cache"] == "miss"

    database_use.clear()
    second = await client.get(seeded.url, headers=seeded.headers)

    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"
    assert second.headers["x-cache"] == "hit"
    assert (database_use.checkouts, database_use.statements) == (0, [])
    max_age = int(second.headers["cache-control"].removeprefix("private, max-age="))
    assert 0 < max_age <= TTL_SECONDS
    assert int(second.headers["age"]) + max_age <= TTL_SECONDS


async def test_the_admin_token_is_checked_in_memory_and_gets_the_same_answer(
    client: httpx.AsyncClient, engine: AsyncEngine, database_use: DatabaseUse
) -> None:
    seeded = await seed(engine, client)
    by_key = await client.get(seeded.url, headers=seeded.headers)

    database_use.clear()
    by_admin = await client.get(seeded.url, headers=ADMIN)

    assert by_admin.status_code == 200
    assert by_admin.content == by_key.content
    assert database_use.checkouts == 0


async def test_each_window_and_campaign_is_its_own_answer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)
    await client.get(seeded.url, headers=seeded.headers, params={"windowDays": 7})

    other = await client.get(seeded.url, headers=seeded.headers, params={"windowDays": 14})
    unknown_campaign = await client.get(
        seeded.url,
        headers=seeded.headers,
        params={"windowDays": 7, "campaignId": str(uuid.uuid4())},
    )

    assert (other.headers["age"], other.json()["windowDays"]) == ("0", 14)
    assert unknown_campaign.status_code == 404
    assert unknown_campaign.headers.get("age") is None


async def test_a_cached_answer_does_not_change_who_may_read_it(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)
    other = await seed(engine, client)
    await client.get(seeded.url, headers=ADMIN)
    await client.get(other.url, headers=other.headers)  # its key is now known in memory

    another_workspaces_key = await client.get(seeded.url, headers=other.headers)
    unknown_key = await client.get(seeded.url, headers={"Authorization": "Bearer cs_nope"})
    no_key = await client.get(seeded.url)
    bad_window = await client.get(seeded.url, headers=ADMIN, params={"windowDays": 91})

    assert another_workspaces_key.status_code == 404
    assert unknown_key.status_code == 401
    assert no_key.status_code == 401
    assert bad_window.status_code == 422


async def test_a_new_confirmed_appointment_in_the_window_changes_the_next_answer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)
    before = await client.get(seeded.url, headers=seeded.headers)
    assert before.json()["capacity"]["bookedSlots"] == 0
    assert served_from_memory(await client.get(seeded.url, headers=seeded.headers))

    async def book(session: AsyncSession) -> None:
        lead = await make_lead(session, seeded.workspace)
        await make_appointment(
            session, lead, start_at=utcnow() + timedelta(days=2), ghl_calendar_id=CALENDAR
        )

    await committed(engine, book)

    after = await answer_eventually(
        lambda: client.get(seeded.url, headers=seeded.headers),
        lambda r: r.json()["capacity"]["bookedSlots"] == 1,
    )
    assert after.json()["capacity"]["bookedPct"] == 25.0
    assert after.json()["appointments"]["upcomingConfirmed"] == 1


async def test_an_availability_refresh_changes_the_next_answer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)
    before = await client.get(seeded.url, headers=seeded.headers)
    assert before.json()["capacity"]["availableSlots"] == 3
    now = utcnow()

    async def refresh(session: AsyncSession) -> None:
        await AvailabilityCacheRepository(session).store_success(
            seeded.workspace.id,
            SourceConfig(AvailabilitySource.DEFAULT, Provider.GHL, CALENDAR),
            [now + timedelta(days=1, hours=h) for h in range(5)],
            range_start_at=now,
            range_end_at=now + timedelta(days=92),
            attempted_at=now,
        )

    await committed(engine, refresh)

    await answer_eventually(
        lambda: client.get(seeded.url, headers=seeded.headers),
        lambda r: r.json()["capacity"]["availableSlots"] == 5,
    )


async def test_a_settings_change_changes_the_next_answer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)
    before = await client.get(seeded.url, headers=seeded.headers)
    assert before.json()["capacity"]["timezone"] == "UTC"

    patched = await client.patch(
        f"/v1/admin/workspaces/{seeded.workspace.id}",
        headers=ADMIN,
        json={"timezone": "America/New_York"},
    )
    assert patched.status_code == 200

    await answer_eventually(
        lambda: client.get(seeded.url, headers=seeded.headers),
        lambda r: r.json()["capacity"]["timezone"] == "America/New_York",
    )


async def test_a_new_webhook_event_changes_the_data_quality_of_the_next_answer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)

    def last_calendly_webhook(response: httpx.Response) -> str | None:
        providers = response.json()["dataQuality"]["providers"]
        found: str | None = next(
            p["lastWebhookReceivedIso"] for p in providers if p["provider"] == "calendly"
        )
        return found

    assert last_calendly_webhook(await client.get(seeded.url, headers=seeded.headers)) is None

    async def receive(session: AsyncSession) -> None:
        session.add(
            WebhookEvent(
                provider=Provider.CALENDLY,
                event_key=uuid.uuid4().hex,
                workspace_id=seeded.workspace.id,
                raw_body=b"{}",
                status="processed",
            )
        )

    await committed(engine, receive)

    await answer_eventually(
        lambda: client.get(seeded.url, headers=seeded.headers),
        lambda r: last_calendly_webhook(r) is not None,
    )


async def test_another_workspaces_change_does_not_evict_this_one(
    client: httpx.AsyncClient, engine: AsyncEngine, database_use: DatabaseUse
) -> None:
    seeded = await seed(engine, client)
    other = await seed(engine, client)
    await client.get(seeded.url, headers=seeded.headers)
    await client.get(other.url, headers=other.headers)

    await committed(engine, lambda session: make_lead(session, other.workspace))
    # Once the other workspace shows its new lead, its notification has been handled.
    await answer_eventually(
        lambda: client.get(other.url, headers=other.headers),
        lambda r: r.json()["leads"]["total"] == 2,
    )

    database_use.clear()
    unchanged = await client.get(seeded.url, headers=seeded.headers)
    assert unchanged.json()["leads"]["total"] == 1
    assert database_use.checkouts == 0


async def test_a_revoked_key_is_refused_once_the_revocation_is_announced(
    client: httpx.AsyncClient, engine: AsyncEngine, database_use: DatabaseUse
) -> None:
    seeded = await seed(engine, client)
    await client.get(seeded.url, headers=seeded.headers)
    database_use.clear()
    assert (await client.get(seeded.url, headers=seeded.headers)).status_code == 200
    assert database_use.checkouts == 0  # key and answer both from memory

    revoked = await client.delete(
        f"/v1/admin/workspaces/{seeded.workspace.id}/api-keys/{seeded.key_id}", headers=ADMIN
    )
    assert revoked.status_code == 204

    refused = await answer_eventually(
        lambda: client.get(seeded.url, headers=seeded.headers), lambda r: r.status_code != 200
    )
    assert refused.status_code == 401
    assert (await client.get(seeded.url, headers=ADMIN)).status_code == 200


async def test_while_the_listener_is_down_nothing_is_cached_and_nothing_stale_is_served_after(
    app: FastAPI,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    database_url: str,
    database_use: DatabaseUse,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = await seed(engine, client)
    await client.get(seeded.url, headers=seeded.headers)
    listener = app.state.workspace_changes
    reconnect = asyncio.Event()
    connect = listener.connect

    async def held_until_allowed() -> Any:
        await reconnect.wait()
        return await connect()

    monkeypatch.setattr(listener, "connect", held_until_allowed)
    operator = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await operator.execute("SELECT pg_terminate_backend($1)", listener.backend_pid)
    finally:
        await operator.close()
    await eventually(lambda: not listener.live)

    database_use.clear()
    down = [await client.get(seeded.url, headers=seeded.headers) for _ in range(2)]
    assert [r.headers["cache-control"] for r in down] == ["no-store", "no-store"]
    assert [r.headers.get("age") for r in down] == [None, None]
    assert database_use.checkouts == 2
    assert down[0].json()["leads"]["total"] == 1

    # Written while nobody listens: its notification is lost to this process.
    await committed(engine, lambda session: make_lead(session, seeded.workspace))
    reconnect.set()
    await eventually(lambda: listener.live)

    fresh = await client.get(seeded.url, headers=seeded.headers)
    cached = await client.get(seeded.url, headers=seeded.headers)
    assert fresh.json()["leads"]["total"] == 2
    assert (fresh.headers["cache-control"], fresh.headers["age"]) == (
        f"private, max-age={TTL_SECONDS}",
        "0",
    )
    assert served_from_memory(cached)
    assert cached.content == fresh.content


async def test_with_a_pinned_clock_every_answer_is_computed_for_that_instant(
    app: FastAPI, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    seeded = await seed(engine, client)
    pinned = utcnow() - timedelta(days=1)
    app.state.clock = lambda: pinned

    answers = [await client.get(seeded.url, headers=seeded.headers) for _ in range(2)]

    assert [r.headers["cache-control"] for r in answers] == ["no-store", "no-store"]
    assert {r.json()["generatedAtIso"] for r in answers} == {iso(pinned)}


async def test_a_cache_of_zero_seconds_answers_every_request_from_the_database(
    database_url: str, engine: AsyncEngine, database_use: DatabaseUse
) -> None:
    application = create_app(cache_settings(database_url, 0), engine=engine)
    async with application.router.lifespan_context(application), asgi_client(application) as client:
        seeded = await seed(engine, client)
        assert application.state.workspace_changes is None  # no listening connection either
        database_use.clear()

        answers = [await client.get(seeded.url, headers=seeded.headers) for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert {r.headers["cache-control"] for r in answers} == {"no-store"}
    assert database_use.checkouts == 3


def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
