"""Background work on a PostgreSQL-backed queue (pgqueuer), shared by any number of workers.

How a domain adds a job:

1. In its `tasks.py`, write `async def handler(ctx: JobContext, payload: dict[str, Any]) -> None`
   and list it in a module-level `TASKS = [Task("domain.verb", handler)]`. A job that should run
   for every workspace on an interval also lists `SCHEDULES = [WorkspaceSchedule(...)]`.
2. Add the module path to `TASK_MODULES` in `jobs/registry.py`.
3. Enqueue with `jobs.queue.enqueue(session, "domain.verb", {...}, dedupe_key=...)`, inside the
   caller's transaction: the job exists only if that transaction commits.

Handlers open their own sessions from `ctx.sessionmaker` (one transaction per unit of work).
"""
