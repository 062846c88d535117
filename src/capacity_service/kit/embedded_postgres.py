"""The embedded PostgreSQL used when no database URL is configured (local runs and tests)."""

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


def start_embedded_postgres(
    data_dir: Path, *, database: str = "capacity", keep: bool = True
) -> str:
    """Start (or reuse) a PostgreSQL cluster in `data_dir/postgres`; return an asyncpg URL.

    `keep=True` leaves the server running after this process exits so that restarts of
    `make run` reuse it in well under a second.
    """
    import pgserver  # type: ignore[attr-defined,unused-ignore]

    data_dir.mkdir(parents=True, exist_ok=True)
    server: Any = pgserver.get_server(  # type: ignore[attr-defined,unused-ignore]
        str((data_dir / "postgres").resolve()), cleanup_mode=None if keep else "stop"
    )
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
