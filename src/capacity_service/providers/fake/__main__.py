"""Serve the provider test double in the foreground (demo and benchmarks in another process)."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from capacity_service.providers.fake.app import create_fake_provider_app
from capacity_service.providers.fake.state import FakeProviderState


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m capacity_service.providers.fake")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per window")
    parser.add_argument("--rate-window-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    state = FakeProviderState()
    state.configure(
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        rate_window_seconds=args.rate_window_seconds,
    )
    sys.stderr.write(f"provider test double on http://{args.host}:{args.port}\n")
    uvicorn.run(
        create_fake_provider_app(state), host=args.host, port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
