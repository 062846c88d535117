"""HighLevel key rotation: each public-key setting may hold several PEM keys at once."""

import base64

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.config import Settings
from capacity_service.models import WebhookEvent
from capacity_service.webhooks.signatures import SignatureError, verify_ghl
from tests.factories import make_workspace
from tests.webhooks.payloads import (
    ED25519_KEY,
    RSA_KEY,
    dumps,
    ghl_ed25519_headers,
    ghl_example,
    ghl_rsa_headers,
)

LOCATION = "0007BWpSzSwfiuSl0tR2"
NEXT_ED25519 = ed25519.Ed25519PrivateKey.generate()
NEXT_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
UNKNOWN_ED25519 = ed25519.Ed25519PrivateKey.generate()


def _pem(key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


ED25519_PEMS = _pem(NEXT_ED25519.public_key()) + _pem(ED25519_KEY.public_key())
RSA_PEMS = _pem(NEXT_RSA.public_key()) + "\n" + _pem(RSA_KEY.public_key())


def _ed25519_header(key: ed25519.Ed25519PrivateKey, body: bytes) -> dict[str, str]:
    return {
        "X-GHL-Signature": base64.b64encode(key.sign(body)).decode(),
        "Content-Type": "application/json",
    }


def _rsa_header(key: rsa.RSAPrivateKey, body: bytes) -> dict[str, str]:
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {"x-wh-signature": base64.b64encode(signature).decode()}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The next key listed first, the current one (the tests' usual signer) second."""
    return settings.model_copy(
        update={"ghl_webhook_public_key": ED25519_PEMS, "ghl_webhook_legacy_public_key": RSA_PEMS}
    )


async def _stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


async def test_deliveries_signed_with_either_ed25519_key_are_accepted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    current = dumps(ghl_example("AppointmentCreate", webhookId="rotation-current"))
    following = dumps(ghl_example("AppointmentCreate", webhookId="rotation-next"))

    by_current = await client.post(
        "/v1/webhooks/ghl", content=current, headers=ghl_ed25519_headers(current)
    )
    by_next = await client.post(
        "/v1/webhooks/ghl", content=following, headers=_ed25519_header(NEXT_ED25519, following)
    )

    assert by_current.status_code == 200, by_current.text
    assert by_next.status_code == 200, by_next.text
    assert await _stored(session) == 2


async def test_legacy_deliveries_signed_with_either_rsa_key_are_accepted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    current = dumps(ghl_example("AppointmentCreate", webhookId="legacy-current"))
    following = dumps(ghl_example("AppointmentCreate", webhookId="legacy-next"))

    by_current = await client.post(
        "/v1/webhooks/ghl", content=current, headers=ghl_rsa_headers(current)
    )
    by_next = await client.post(
        "/v1/webhooks/ghl", content=following, headers=_rsa_header(NEXT_RSA, following)
    )

    assert by_current.status_code == 200, by_current.text
    assert by_next.status_code == 200, by_next.text


async def test_an_ed25519_signature_invalid_under_every_key_is_401_despite_a_valid_rsa_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    body = dumps(ghl_example("AppointmentCreate"))

    response = await client.post(
        "/v1/webhooks/ghl",
        content=body,
        headers={**_ed25519_header(UNKNOWN_ED25519, body), **ghl_rsa_headers(body)},
    )

    assert response.status_code == 401
    assert await _stored(session) == 0


def test_verify_ghl_tries_every_key_and_never_falls_back_to_rsa() -> None:
    body = b'{"type":"AppointmentCreate"}'
    ed25519_signature = _ed25519_header(NEXT_ED25519, body)["X-GHL-Signature"]
    rsa_signature = _rsa_header(RSA_KEY, body)["x-wh-signature"]
    keys = {"ed25519_pem": ED25519_PEMS, "rsa_pem": RSA_PEMS}

    assert verify_ghl(ed25519_signature, None, body, **keys) == "x-ghl-signature"
    assert verify_ghl(None, rsa_signature, body, **keys) == "x-wh-signature"
    unknown = _ed25519_header(UNKNOWN_ED25519, body)["X-GHL-Signature"]
    with pytest.raises(SignatureError, match="X-GHL-Signature does not match"):
        verify_ghl(unknown, rsa_signature, body, **keys)
    only_current = {"ed25519_pem": _pem(ED25519_KEY.public_key()), "rsa_pem": RSA_PEMS}
    with pytest.raises(SignatureError):
        verify_ghl(ed25519_signature, None, body, **only_current)
