"""Hostile callers: other tenants' keys, no key, wrong admin tokens, oversize bodies, and
secrets that must never leave the service.

Routes are enumerated from the app, so an endpoint added later is covered without touching
this file; a route that escapes every rule below fails `test_every_route_is_classified`.
"""

import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from capacity_service.availability.tasks import refresh_workspace
from capacity_service.config import Settings
from capacity_service.kit.secrets import SecretCipher
from capacity_service.kit.time import utcnow
from capacity_service.main import create_app
from capacity_service.providers import ProviderClients
from capacity_service.providers.fake import DEFAULT_CALENDLY_ORGANIZATION, FakeProviderServer
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_api_key, make_workspace
from tests.hardening.seed import fake_clients
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

WORKSPACE_PREFIX = "/v1/workspaces/{workspace_id}"
ADMIN_PREFIX = "/v1/admin"
PUBLIC = {"/healthz", "/readyz"}
SIGNED = {"/v1/webhooks/calendly/{workspace_id}", "/v1/webhooks/ghl"}
SELF = {"/v1/me"}
BODY_METHODS = {"POST", "PUT", "PATCH"}

GHL_TOKEN = "pit-ghl-secret-token-5a7c1e"
CALENDLY_TOKEN = "calendly-secret-token-9d2b4f"
SIGNING_KEY = "calendly-signing-secret-3e8a0c"


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation the app documents: its own view of its routes,
    however routers are nested."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]


def fill(path: str, workspace_id: uuid.UUID) -> str:
    """The path with the workspace given and a fresh UUID for any other parameter."""
    path = path.replace("{workspace_id}", str(workspace_id))
    return re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> httpx.Response:
    body = {"json": {}} if method in BODY_METHODS else {}
    return await client.request(method, path, headers=headers, **body)  # type: ignore[arg-type]


@pytest.fixture
async def two_tenants(session: AsyncSession) -> tuple[uuid.UUID, str, uuid.UUID]:
    """Workspace A with its key, and workspace B that the key must not reach."""
    a = await make_workspace(session)
    b = await make_workspace(session)
    return a.id, await make_api_key(session, a), b.id


def test_every_route_is_classified(app: FastAPI) -> None:
    unclassified = [
        (method, path)
        for method, path in api_routes(app)
        if not path.startswith((WORKSPACE_PREFIX, ADMIN_PREFIX))
        and path not in PUBLIC | SIGNED | SELF
    ]
    assert unclassified == [], "decide who may call these and add them to a rule here"


async def test_a_workspace_key_gets_404_for_every_endpoint_of_another_workspace(
    app: FastAPI,
    client: httpx.AsyncClient,
    two_tenants: tuple[uuid.UUID, str, uuid.UUID],
) -> None:
    _, key_of_a, workspace_b = two_tenants
    routes = [(m, p) for m, p in api_routes(app) if p.startswith(WORKSPACE_PREFIX)]
    assert len(routes) >= 15
    answers = {
        (method, path): (await call(client, method, fill(path, workspace_b), bearer(key_of_a)))
        for method, path in routes
    }
    wrong = {route: r.status_code for route, r in answers.items() if r.status_code != 404}
    assert wrong == {}
    assert all(r.json()["error"] == "not_found" for r in answers.values())


async def test_every_workspace_and_admin_endpoint_without_credentials_is_401(
    app: FastAPI, client: httpx.AsyncClient, two_tenants: tuple[uuid.UUID, str, uuid.UUID]
) -> None:
    workspace_a, _, _ = two_tenants
    routes = [
        (m, p)
        for m, p in api_routes(app)
        if p.startswith((WORKSPACE_PREFIX, ADMIN_PREFIX)) or p in SELF
    ]
    wrong = {}
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic Zm9vOmJhcg=="}):
            response = await call(client, method, fill(path, workspace_a), headers)
            if response.status_code != 401:
                wrong[(method, path, str(headers))] = response.status_code
    assert wrong == {}


async def test_a_wrong_admin_token_is_401_and_a_workspace_key_403_on_every_admin_endpoint(
    app: FastAPI, client: httpx.AsyncClient, two_tenants: tuple[uuid.UUID, str, uuid.UUID]
) -> None:
    workspace_a, key_of_a, _ = two_tenants
    routes = [(m, p) for m, p in api_routes(app) if p.startswith(ADMIN_PREFIX)]
    assert len(routes) >= 10
    wrong = {}
    for method, path in routes:
        url = fill(path, workspace_a)
        for token, expected in (
            (ADMIN_TOKEN + "x", 401),
            (ADMIN_TOKEN[:-1], 401),
            (ADMIN_TOKEN.upper(), 401),
            (key_of_a, 403),
        ):
            response = await call(client, method, url, bearer(token))
            if response.status_code != expected:
                wrong[(method, path, token[:6])] = response.status_code
    assert wrong == {}


async def test_an_invalid_key_is_401_on_workspace_endpoints_even_for_a_real_workspace(
    app: FastAPI, client: httpx.AsyncClient, two_tenants: tuple[uuid.UUID, str, uuid.UUID]
) -> None:
    workspace_a, key_of_a, _ = two_tenants
    routes = [(m, p) for m, p in api_routes(app) if p.startswith(WORKSPACE_PREFIX)]
    wrong = {}
    for method, path in routes:
        for token in (key_of_a + "x", key_of_a[:-1], ADMIN_TOKEN + "x"):
            response = await call(client, method, fill(path, workspace_a), bearer(token))
            if response.status_code != 401:
                wrong[(method, path, token[:6])] = response.status_code
    assert wrong == {}


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_every_endpoint_with_a_body_refuses_an_oversize_one_with_413(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    two_tenants: tuple[uuid.UUID, str, uuid.UUID],
    streamed: bool,
) -> None:
    workspace_a, _, _ = two_tenants
    routes = [(m, p) for m, p in api_routes(app) if m in BODY_METHODS]
    assert len(routes) >= 10
    payload = b'{"name": "' + b"x" * settings.max_request_body_bytes + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    wrong = {}
    for method, path in routes:
        response = await client.request(
            method,
            fill(path, workspace_a),
            headers={**bearer(ADMIN_TOKEN), "Content-Type": "application/json"},
            content=chunks() if streamed else payload,
        )
        if response.status_code != 413 or response.json()["error"] != "payload_too_large":
            wrong[(method, path)] = response.status_code
    assert wrong == {}


