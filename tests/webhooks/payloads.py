"""Provider webhook bodies and signatures for tests."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

ED25519_KEY = ed25519.Ed25519PrivateKey.generate()
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

FIXTURES = Path(__file__).parent / "fixtures"
CALENDLY = "https://api.calendly.com"
EVENT_TYPE = f"{CALENDLY}/event_types/ET-DEFAULT"
START = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def calendly_sign(body: bytes, key: str, *, at: int | None = None) -> str:
    t = str(at if at is not None else int(time.time()))
    digest = hmac.new(key.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def new_invitee_uri() -> str:
    return f"{CALENDLY}/scheduled_events/{uuid.uuid4().hex}/invitees/{uuid.uuid4().hex}"


def calendly_event(
    event: str,
    invitee_uri: str,
    *,
    status: str = "active",
    updated_at: datetime = START - timedelta(days=2),
    created_at: datetime | None = None,
    event_type: str = EVENT_TYPE,
    email: str = "Ada@Example.com",
    rescheduled: bool = False,
    new_invitee: str | None = None,
    old_invitee: str | None = None,
    no_show: bool = False,
    start: datetime = START,
) -> dict[str, Any]:
    event_uri = invitee_uri.split("/invitees/")[0]
    return {
        "event": event,
        "created_at": iso(created_at or updated_at + timedelta(seconds=1)),
        "created_by": f"{CALENDLY}/users/U1",
        "payload": {
            "uri": invitee_uri,
            "email": email,
            "name": "Ada Lovelace",
            "status": status,
            "timezone": "Europe/London",
            "event": event_uri,
            "created_at": iso(START - timedelta(days=3)),
            "updated_at": iso(updated_at),
            "rescheduled": rescheduled,
            "old_invitee": old_invitee,
            "new_invitee": new_invitee,
            "no_show": {"uri": f"{CALENDLY}/invitee_no_shows/N1", "created_at": iso(updated_at)}
            if no_show
            else None,
            "text_reminder_number": "+441234567890",
            "cancellation": {"canceled_by": "Ada", "reason": None, "canceler_type": "invitee"}
            if status == "canceled"
            else None,
            "scheduled_event": {
                "uri": event_uri,
                "name": "Intro call",
                "status": "canceled" if status == "canceled" else "active",
                "start_time": iso(start),
                "end_time": iso(start + timedelta(minutes=30)),
                "event_type": event_type,
                "created_at": iso(START - timedelta(days=3)),
                "updated_at": iso(updated_at),
            },
        },
    }


def ghl_example(name: str, **overrides: Any) -> dict[str, Any]:
    """A published HighLevel example (all three say AppointmentCreate; callers set `type`)."""
    document: dict[str, Any] = json.loads(
        (FIXTURES / "ghl" / f"webhook-{name}.example.json").read_text()
    )
    document.update(overrides)
    return document


def ghl_ed25519_headers(body: bytes) -> dict[str, str]:
    return {
        "X-GHL-Signature": base64.b64encode(ED25519_KEY.sign(body)).decode(),
        "Content-Type": "application/json",
    }


def ghl_rsa_headers(body: bytes) -> dict[str, str]:
    signature = RSA_KEY.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {"x-wh-signature": base64.b64encode(signature).decode()}


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
