"""A PostgreSQL cluster of the test's own, in a temporary folder, that it may stop and start.

Built with pgserver's binaries (initdb, pg_ctl), so it needs nothing on the machine; never the
shared server the other tests use.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pgserver
from pgserver._commands import pg_ctl


@dataclass
class PostgresCluster:
    data_dir: Path
    url: str  # libpq URL over the cluster's unix socket
    system_user: str | None

    @property
    def socket_dir(self) -> str:
        return parse_qs(urlsplit(self.url).query)["host"][0]

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, as in a crash of the database host."""
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self.system_user)

    def start(self) -> None:
        pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.data_dir / "log"),
                "start",
            ],
            pgdata=self.data_dir,
            user=self.system_user,
            timeout=30,
        )


@contextmanager
def postgres_cluster(parent: Path) -> Iterator[PostgresCluster]:
    data_dir = parent / "pg"
    data_dir.mkdir()
    server = pgserver.get_server(str(data_dir), cleanup_mode="delete")
    cluster = PostgresCluster(data_dir, str(server.get_uri()), server.system_user)
    try:
        yield cluster
    finally:
        # pgserver would stop only the process it started itself, not one started since.
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop()
        server.cleanup()
