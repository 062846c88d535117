"""Workspace settings through the admin API."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Workspace

WORKSPACES = "/v1/admin/workspaces"


async def test_create_workspace_returns_camelcase_settings_without_secrets(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        WORKSPACES,
        headers=admin_headers,
        json={
            "name": "Acme Dental",
            "timezone": "America/New_York",
            "ghlLocationId": "loc_1",
            "ghlAccessToken": "pit-secret-token",
            "ghlDefaultCalendarId": "cal_default",
            "calendlyDirectBookEventTypeUri": "https://api.calendly.com/event_types/ET1",
            "calendlyWebhookSigningKey": "signing-secret",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Acme Dental"
    assert body["ghlAccessTokenSet"] is True
    assert body["calendlyWebhookSigningKeySet"] is True
    assert "pit-secret-token" not in response.text
    assert "signing-secret" not in response.text
    assert body["createdAt"].endswith("Z")
    assert {s["source"]: s["identifier"] for s in body["sources"]} == {
        "DEFAULT": "cal_default",
        "DIRECT_BOOK": "https://api.calendly.com/event_types/ET1",
    }


async def test_provider_tokens_are_encrypted_at_rest(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session: AsyncSession,
    cipher: SecretCipher,
) -> None:
    response = await client.post(
        WORKSPACES,
        headers=admin_headers,
        json={"name": "Enc", "ghlAccessToken": "pit-raw-token", "calendlyAccessToken": "cal-raw"},
    )
    workspace = await session.scalar(select(Workspace).where(Workspace.id == response.json()["id"]))
    assert workspace is not None
    assert workspace.ghl_access_token_encrypted is not None
    assert b"pit-raw-token" not in workspace.ghl_access_token_encrypted
    assert cipher.decrypt(workspace.ghl_access_token_encrypted) == "pit-raw-token"
    assert workspace.calendly_access_token_encrypted is not None
    assert b"cal-raw" not in workspace.calendly_access_token_encrypted


async def test_invalid_timezone_is_422_naming_the_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        WORKSPACES, headers=admin_headers, json={"name": "X", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["fields"][0]["field"] == "timezone"
    assert "Mars/Olympus" in body["detail"]


async def test_missing_name_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(WORKSPACES, headers=admin_headers, json={})
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "name"


async def test_malformed_json_is_422_not_500(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        WORKSPACES,
        headers={**admin_headers, "content-type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 422


async def test_body_over_one_mebibyte_is_413(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        WORKSPACES,
        headers={**admin_headers, "content-type": "application/json"},
        content=b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}',
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_both_providers_on_one_source_need_a_choice(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    settings = {
        "name": "Both",
        "ghlDefaultCalendarId": "cal_1",
        "calendlyDefaultEventTypeUri": "https://api.calendly.com/event_types/E",
    }
    ambiguous = await client.post(WORKSPACES, headers=admin_headers, json=settings)
    assert ambiguous.status_code == 422
    assert "defaultSourceProvider" in ambiguous.json()["detail"]

    chosen = await client.post(
        WORKSPACES, headers=admin_headers, json={**settings, "defaultSourceProvider": "calendly"}
    )
    assert chosen.status_code == 201
    default = next(s for s in chosen.json()["sources"] if s["source"] == "DEFAULT")
    assert default == {
        "source": "DEFAULT",
        "provider": "calendly",
        "identifier": "https://api.calendly.com/event_types/E",
    }


async def test_patch_changes_only_given_fields_and_null_clears(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(
        WORKSPACES,
        headers=admin_headers,
        json={"name": "P", "ghlDefaultCalendarId": "cal_1", "ghlDirectBookCalendarId": "cal_2"},
    )
    workspace_id = created.json()["id"]
    patched = await client.patch(
        f"{WORKSPACES}/{workspace_id}",
        headers=admin_headers,
        json={"ghlDirectBookCalendarId": None, "timezone": "Europe/Paris"},
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body["ghlDefaultCalendarId"] == "cal_1"
    assert body["ghlDirectBookCalendarId"] is None
    assert body["timezone"] == "Europe/Paris"
    assert body["name"] == "P"


async def test_duplicate_location_is_409(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first = await client.post(
        WORKSPACES, headers=admin_headers, json={"name": "A", "ghlLocationId": "loc_dup"}
    )
    assert first.status_code == 201
    second = await client.post(
        WORKSPACES, headers=admin_headers, json={"name": "B", "ghlLocationId": "loc_dup"}
    )
    assert second.status_code == 409


async def test_get_list_and_delete(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await client.post(WORKSPACES, headers=admin_headers, json={"name": "Gone soon"})
    workspace_id = created.json()["id"]

    listed = await client.get(WORKSPACES, headers=admin_headers, params={"limit": 500})
    assert workspace_id in [w["id"] for w in listed.json()["items"]]

    assert (
        await client.get(f"{WORKSPACES}/{workspace_id}", headers=admin_headers)
    ).status_code == 200
    deleted = await client.delete(f"{WORKSPACES}/{workspace_id}", headers=admin_headers)
    assert deleted.status_code == 204
    missing = await client.get(f"{WORKSPACES}/{workspace_id}", headers=admin_headers)
    assert missing.status_code == 404


async def test_non_uuid_workspace_id_is_422(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get(f"{WORKSPACES}/not-a-uuid", headers=admin_headers)
    assert response.status_code == 422
