"""Webhook tests sign with their own keys: settings carry the test public keys."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from capacity_service.config import Settings
from tests.webhooks.payloads import ED25519_KEY, RSA_KEY


def _pem(key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "ghl_webhook_public_key": _pem(ED25519_KEY.public_key()),
            "ghl_webhook_legacy_public_key": _pem(RSA_KEY.public_key()),
        }
    )
