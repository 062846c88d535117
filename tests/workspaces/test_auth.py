"""Who may call what."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import make_api_key, make_workspace


async def test_admin_endpoint_without_credentials_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/admin/workspaces")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "Authorization: Bearer" in response.json()["detail"]


async def test_wrong_admin_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/admin/workspaces", headers={"Authorization": "Bearer not-the-token"}
    )
    assert response.status_code == 401


async def test_workspace_key_on_admin_endpoint_is_403(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    key = await make_api_key(session, workspace)
    response = await client.get("/v1/admin/workspaces", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


async def test_workspace_key_reads_its_own_workspace(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    key = await make_api_key(session, workspace)
    response = await client.get(
        f"/v1/workspaces/{workspace.id}/leads", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200


async def test_key_of_another_workspace_gets_the_same_404_as_a_missing_workspace(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    key = await make_api_key(session, mine)
    headers = {"Authorization": f"Bearer {key}"}

    foreign = await client.get(f"/v1/workspaces/{other.id}/leads", headers=headers)
    missing = await client.get(
        "/v1/workspaces/00000000-0000-0000-0000-000000000000/leads", headers=headers
    )

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"] == missing.json()["error"] == "not_found"


async def test_unknown_workspace_key_is_401(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    response = await client.get(
        f"/v1/workspaces/{workspace.id}/leads", headers={"Authorization": "Bearer cs_unknown"}
    )
    assert response.status_code == 401


async def test_admin_token_reaches_any_workspace(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    response = await client.get(f"/v1/workspaces/{workspace.id}/leads", headers=admin_headers)
    assert response.status_code == 200


async def test_created_api_key_is_shown_once_and_works(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    created = await client.post(
        f"/v1/admin/workspaces/{workspace.id}/api-keys",
        json={"name": "dashboard"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("cs_")
    response = await client.get(
        f"/v1/workspaces/{workspace.id}/leads", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200
