"""Webhook bodies as HighLevel and Calendly send them, signed the way the service verifies."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from capacity_service.kit.time import iso_utc


def compact(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


class GhlSigner:
    """An Ed25519 key standing in for HighLevel's: the demo service trusts its public half."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()

    @property
    def public_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def headers(self, body: bytes) -> dict[str, str]:
        return {
            "X-GHL-Signature": base64.b64encode(self._key.sign(body)).decode(),
            "Content-Type": "application/json",
        }


def calendly_headers(body: bytes, signing_key: str) -> dict[str, str]:
    t = str(int(time.time()))
    digest = hmac.new(signing_key.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Calendly-Webhook-Signature": f"t={t},v1={digest}", "Content-Type": "application/json"}


def ghl_appointment_event(
    kind: str,
    *,
    location_id: str,
    appointment_id: str,
    calendar_id: str,
    contact_id: str,
    start: datetime,
    minutes: int,
    status: str,
    added: datetime,
    updated: datetime,
    zone: str,
    title: str,
) -> dict[str, Any]:
    """`AppointmentCreate` / `AppointmentUpdate` with local times, as HighLevel writes them."""
    tz = ZoneInfo(zone)

    def local(value: datetime) -> str:
        return value.astimezone(tz).isoformat()

    return {
        "type": kind,
        "locationId": location_id,
        "webhookId": str(uuid.uuid4()),
        "timestamp": iso_utc(datetime.now(tz)),
        "appointment": {
            "id": appointment_id,
            "calendarId": calendar_id,
            "contactId": contact_id,
            "groupId": "",
            "title": title,
            "address": "",
            "notes": "",
            "source": "booking_widget",
            "appointmentStatus": status,
            "assignedUserId": "",
            "users": [],
            "startTime": local(start),
            "endTime": local(start + timedelta(minutes=minutes)),
            "dateAdded": local(added),
            "dateUpdated": local(updated),
        },
    }


def calendly_invitee_event(
    event: str,
    *,
    invitee_uri: str,
    event_uri: str,
    event_type_uri: str,
    start: datetime,
    minutes: int,
    email: str,
    name: str,
    created: datetime,
    updated: datetime,
) -> dict[str, Any]:
    """`invitee.created` / `invitee.canceled` with the scheduled event embedded."""
    canceled = event == "invitee.canceled"
    return {
        "event": event,
        "created_at": iso_utc(updated + timedelta(seconds=1)),
        "created_by": "https://api.calendly.com/users/DEMOUSER",
        "payload": {
            "uri": invitee_uri,
            "email": email,
            "name": name,
            "status": "canceled" if canceled else "active",
            "timezone": "America/New_York",
            "event": event_uri,
            "created_at": iso_utc(created),
            "updated_at": iso_utc(updated),
            "rescheduled": False,
            "old_invitee": None,
            "new_invitee": None,
            "no_show": None,
            "cancellation": {"canceled_by": name, "reason": "", "canceler_type": "invitee"}
            if canceled
            else None,
            "scheduled_event": {
                "uri": event_uri,
                "name": "Direct book: evening visit",
                "status": "canceled" if canceled else "active",
                "start_time": iso_utc(start),
                "end_time": iso_utc(start + timedelta(minutes=minutes)),
                "event_type": event_type_uri,
                "created_at": iso_utc(created),
                "updated_at": iso_utc(updated),
            },
        },
    }
