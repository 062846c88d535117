"""Run wrk (Debian's package) from its own process and read its latency percentiles."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Answers served from an API process's memory carry `X-Cache: hit`; wrk counts them per
# thread, and `done` sums the threads.
DONE = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
cached = 0
response = function(status, headers, body)
  if (headers["X-Cache"] or headers["x-cache"]) == "hit" then cached = cached + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local memory = 0
  for _, thread in ipairs(threads) do memory = memory + (thread:get("cached") or 0) end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "socket_errors": %d, "non2xx": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "cached": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    memory))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    socket_errors: int
    non2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cached: int = 0
    """Answers served from the API process's memory (`X-Cache: hit`)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def requests_script(targets: list[tuple[str, str]]) -> str:
    """A Lua script sending GETs to random (path, bearer token) pairs."""
    rows = ",\n".join(f'  {{"{path}", "{token}"}}' for path, token in targets)
    return (
        f"local targets = {{\n{rows}\n}}\n"
        "local counter = 0\n"
        "init = function(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end\n"
        "request = function()\n"
        "  local t = targets[math.random(#targets)]\n"
        '  return wrk.format("GET", t[1], {["Authorization"] = "Bearer " .. t[2]})\n'
        "end\n" + DONE
    )


def run_wrk(
    url: str, script: str, *, connections: int, seconds: int, threads: int = 1
) -> WrkResult:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        completed = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                lua.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(lua.name).unlink()
    line = next(x for x in completed.stdout.splitlines() if x.startswith("WRK_RESULT "))
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        socket_errors=raw["socket_errors"],
        non2xx=raw["non2xx"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        cached=raw["cached"],
    )
