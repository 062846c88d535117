"""The pages load without a key, carry only their own origin, and `GET /v1/me` names the caller."""

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.secrets import SecretCipher
from tests.factories import make_api_key, make_workspace

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "capacity_service" / "dashboard"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/capacity"])
async def test_pages_load_without_a_key_and_forbid_other_origins(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert 'id="key-form"' in response.text


async def test_static_files_are_served_from_the_package(client: httpx.AsyncClient) -> None:
    for name in ("dashboard.css", "api.js", "chart.js", "tooltip.js", "workspace.js"):
        response = await client.get(f"/dashboard/static/{name}")
        assert response.status_code == 200, name
    assert (await client.get("/dashboard/static/../endpoints.py")).status_code == 404


def test_no_page_or_script_refers_to_an_outside_address() -> None:
    for path in [*PACKAGE.glob("templates/*"), *PACKAGE.glob("static/*")]:
        text = path.read_text().replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path.name


def test_pages_are_left_out_of_the_api_spec(client: httpx.AsyncClient) -> None:
    from capacity_service.cli import render_openapi

    spec = render_openapi()
    assert '"/dashboard"' not in spec
    assert '"/v1/me"' in spec


async def test_me_names_the_admin(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    response = await client.get("/v1/me", headers=admin_headers)

    assert response.status_code == 200
    assert response.json() == {"admin": True, "workspaceId": None, "workspaceName": None}


async def test_me_names_the_workspace_of_a_key(
    client: httpx.AsyncClient, session: AsyncSession, cipher: SecretCipher
) -> None:
    workspace = await make_workspace(session, cipher, name="Sunrise Dental")
    key = await make_api_key(session, workspace)

    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200
    assert response.json() == {
        "admin": False,
        "workspaceId": str(workspace.id),
        "workspaceName": "Sunrise Dental",
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}])
async def test_me_refuses_a_missing_or_unknown_token(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