# ---- secrets never leave the service ---------------------------------------------------------


@pytest.fixture
def fake(fake_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    fake_server.state.reset()
    yield fake_server
    fake_server.state.reset()


@pytest.fixture
async def clients(fake: FakeProviderServer) -> AsyncIterator[ProviderClients]:
    clients = fake_clients(fake)
    yield clients
    await clients.aclose()


@pytest.fixture
async def provider_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clients: ProviderClients,
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, engine=engine, providers=clients)
    async with application.router.lifespan_context(application):
        application.state.sessionmaker = sessionmaker
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_tokens_and_signing_keys_never_appear_in_responses_or_logs(
    provider_client: httpx.AsyncClient,
    fake: FakeProviderServer,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    cipher: SecretCipher,
    clients: ProviderClients,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = bearer(ADMIN_TOKEN)
    slot = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    location = f"loc-{uuid.uuid4().hex[:8]}"
    calendar = fake.state.add_ghl_calendar(location_id=location, slots=[slot])
    event_type = fake.state.add_calendly_event_type(times=[slot])
    responses: list[httpx.Response] = []

    created = await provider_client.post(
        "/v1/admin/workspaces",
        headers=admin,
        json={
            "name": "Secret keeper",
            "ghlLocationId": location,
            "ghlAccessToken": GHL_TOKEN,
            "ghlDefaultCalendarId": calendar,
            "calendlyAccessToken": CALENDLY_TOKEN,
            "calendlyOrganizationUri": DEFAULT_CALENDLY_ORGANIZATION,
            "calendlyWebhookSigningKey": SIGNING_KEY,
            "calendlyDirectBookEventTypeUri": event_type,
        },
    )
    assert created.status_code == 201, created.text
    workspace_id = created.json()["id"]
    base = f"/v1/workspaces/{workspace_id}"
    key_response = await provider_client.post(
        f"/v1/admin/workspaces/{workspace_id}/api-keys", headers=admin
    )
    key = key_response.json()["key"]
    lead = await provider_client.post(
        f"{base}/leads", headers=bearer(key), json={"email": "ada@example.com"}
    )
    responses += [created, key_response, lead]
    await refresh_workspace(sessionmaker, clients, cipher, settings, uuid.UUID(workspace_id))

    body = dumps(calendly_event("invitee.created", new_invitee_uri(), event_type=event_type))
    responses.append(
        await provider_client.post(
            f"/v1/webhooks/calendly/{workspace_id}",
            content=body,
            headers={"Calendly-Webhook-Signature": calendly_sign(body, SIGNING_KEY)},
        )
    )
    responses.append(
        await provider_client.post(
            f"/v1/webhooks/calendly/{workspace_id}",
            content=body,
            headers={"Calendly-Webhook-Signature": calendly_sign(body, "a-guessed-key")},
        )
    )
    booking = {"provider": "ghl", "leadId": lead.json()["id"], "startTime": slot.isoformat()}
    responses.append(await provider_client.post(f"{base}/bookings", headers=admin, json=booking))
    responses.append(await provider_client.post(f"{base}/reconcile", headers=admin, json={}))

    # Refused tokens and a failing provider: the error paths log and answer too.
    fake.state.revoke_token(GHL_TOKEN)
    fake.state.fail("scheduled_events", status=500, times=None)
    responses.append(await provider_client.post(f"{base}/reconcile", headers=admin, json={}))
    responses.append(await provider_client.post(f"{base}/bookings", headers=admin, json=booking))
    await refresh_workspace(sessionmaker, clients, cipher, settings, uuid.UUID(workspace_id))
    for path in (
        "/v1/admin/workspaces",
        f"/v1/admin/workspaces/{workspace_id}",
        f"{base}/availability",
        f"{base}/analytics",
        f"{base}/data-quality",
        f"{base}/appointments",
        f"/v1/admin/webhook-events?workspaceId={workspace_id}",
        "/v1/admin/capacity",
        "/v1/me",
    ):
        responses.append(await provider_client.get(path, headers=admin))
        responses.append(await provider_client.get(path, headers=bearer(key)))

    assert any(r.status_code >= 400 for r in responses), "the error paths were exercised"
    assert any("ghl" in r.text and r.status_code in (502, 503) for r in responses)
    secrets = [GHL_TOKEN, CALENDLY_TOKEN, SIGNING_KEY, ADMIN_TOKEN, key]
    for response in responses:
        shown_once = key if response is key_response else None
        leaked = [
            s[:8]
            for s in secrets
            if s != shown_once and (s in response.text or s in str(response.headers))
        ]
        assert leaked == [], f"{response.request.method} {response.request.url}: {leaked}"
    assert caplog.records, "the provider calls and their failures were logged"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + str(record.args)
        leaked = [s[:8] for s in secrets if s in text]
        assert leaked == [], f"{record.name}: {record.getMessage()[:200]}"
