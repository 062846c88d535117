"""Signature checks over the raw request body (providers.md §1.4 and §2.4).

Raw bytes, never re-serialised JSON: re-serialising can change the bytes that were signed.
"""

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey


class SignatureError(Exception):
    """The delivery is not proven to come from the provider, or is too old to accept."""


def verify_calendly(
    header: str | None, body: bytes, signing_key: str, *, now: float, tolerance_seconds: int
) -> None:
    """`Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.

    The timestamp must be within the tolerance on either side of now: the past side stops
    replays, the future side stops a captured header being held back for later.
    """
    if not header:
        raise SignatureError("missing Calendly-Webhook-Signature header")
    parts: dict[str, str] = {}
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            parts.setdefault(key.strip(), value.strip())
    timestamp, signature = parts.get("t"), parts.get("v1")
    if not timestamp or not signature:
        raise SignatureError("Calendly-Webhook-Signature must carry t= and v1=")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("Calendly-Webhook-Signature t= is not a unix time") from None
    expected = hmac.new(
        signing_key.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureError("Calendly webhook signature does not match")
    if abs(now - sent_at) > tolerance_seconds:
        raise SignatureError(
            f"Calendly webhook timestamp is outside the {tolerance_seconds}s tolerance"
        )


@lru_cache(maxsize=8)
def _ed25519_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("CAPACITY_GHL_WEBHOOK_PUBLIC_KEY is not an Ed25519 public key")
    return key


@lru_cache(maxsize=8)
def _rsa_key(pem: str) -> RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CAPACITY_GHL_WEBHOOK_LEGACY_PUBLIC_KEY is not an RSA public key")
    return key


def _b64(value: str, header: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{header} is not base64") from None


def verify_ghl(
    ed25519_header: str | None,
    legacy_header: str | None,
    body: bytes,
    *,
    ed25519_pem: str,
    rsa_pem: str,
) -> str:
    """`X-GHL-Signature` (Ed25519) when present, with no fallback if it fails (as HighLevel's
    SDK does); otherwise the legacy `x-wh-signature` (RSA PKCS#1 v1.5, SHA-256). Returns the
    header that verified."""
    if ed25519_header:
        signature = _b64(ed25519_header, "X-GHL-Signature")
        if len(signature) != 64:
            raise SignatureError("X-GHL-Signature is not a 64-byte Ed25519 signature")
        try:
            _ed25519_key(ed25519_pem).verify(signature, body)
        except _CryptoInvalidSignature:
            raise SignatureError("X-GHL-Signature does not match") from None
        return "x-ghl-signature"
    if legacy_header:
        signature = _b64(legacy_header, "x-wh-signature")
        try:
            _rsa_key(rsa_pem).verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except _CryptoInvalidSignature:
            raise SignatureError("x-wh-signature does not match") from None
        return "x-wh-signature"
    raise SignatureError("missing X-GHL-Signature (or legacy x-wh-signature) header")
