"""Running the queued webhook-processing jobs of a test's transaction, as a worker would."""

from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.jobs.context import JobContext, WorkerResources
from capacity_service.jobs.queue import decode_payload
from capacity_service.webhooks.dispatch import PROCESS_ENTRYPOINT
from capacity_service.webhooks.tasks import process_task

ProcessWebhooks = Callable[[], Awaitable[int]]

_NEXT_JOB = text(
    "DELETE FROM pgqueuer WHERE id = (SELECT id FROM pgqueuer WHERE entrypoint = :entrypoint "
    "ORDER BY id LIMIT 1) RETURNING id, payload"
)


def webhook_job_runner(session: AsyncSession, resources: WorkerResources) -> ProcessWebhooks:
    """Take each queued `webhooks.process` job off the queue, oldest first, and run its handler;
    returns how many ran. The test's session sees the jobs its requests queued."""

    async def run() -> int:
        ran = 0
        while True:
            row = (await session.execute(_NEXT_JOB, {"entrypoint": PROCESS_ENTRYPOINT})).first()
            if row is None:
                return ran
            await process_task(
                JobContext(resources, job_id=int(row.id)), decode_payload(row.payload)
            )
            ran += 1

    return run


async def process_committed_webhooks(resources: WorkerResources) -> int:
    """The same for committed jobs (tests with real commits): each taken in its own
    transaction, then run."""
    ran = 0
    while True:
        async with resources.sessionmaker() as session, session.begin():
            row = (await session.execute(_NEXT_JOB, {"entrypoint": PROCESS_ENTRYPOINT})).first()
        if row is None:
            return ran
        await process_task(JobContext(resources, job_id=int(row.id)), decode_payload(row.payload))
        ran += 1
