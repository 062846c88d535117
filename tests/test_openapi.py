"""The committed OpenAPI document is the one the app generates."""

from pathlib import Path

from capacity_service.cli import render_openapi

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    assert SPEC.read_text() == render_openapi() + "\n", (
        "openapi/openapi.json is out of date: run `make openapi`"
    )
