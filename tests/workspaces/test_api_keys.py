"""Listing and revoking workspace API keys through the admin API."""

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import make_api_key, make_workspace

from capacity_service.kit.secrets import hash_api_key


def _keys_url(workspace_id: uuid.UUID | str) -> str:
    return f"/v1/admin/workspaces/{workspace_id}/api-keys"


async def _create_key(
    client: httpx.AsyncClient, headers: dict[str, str], workspace_id: uuid.UUID, name: str
) -> dict[str, str]:
    response = await client.post(_keys_url(workspace_id), headers=headers, json={"name": name})
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


async def test_listing_shows_metadata_but_never_the_key_or_its_hash(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    first = await _create_key(client, admin_headers, workspace.id, "first")
    second = await _create_key(client, admin_headers, workspace.id, "second")

    response = await client.get(_keys_url(workspace.id), headers=admin_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    items = {item["id"]: item for item in body["items"]}
    assert set(items) == {first["id"], second["id"]}
    item = items[first["id"]]
    assert set(item) == {"id", "workspaceId", "name", "prefix", "createdAt", "revokedAt"}
    assert item["name"] == "first"
    assert item["prefix"] == first["key"][:10]
    assert item["createdAt"].endswith("Z")
    assert item["revokedAt"] is None
    for created in (first, second):
        assert created["key"] not in response.text
        assert hash_api_key(created["key"]) not in response.text


async def test_listing_shows_only_the_workspaces_own_keys(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    await make_api_key(session, other)

    response = await client.get(_keys_url(mine.id), headers=admin_headers)

    assert response.json()["items"] == []
    assert response.json()["total"] == 0


async def test_listing_keys_of_a_missing_workspace_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get(_keys_url(uuid.uuid4()), headers=admin_headers)
    assert response.status_code == 404


async def test_revoked_key_gets_401_on_the_next_request(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    created = await _create_key(client, admin_headers, workspace.id, "old")
    key_headers = {"Authorization": f"Bearer {created['key']}"}
    leads = f"/v1/workspaces/{workspace.id}/leads"
    assert (await client.get(leads, headers=key_headers)).status_code == 200

    revoked = await client.delete(
        f"{_keys_url(workspace.id)}/{created['id']}", headers=admin_headers
    )

    assert revoked.status_code == 204
    assert (await client.get(leads, headers=key_headers)).status_code == 401
    listed = (await client.get(_keys_url(workspace.id), headers=admin_headers)).json()
    assert listed["items"][0]["revokedAt"].endswith("Z")


async def test_revoking_one_key_leaves_the_others_working(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    old = await _create_key(client, admin_headers, workspace.id, "old")
    new = await _create_key(client, admin_headers, workspace.id, "new")

    await client.delete(f"{_keys_url(workspace.id)}/{old['id']}", headers=admin_headers)

    response = await client.get(
        f"/v1/workspaces/{workspace.id}/leads", headers={"Authorization": f"Bearer {new['key']}"}
    )
    assert response.status_code == 200


async def test_revoking_twice_is_204_and_keeps_the_first_revocation_time(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    created = await _create_key(client, admin_headers, workspace.id, "k")
    url = f"{_keys_url(workspace.id)}/{created['id']}"

    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    first = (await client.get(_keys_url(workspace.id), headers=admin_headers)).json()
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    second = (await client.get(_keys_url(workspace.id), headers=admin_headers)).json()

    assert first["items"][0]["revokedAt"] is not None
    assert second["items"][0]["revokedAt"] == first["items"][0]["revokedAt"]


async def test_revoking_a_key_of_another_workspace_is_404_and_leaves_it_working(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    foreign = await _create_key(client, admin_headers, other.id, "theirs")

    response = await client.delete(f"{_keys_url(mine.id)}/{foreign['id']}", headers=admin_headers)

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    still = await client.get(
        f"/v1/workspaces/{other.id}/leads", headers={"Authorization": f"Bearer {foreign['key']}"}
    )
    assert still.status_code == 200


async def test_revoking_an_unknown_key_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    response = await client.delete(
        f"{_keys_url(workspace.id)}/{uuid.uuid4()}", headers=admin_headers
    )
    assert response.status_code == 404


async def test_a_workspace_key_cannot_list_or_revoke_keys(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    key = await make_api_key(session, workspace)
    headers = {"Authorization": f"Bearer {key}"}

    assert (await client.get(_keys_url(workspace.id), headers=headers)).status_code == 403
    delete = await client.delete(f"{_keys_url(workspace.id)}/{uuid.uuid4()}", headers=headers)
    assert delete.status_code == 403
