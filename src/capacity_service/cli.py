"""`capacity-service` command line: serve, migrate, openapi (and the job commands)."""

import asyncio
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from capacity_service.config import ConfigError, Settings, load_settings, with_local_secrets

app = typer.Typer(
    help="How full each client's calendars really are.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> None:
    """One clear line on stderr and a non-zero exit, never a traceback."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def resolve_settings(*, require_admin_token: bool = True) -> Settings:
    """Settings for a command, with an embedded database and local secrets when no URL is set."""
    try:
        settings = load_settings()
        if settings.embedded_database:
            from capacity_service.kit.embedded_postgres import start_embedded_postgres

            settings = with_local_secrets(settings)
            url = start_embedded_postgres(settings.data_dir)
            settings = settings.model_copy(update={"database_url": url})
        settings.require_runtime_secrets(admin_token=require_admin_token)
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable, keeps type checkers informed
    return settings


def run_migrations(settings: Settings) -> None:
    from capacity_service.db import create_engine
    from capacity_service.migrations import upgrade

    async def _run() -> None:
        engine = create_engine(str(settings.database_url), pool_size=1)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(_run())
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")


@app.command()
def migrate() -> None:
    """Bring the database schema to the latest migration."""
    settings = resolve_settings()
    run_migrations(settings)
    typer.echo("database schema is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Migrate, then serve the API (an embedded PostgreSQL when no database URL is set)."""
    import uvicorn

    from capacity_service.main import create_app

    settings = resolve_settings()
    run_migrations(settings)
    if load_settings().admin_token is None:
        typer.echo(f"admin token: {(settings.data_dir / 'admin-token').resolve()}")
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"serving on http://{bind_host}:{bind_port} (API docs at /docs)")
    uvicorn.run(
        create_app(settings),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        proxy_headers=True,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=2, help="Jobs this worker runs at once (all entrypoints).")
    ] = 20,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate the schema before starting.")
    ] = True,
) -> None:
    """Run background jobs (availability refresh, schedules) until SIGINT/SIGTERM.

    Start as many as needed on any machines: they share the work through the database.
    """
    from capacity_service.jobs.worker import run_worker

    settings = resolve_settings(require_admin_token=False)
    if migrate_first:
        run_migrations(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per provider call is noise
    typer.echo(f"worker running with up to {concurrency} concurrent jobs")
    try:
        asyncio.run(run_worker(settings, concurrency=concurrency))
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")


@app.command()
def backfill(
    workspace_id: Annotated[uuid.UUID, typer.Argument(help="The workspace to backfill.")],
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=100, help="Lookups in flight per provider account."),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Also ask again about rows an earlier run marked as permanently failed.",
        ),
    ] = False,
) -> None:
    """Fill missing appointment attribution from the providers, here and now, with progress.

    Exits 0 when the run succeeded, 1 when it finished with provider-level errors or another
    process is already backfilling the workspace.
    """
    from capacity_service.backfill.console import backfill_in_foreground
    from capacity_service.exceptions import CapacityServiceError

    settings = resolve_settings()
    try:
        summary = asyncio.run(
            backfill_in_foreground(
                settings, workspace_id, concurrency=concurrency, retry_failed=retry_failed
            )
        )
    except CapacityServiceError as exc:
        fail(exc.detail)
        return
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")
        return
    if summary.status == "already_running":
        typer.echo(f"another process is running backfill {summary.run_id} of this workspace")
        raise typer.Exit(code=1)
    if summary.failed_rows_cleared:
        typer.echo(f"cleared {summary.failed_rows_cleared} earlier lookup failures to ask again")
    typer.echo(
        f"run {summary.run_id} {summary.status}: {summary.ghl_updated} HighLevel and "
        f"{summary.calendly_updated} Calendly appointments attributed of {summary.total}, "
        f"{summary.error_count} errors"
    )
    for error in summary.errors[:20]:
        where = error.appointment_id or "run"
        typer.echo(f"  {where}: {error.message}")
    if summary.error_count > 20:
        typer.echo(f"  ... see GET /v1/admin/backfill-runs/{summary.run_id} for more")
    if summary.status != "succeeded":
        raise typer.Exit(code=1)


@app.command("rotate-secrets")
def rotate_secrets_command(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = 500,
) -> None:
    """Re-encrypt every stored secret with the first key of CAPACITY_ENCRYPTION_KEY.

    Safe to run again (secrets already under the first key are skipped). Exits 1 if some
    secret cannot be decrypted with any configured key (those are left as they are).
    """
    from capacity_service.key_rotation.console import run_rotation

    settings = resolve_settings(require_admin_token=False)
    try:
        unreadable = asyncio.run(run_rotation(settings, batch_size=batch_size, echo=typer.echo))
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")
        return
    if unreadable:
        raise typer.Exit(code=1)


@app.command()
def demo(
    remove: Annotated[
        bool, typer.Option("--remove", help="Delete the demo workspace and all its data.")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (a free one if it is taken).")
    ] = None,
) -> None:
    """Serve with a demo workspace whose numbers travelled the real webhook and refresh paths.

    Starts the provider test double in this process, points the service at it, creates
    "Demo — Sunrise Dental", and prints the dashboard address and an API key.
    """
    from capacity_service.demo.console import print_ready
    from capacity_service.demo.runner import remove_demo, run_demo

    settings = resolve_settings()
    run_migrations(settings)
    if remove:
        removed = asyncio.run(remove_demo(settings))
        typer.echo(f"removed {', '.join(removed)}" if removed else "no demo data to remove")
        return
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(
        run_demo(
            settings,
            host=host or settings.host,
            port=port or settings.port,
            on_ready=print_ready,
        )
    )


@app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec.")] = Path(
        "openapi/openapi.json"
    ),
) -> None:
    """Write the OpenAPI document of the API (no database needed)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_openapi() + "\n")
    typer.echo(f"wrote {output}")


def render_openapi() -> str:
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    from capacity_service.main import create_app

    settings = Settings(
        database_url="postgresql+asyncpg://unused@localhost/unused",
        admin_token=SecretStr("unused"),
        encryption_key=SecretStr(Fernet.generate_key().decode()),
    )
    return json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app()
    except ConfigError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
