"""Inputs the schemathesis run turned up, pinned as plain examples: each used to be a 500, a
status the document did not list, or a setting that broke every later provider call."""

import httpx
import pytest
from fastapi import FastAPI

WORKSPACES = "/v1/admin/workspaces"


async def test_a_highlevel_location_taken_by_another_workspace_is_409_on_create_and_update(
    committing_app: FastAPI, admin_headers: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await client.post(
            WORKSPACES, headers=admin_headers, json={"name": "A", "ghlLocationId": "loc-taken"}
        )
        other = await client.post(WORKSPACES, headers=admin_headers, json={"name": "B"})
        assert (first.status_code, other.status_code) == (201, 201)

        updated = await client.patch(
            f"{WORKSPACES}/{other.json()['id']}",
            headers=admin_headers,
            json={"ghlLocationId": "loc-taken"},
        )
        created = await client.post(
            WORKSPACES, headers=admin_headers, json={"name": "C", "ghlLocationId": "loc-taken"}
        )
        unchanged = await client.get(f"{WORKSPACES}/{other.json()['id']}", headers=admin_headers)

    assert (updated.status_code, updated.json()["error"]) == (409, "conflict")
    assert "loc-taken" in updated.json()["detail"]
    assert created.status_code == 409
    assert unchanged.json()["ghlLocationId"] is None


async def test_text_with_a_nul_character_is_422_not_500(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        WORKSPACES, headers=admin_headers, json={"name": "N", "ghlDefaultCalendarId": "\u0000"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize("token", ["pit-abc\n", "pit abc", "pit-\u00e9"])
async def test_a_provider_token_that_cannot_travel_in_a_header_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], token: str
) -> None:
    response = await client.post(
        WORKSPACES, headers=admin_headers, json={"name": "T", "ghlAccessToken": token}
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "ghlAccessToken"


async def test_a_body_that_is_not_utf8_is_a_documented_400(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: FastAPI
) -> None:
    response = await client.post(
        WORKSPACES,
        headers={**admin_headers, "Content-Type": "application/json"},
        content=b'{"name": "\xff\xfe"}',
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    documented = app.openapi()["paths"][WORKSPACES]["post"]["responses"]
    assert {"400", "413", "422"} <= documented.keys()
    assert "ErrorBody" in str(documented["422"])
