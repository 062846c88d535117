"""Encryption at rest for provider tokens and signing keys.

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; MultiFernet so that keys can be rotated:
the first key encrypts, every listed key decrypts.
"""

import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from capacity_service.exceptions import CredentialsUnreadable


class SecretDecryptionError(CredentialsUnreadable):
    """A stored secret cannot be read with the configured keys (rotated away or corrupted).

    A domain error, so a request that meets one is answered by the one exception handler
    (503 `credentials_unreadable`) instead of a 500.
    """


class SecretCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        fernets = [Fernet(k.encode()) for k in keys]
        self._primary = fernets[0]
        self._fernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return "SecretCipher(<keys hidden>)"

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def encrypt_optional(self, plaintext: str | None) -> bytes | None:
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise SecretDecryptionError(
                "a stored secret cannot be decrypted with the configured CAPACITY_ENCRYPTION_KEY"
            ) from None

    def decrypt_optional(self, token: bytes | None) -> str | None:
        return None if token is None else self.decrypt(token)

    def rotate(self, token: bytes) -> bytes | None:
        """The secret re-encrypted with the first key, or None if the first key already reads it
        (so a repeated rotation rewrites nothing)."""
        try:
            self._primary.decrypt(token)
            return None
        except InvalidToken:
            pass
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise SecretDecryptionError(
                "a stored secret cannot be decrypted with the configured CAPACITY_ENCRYPTION_KEY"
            ) from None


def new_api_key() -> str:
    """A workspace API key: high entropy, so a plain SHA-256 is a safe lookup hash."""
    return "cs_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
