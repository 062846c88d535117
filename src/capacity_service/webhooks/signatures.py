"""Signature checks over the raw request body (providers.md §1.4 and §2.4).

Raw bytes, never re-serialised JSON: re-serialising can change the bytes that were signed.
"""

import base64
import binascii
import hashlib
import hmac
import re
from functools import lru_cache
from typing import cast

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


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def _pem_blocks(pem: str, setting: str) -> list[str]:
    blocks = [match.group(0) for match in _PEM_BLOCK.finditer(pem)]
    if not blocks:
        raise ValueError(f"{setting} holds no PEM block (-----BEGIN PUBLIC KEY----- ...)")
    return blocks


@lru_cache(maxsize=8)
def ed25519_public_keys(pem: str) -> tuple[Ed25519PublicKey, ...]:
    """Every key of concatenated PEM blocks: several while HighLevel rotates its key."""
    keys = tuple(
        serialization.load_pem_public_key(block.encode())
        for block in _pem_blocks(pem, "CAPACITY_GHL_WEBHOOK_PUBLIC_KEY")
    )
    if not all(isinstance(key, Ed25519PublicKey) for key in keys):
        raise ValueError("CAPACITY_GHL_WEBHOOK_PUBLIC_KEY holds a key that is not Ed25519")
    return cast(tuple[Ed25519PublicKey, ...], keys)


@lru_cache(maxsize=8)
def rsa_public_keys(pem: str) -> tuple[RSAPublicKey, ...]:
    """Every key of concatenated PEM blocks: several while HighLevel rotates its key."""
    keys = tuple(
        serialization.load_pem_public_key(block.encode())
        for block in _pem_blocks(pem, "CAPACITY_GHL_WEBHOOK_LEGACY_PUBLIC_KEY")
    )
    if not all(isinstance(key, RSAPublicKey) for key in keys):
        raise ValueError("CAPACITY_GHL_WEBHOOK_LEGACY_PUBLIC_KEY holds a key that is not RSA")
    return cast(tuple[RSAPublicKey, ...], keys)


def _ed25519_valid(key: Ed25519PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        key.verify(signature, body)
    except _CryptoInvalidSignature:
        return False
    return True


def _rsa_valid(key: RSAPublicKey, signature: bytes, body: bytes) -> bool:
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except _CryptoInvalidSignature:
        return False
    return True


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
    header that verified.

    Each PEM setting may hold several keys (concatenated blocks) so that a key rotation needs
    no window of refused deliveries: a signature valid under any of them is accepted.
    """
    if ed25519_header:
        signature = _b64(ed25519_header, "X-GHL-Signature")
        if len(signature) != 64:
            raise SignatureError("X-GHL-Signature is not a 64-byte Ed25519 signature")
        if not any(_ed25519_valid(k, signature, body) for k in ed25519_public_keys(ed25519_pem)):
            raise SignatureError("X-GHL-Signature does not match")
        return "x-ghl-signature"
    if legacy_header:
        signature = _b64(legacy_header, "x-wh-signature")
        if not any(_rsa_valid(k, signature, body) for k in rsa_public_keys(rsa_pem)):
            raise SignatureError("x-wh-signature does not match")
        return "x-wh-signature"
    raise SignatureError("missing X-GHL-Signature (or legacy x-wh-signature) header")
