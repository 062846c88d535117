"""A stored secret the configured keys cannot decrypt (its key was rotated away) is a clear,
documented 503 `credentials_unreadable` naming CAPACITY_ENCRYPTION_KEY, never a 500.

503, so that Calendly retries the delivery once the key is back in the list.
"""

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, Workspace
from tests.factories import make_api_key, make_lead, make_workspace
from tests.webhooks.payloads import calendly_event, calendly_sign, dumps, new_invitee_uri

SIGNING_KEY = "calendly-signing-key-of-a-lost-key"
OTHER_CIPHER = SecretCipher([Fernet.generate_key().decode()])


def assert_credentials_unreadable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "credentials_unreadable"
    assert "CAPACITY_ENCRYPTION_KEY" in body["detail"]


async def _workspace_with_lost_key(session: AsyncSession) -> Workspace:
    return await make_workspace(
        session,
        OTHER_CIPHER,
        ghl_access_token="ghl-token",
        ghl_location_id="loc-1",
        ghl_default_calendar_id="cal-1",
        calendly_access_token="calendly-token",
        calendly_webhook_signing_key=SIGNING_KEY,
    )


async def test_a_calendly_webhook_for_a_workspace_whose_signing_key_is_unreadable_is_503(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await _workspace_with_lost_key(session)
    body = dumps(calendly_event("invitee.created", new_invitee_uri()))
    response = await client.post(
        f"/v1/webhooks/calendly/{workspace.id}",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Calendly-Webhook-Signature": calendly_sign(body, SIGNING_KEY),
        },
    )
    assert_credentials_unreadable(response)
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_a_booking_with_an_unreadable_provider_token_is_503(
    provider_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    workspace = await _workspace_with_lost_key(session)
    lead = await make_lead(session, workspace, ghl_contact_id="contact-1")
    response = await provider_client.post(
        f"/v1/workspaces/{workspace.id}/bookings",
        headers={"Authorization": f"Bearer {await make_api_key(session, workspace)}"},
        json={"provider": "ghl", "leadId": str(lead.id), "startTime": "2030-05-06T14:00:00Z"},
    )
    assert_credentials_unreadable(response)


async def test_an_inline_reconcile_with_an_unreadable_provider_token_is_503(
    provider_client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    workspace = await _workspace_with_lost_key(session)
    response = await provider_client.post(
        f"/v1/workspaces/{workspace.id}/reconcile", headers=admin_headers, json={"provider": "ghl"}
    )
    assert_credentials_unreadable(response)


def test_a_decryption_failure_is_the_documented_503_domain_error() -> None:
    from capacity_service.exceptions import CredentialsUnreadable
    from capacity_service.kit.secrets import SecretDecryptionError

    assert issubclass(SecretDecryptionError, CredentialsUnreadable)
    assert (CredentialsUnreadable.status_code, CredentialsUnreadable.error) == (
        503,
        "credentials_unreadable",
    )
