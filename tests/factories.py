"""Small builders of test data, written through the same models the service uses."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.kit.secrets import SecretCipher, hash_api_key, new_api_key
from capacity_service.kit.time import utcnow
from capacity_service.models import ApiKey, Appointment, Lead, Workspace


async def make_workspace(
    session: AsyncSession,
    cipher: SecretCipher | None = None,
    *,
    ghl_access_token: str | None = None,
    calendly_access_token: str | None = None,
    calendly_webhook_signing_key: str | None = None,
    **fields: Any,
) -> Workspace:
    fields.setdefault("name", f"Workspace {uuid.uuid4().hex[:6]}")
    fields.setdefault("timezone", "UTC")
    workspace = Workspace(**fields)
    secrets = {
        "ghl_access_token_encrypted": ghl_access_token,
        "calendly_access_token_encrypted": calendly_access_token,
        "calendly_webhook_signing_key_encrypted": calendly_webhook_signing_key,
    }
    for column, value in secrets.items():
        if value is not None:
            assert cipher is not None, "pass a cipher to store secrets"
            setattr(workspace, column, cipher.encrypt(value))
    session.add(workspace)
    await session.flush()
    await session.refresh(workspace)
    return workspace


async def make_api_key(session: AsyncSession, workspace: Workspace) -> str:
    key = new_api_key()
    session.add(
        ApiKey(workspace_id=workspace.id, name="test", prefix=key[:10], key_hash=hash_api_key(key))
    )
    await session.flush()
    return key


async def make_lead(session: AsyncSession, workspace: Workspace, **fields: Any) -> Lead:
    fields.setdefault("email", f"lead-{uuid.uuid4().hex[:8]}@example.com")
    lead = Lead(workspace_id=workspace.id, **fields)
    session.add(lead)
    await session.flush()
    return lead


async def make_appointment(
    session: AsyncSession,
    lead: Lead,
    *,
    start_at: datetime | None = None,
    status: AppointmentStatus = AppointmentStatus.CONFIRMED,
    provider: Provider = Provider.GHL,
    **fields: Any,
) -> Appointment:
    """An appointment row written directly, for read-side tests (writes go through the upsert)."""
    start = start_at or utcnow() + timedelta(days=1)
    if provider is Provider.GHL:
        fields.setdefault("ghl_appointment_id", f"appt-{uuid.uuid4().hex[:10]}")
    else:
        fields.setdefault(
            "calendly_invitee_uri",
            f"https://api.calendly.com/scheduled_events/{uuid.uuid4().hex}/invitees/{uuid.uuid4().hex}",
        )
    appointment = Appointment(
        workspace_id=lead.workspace_id,
        lead_id=lead.id,
        provider=provider,
        status=status,
        start_at=start,
        end_at=fields.pop("end_at", start + timedelta(minutes=30)),
        **fields,
    )
    session.add(appointment)
    await session.flush()
    return appointment
