"""Calendly reschedules: `invitee.created` with `old_invitee` retires the old booking itself.

The old invitee's `invitee.canceled` may come late or never; the new invitee's webhook names
the old one, which is enough to stop counting it. Both webhooks agree (RESCHEDULED), so any
order of arrival, and any redelivery, ends the same.
"""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.kit.enums import AppointmentStatus
from capacity_service.kit.secrets import SecretCipher
from capacity_service.models import Appointment, Lead, Workspace
from tests.factories import make_workspace
from tests.support.webhook_jobs import ProcessWebhooks
from tests.webhooks.payloads import START, calendly_event, calendly_sign, dumps, new_invitee_uri

KEY = "calendly-signing-key-for-reschedules"
RESCHEDULED_AT = START - timedelta(days=1)


async def _workspace(session: AsyncSession, cipher: SecretCipher) -> Workspace:
    return await make_workspace(session, cipher, calendly_webhook_signing_key=KEY)


async def _post(client: httpx.AsyncClient, workspace: Workspace, document: dict[str, Any]) -> None:
    body = dumps(document)
    response = await client.post(
        f"/v1/webhooks/calendly/{workspace.id}",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Calendly-Webhook-Signature": calendly_sign(body, KEY),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "received", response.text


async def _statuses(session: AsyncSession) -> dict[str, AppointmentStatus]:
    rows = await session.scalars(select(Appointment).execution_options(populate_existing=True))
    return {r.calendly_invitee_uri or "": r.status for r in rows}


def _reschedule(old: str, new: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two webhooks of one reschedule: the old invitee canceled, the new one created."""
    canceled = calendly_event(
        "invitee.canceled",
        old,
        status="canceled",
        rescheduled=True,
        new_invitee=new,
        updated_at=RESCHEDULED_AT,
    )
    created = calendly_event(
        "invitee.created",
        new,
        old_invitee=old,
        updated_at=RESCHEDULED_AT,
        start=START + timedelta(days=2),
    )
    return canceled, created


async def test_created_with_old_invitee_marks_the_held_old_booking_rescheduled(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    old, new = new_invitee_uri(), new_invitee_uri()
    await _post(client, workspace, calendly_event("invitee.created", old))
    _, created = _reschedule(old, new)

    await _post(client, workspace, created)

    await process_webhooks()
    assert await _statuses(session) == {
        old: AppointmentStatus.RESCHEDULED,
        new: AppointmentStatus.CONFIRMED,
    }
    rows = await session.scalars(select(Appointment).where(Appointment.calendly_invitee_uri == old))
    (old_row,) = rows.all()
    assert old_row.start_at == START
    lead = await session.get(Lead, old_row.lead_id, populate_existing=True)
    assert lead is not None
    assert lead.latest_appointment_status is AppointmentStatus.CONFIRMED
    assert lead.latest_appointment_start_at == START + timedelta(days=2)


async def test_both_reschedule_webhooks_in_either_order_and_redelivered_end_the_same(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    outcomes = []
    for cancel_first in (True, False):
        old, new = new_invitee_uri(), new_invitee_uri()
        await _post(client, workspace, calendly_event("invitee.created", old))
        canceled, created = _reschedule(old, new)
        order = [canceled, created] if cancel_first else [created, canceled]
        for document in order + order:
            await _post(client, workspace, document)
        await process_webhooks()
        statuses = await _statuses(session)
        outcomes.append((statuses[old], statuses[new]))

    assert outcomes == [(AppointmentStatus.RESCHEDULED, AppointmentStatus.CONFIRMED)] * 2
    await process_webhooks()
    assert len(await _statuses(session)) == 4


async def test_old_invitee_we_never_held_is_not_invented(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    workspace = await _workspace(session, cipher)
    old, new = new_invitee_uri(), new_invitee_uri()
    _, created = _reschedule(old, new)

    await _post(client, workspace, created)

    await process_webhooks()
    assert await _statuses(session) == {new: AppointmentStatus.CONFIRMED}


async def test_old_invitee_held_by_another_workspace_is_left_alone(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cipher: SecretCipher,
    process_webhooks: ProcessWebhooks,
) -> None:
    mine, theirs = await _workspace(session, cipher), await _workspace(session, cipher)
    old, new = new_invitee_uri(), new_invitee_uri()
    await _post(client, theirs, calendly_event("invitee.created", old))
    _, created = _reschedule(old, new)

    await _post(client, mine, created)

    await process_webhooks()
    assert await _statuses(session) == {
        old: AppointmentStatus.CONFIRMED,
        new: AppointmentStatus.CONFIRMED,
    }
