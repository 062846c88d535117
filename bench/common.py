"""What the benchmark drivers share: the bench database, its secrets, the API process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".data" / "bench"
WORKSPACES_FILE = STATE_DIR / "workspaces.json"

SERVER_URL = os.environ.get("CAPACITY_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("CAPACITY_BENCH_DATABASE", "capacity_bench")
DATABASE_URL = f"{SERVER_URL}/{DATABASE}"
ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
# A fixed key: the bench database holds only generated data, and re-runs must decrypt it.
ENCRYPTION_KEY = "q0fy5mYJg7o8t7tH3UQ3r3Jq7mXbG1T8yVwO5k2s9xE="


def asyncpg_url(url: str = DATABASE_URL) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def service_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CAPACITY_DATABASE_URL": asyncpg_url(),
        "CAPACITY_ADMIN_TOKEN": ADMIN_TOKEN,
        "CAPACITY_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "CAPACITY_LOG_LEVEL": "warning",
        "CAPACITY_DATA_DIR": str(STATE_DIR),
        **extra,
    }


async def connect() -> asyncpg.Connection:
    return await asyncpg.connect(DATABASE_URL)


async def ensure_database() -> None:
    conn = await asyncpg.connect(f"{SERVER_URL}/postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


def migrate() -> None:
    subprocess.run(
        [sys.executable, "-m", "capacity_service.cli", "migrate"],
        env=service_env(),
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.popen.pid


@contextmanager
def api_process(**env: str) -> Iterator[Process]:
    """One `capacity-service serve` (one uvicorn process) on a free loopback port."""
    port = free_port()
    log = (STATE_DIR / f"api-{port}.log").open("wb")
    popen = subprocess.Popen(
        [sys.executable, "-m", "capacity_service.cli", "serve", "--port", str(port)],
        env=service_env(**env),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, popen)
        yield Process(popen, url)
    finally:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
        log.close()


def wait_ready(url: str, popen: subprocess.Popen[bytes], path: str = "/readyz") -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{url} exited with {popen.returncode}")
        try:
            if httpx.get(url + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def load_workspaces() -> list[dict[str, str]]:
    if not WORKSPACES_FILE.exists():
        raise SystemExit("no bench data: run `python -m bench.generate` first")
    data: list[dict[str, str]] = json.loads(WORKSPACES_FILE.read_text())
    return data


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
