import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from capacity_service.db import create_sessionmaker
from capacity_service.jobs.queue import (
    active_job_id,
    asyncpg_dsn,
    decode_payload,
    enqueue,
    enqueue_many,
    job_status,
)


def test_asyncpg_dsn_accepts_sqlalchemy_urls_and_keeps_the_socket_host() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p@h:5432/db") == "postgresql://u:p@h:5432/db"
    assert (
        asyncpg_dsn("postgresql+asyncpg://postgres:@/db?host=/tmp/pg")
        == "postgresql://postgres:@/db?host=/tmp/pg"
    )
    assert asyncpg_dsn("postgresql://h/db") == "postgresql://h/db"


async def test_enqueue_through_a_session_stores_a_json_payload(session: AsyncSession) -> None:
    job = await enqueue(session, "test.job", {"workspaceId": "abc", "n": 1})
    assert job.created
    row = (
        await session.execute(
            text("SELECT entrypoint, payload, status::text FROM pgqueuer WHERE id = :id"),
            {"id": job.id},
        )
    ).one()
    assert row.entrypoint == "test.job"
    assert decode_payload(row.payload) == {"workspaceId": "abc", "n": 1}
    assert row.status == "queued"
    assert await job_status(session, job.id) == "queued"


async def test_job_status_of_a_job_deleted_before_any_outcome_is_none(
    session: AsyncSession,
) -> None:
    """pgqueuer logs `queued` at enqueue; that entry must not make a deleted job look queued."""
    job = await enqueue(session, "test.job", {})
    await session.execute(text("DELETE FROM pgqueuer WHERE id = :id"), {"id": job.id})
    assert await job_status(session, job.id) is None


async def test_a_second_job_with_the_same_dedupe_key_returns_the_queued_one(
    session: AsyncSession,
) -> None:
    key = f"test.job:{uuid.uuid4()}"
    first = await enqueue(session, "test.job", {}, dedupe_key=key)
    second = await enqueue(session, "test.job", {}, dedupe_key=key)
    assert first.created
    assert not second.created
    assert second.id == first.id
    assert await active_job_id(session, key) == first.id


async def test_enqueue_many_skips_keys_already_queued(session: AsyncSession) -> None:
    key = f"test.job:{uuid.uuid4()}"
    await enqueue(session, "test.job", {}, dedupe_key=key)
    created = await enqueue_many(
        session,
        "test.job",
        [({}, key, None), ({"a": 1}, f"test.job:{uuid.uuid4()}", timedelta(seconds=30))],
    )
    assert created == 1
    delayed = await session.scalar(
        text("SELECT count(*) FROM pgqueuer WHERE execute_after > now() + interval '20 seconds'")
    )
    assert delayed == 1


async def test_a_job_enqueued_first_in_a_transaction_is_rolled_back_with_it(
    engine: AsyncEngine,
) -> None:
    key = f"test.job:{uuid.uuid4()}"
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        await session.begin()
        await enqueue(session, "test.job", {}, dedupe_key=key)
        await session.rollback()

    async with engine.connect() as connection:
        left = await connection.scalar(
            text("SELECT count(*) FROM pgqueuer WHERE dedupe_key = :key"), {"key": key}
        )
    assert left == 0
