"""Leads: create-or-update by email."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import make_api_key, make_workspace


async def test_same_email_updates_the_same_lead(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await make_workspace(session)
    headers = {"Authorization": f"Bearer {await make_api_key(session, workspace)}"}
    url = f"/v1/workspaces/{workspace.id}/leads"

    created = await client.post(
        url, headers=headers, json={"email": "Ada@Example.com", "name": "Ada"}
    )
    assert created.status_code == 201
    updated = await client.post(
        url, headers=headers, json={"email": "ada@example.com", "phone": "+1555"}
    )
    assert updated.status_code == 200

    assert created.json()["id"] == updated.json()["id"]
    assert updated.json()["name"] == "Ada"
    assert updated.json()["phone"] == "+1555"
    assert updated.json()["email"] == "ada@example.com"

    lead = await client.get(f"{url}/{created.json()['id']}", headers=headers)
    assert lead.status_code == 200
    listed = await client.get(url, headers=headers)
    assert listed.json()["total"] == 1


async def test_invalid_email_is_422(client: httpx.AsyncClient, session: AsyncSession) -> None:
    workspace = await make_workspace(session)
    headers = {"Authorization": f"Bearer {await make_api_key(session, workspace)}"}
    response = await client.post(
        f"/v1/workspaces/{workspace.id}/leads", headers=headers, json={"email": "nope"}
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "email"


async def test_campaign_of_another_workspace_is_404(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    mine = await make_workspace(session)
    other = await make_workspace(session)
    campaign = await client.post(
        f"/v1/workspaces/{other.id}/campaigns", headers=admin_headers, json={"name": "Spring"}
    )
    assert campaign.status_code == 201
    response = await client.post(
        f"/v1/workspaces/{mine.id}/leads",
        headers=admin_headers,
        json={"email": "x@example.com", "campaignId": campaign.json()["id"]},
    )
    assert response.status_code == 404


async def test_leads_filtered_by_campaign(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    base = f"/v1/workspaces/{workspace.id}"
    campaign = (
        await client.post(f"{base}/campaigns", headers=admin_headers, json={"name": "C"})
    ).json()
    await client.post(
        f"{base}/leads",
        headers=admin_headers,
        json={"email": "a@example.com", "campaignId": campaign["id"]},
    )
    await client.post(f"{base}/leads", headers=admin_headers, json={"email": "b@example.com"})
    listed = await client.get(
        f"{base}/leads", headers=admin_headers, params={"campaignId": campaign["id"]}
    )
    assert [lead["email"] for lead in listed.json()["items"]] == ["a@example.com"]


async def test_duplicate_campaign_name_is_409(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await make_workspace(session)
    url = f"/v1/workspaces/{workspace.id}/campaigns"
    assert (await client.post(url, headers=admin_headers, json={"name": "Dup"})).status_code == 201
    assert (await client.post(url, headers=admin_headers, json={"name": "Dup"})).status_code == 409
    listed = await client.get(url, headers=admin_headers)
    assert listed.json()["total"] == 1
