"""HighLevel webhooks on the published example payloads, signed with the tests' own keys."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity_service.config import GHL_WEBHOOK_RSA_PUBLIC_KEY
from capacity_service.kit.enums import AppointmentStatus, Provider
from capacity_service.models import Appointment, Lead, WebhookEvent
from tests.factories import make_workspace
from tests.support.webhook_jobs import ProcessWebhooks
from tests.webhooks.payloads import (
    dumps,
    ghl_ed25519_headers,
    ghl_example,
    ghl_rsa_headers,
)

LOCATION = "0007BWpSzSwfiuSl0tR2"
CALENDAR = "BqTwX8QFwXzpegMve9EQ"
APPOINTMENT = "0007BWpSzSwfiuSl0tR2"


async def _post(
    client: httpx.AsyncClient, document: dict[str, Any] | bytes, *, legacy: bool = False
) -> httpx.Response:
    body = document if isinstance(document, bytes) else dumps(document)
    headers = ghl_rsa_headers(body) if legacy else ghl_ed25519_headers(body)
    return await client.post("/v1/webhooks/ghl", content=body, headers=headers)


async def _appointments(session: AsyncSession) -> list[Appointment]:
    rows = await session.scalars(select(Appointment).execution_options(populate_existing=True))
    return list(rows.all())


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _update(minutes: int, **appointment: Any) -> dict[str, Any]:
    document = ghl_example("AppointmentUpdate", type="AppointmentUpdate")
    updated = datetime(2023, 9, 25, 10, 30, tzinfo=UTC) + timedelta(minutes=minutes)
    document["appointment"] = {
        **document["appointment"],
        "dateUpdated": updated.isoformat(),
        **appointment,
    }
    return document


async def test_create_writes_appointment_attributed_to_its_calendar(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    workspace = await make_workspace(session, ghl_location_id=LOCATION)

    response = await _post(client, ghl_example("AppointmentCreate"))

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "received"
    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.provider is Provider.GHL
    assert row.ghl_appointment_id == APPOINTMENT
    assert row.ghl_calendar_id == CALENDAR
    assert row.status is AppointmentStatus.CONFIRMED
    assert row.workspace_id == workspace.id
    assert row.start_at == datetime(2023, 9, 25, 10, 30, tzinfo=UTC)
    lead = await session.get(Lead, row.lead_id, populate_existing=True)
    assert lead is not None
    assert lead.ghl_contact_id == "9NkT25Vor1v4aQatFsv2"
    assert lead.latest_appointment_provider is Provider.GHL


async def test_legacy_rsa_signature_is_accepted_when_ed25519_is_absent(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)

    response = await _post(client, ghl_example("AppointmentCreate"), legacy=True)

    assert response.status_code == 200, response.text
    await process_webhooks()
    assert len(await _appointments(session)) == 1


async def test_update_moves_times_and_delete_cancels(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    await _post(client, ghl_example("AppointmentCreate"))

    moved = _update(5, startTime="2023-09-26T16:00:00+05:30", endTime="2023-09-26T16:30:00+05:30")
    assert (await _post(client, moved)).status_code == 200
    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.start_at == datetime(2023, 9, 26, 10, 30, tzinfo=UTC)
    assert row.status is AppointmentStatus.CONFIRMED

    deleted = ghl_example("AppointmentDelete", type="AppointmentDelete")
    deleted["appointment"] = {**moved["appointment"]}
    assert (await _post(client, deleted)).status_code == 200
    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.status is AppointmentStatus.CANCELED
    assert row.ghl_calendar_id == CALENDAR


async def test_delete_before_create_keeps_canceled(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)

    await _post(client, ghl_example("AppointmentDelete", type="AppointmentDelete"))
    await _post(client, ghl_example("AppointmentCreate"))

    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.status is AppointmentStatus.CANCELED


async def test_older_update_after_newer_is_not_applied(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    await _post(client, _update(10, appointmentStatus="showed"))
    await _post(client, _update(1, appointmentStatus="confirmed"))

    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.status is AppointmentStatus.SHOWED


async def test_same_event_ten_times_is_one_row(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    responses = [await _post(client, ghl_example("AppointmentCreate")) for _ in range(10)]

    assert [r.status_code for r in responses] == [200] * 10
    assert sum(r.json()["duplicate"] for r in responses) == 9
    await process_webhooks()
    assert await _count(session, Appointment) == 1
    assert await _count(session, WebhookEvent) == 1


async def test_repeated_webhook_id_is_a_duplicate_even_if_the_body_differs(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    first = ghl_example("AppointmentCreate", webhookId="wh-1")
    second = _update(30, appointmentStatus="cancelled")
    second["webhookId"] = "wh-1"

    await _post(client, first)
    again = await _post(client, second)

    assert again.json()["duplicate"] is True
    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.status is AppointmentStatus.CONFIRMED


async def test_missing_or_wrong_signature_is_401_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    body = dumps(ghl_example("AppointmentCreate"))
    other_body = dumps(ghl_example("AppointmentCreate", locationId="other"))

    unsigned = await client.post("/v1/webhooks/ghl", content=body)
    wrong = await client.post(
        "/v1/webhooks/ghl", content=body, headers=ghl_ed25519_headers(other_body)
    )
    legacy_wrong = await client.post(
        "/v1/webhooks/ghl", content=body, headers=ghl_rsa_headers(other_body)
    )
    not_base64 = await client.post(
        "/v1/webhooks/ghl", content=body, headers={"X-GHL-Signature": "%%%"}
    )
    no_fallback = await client.post(
        "/v1/webhooks/ghl",
        content=body,
        headers={**ghl_ed25519_headers(other_body), **ghl_rsa_headers(body)},
    )

    for response in (unsigned, wrong, legacy_wrong, not_base64, no_fallback):
        assert response.status_code == 401, response.text
    assert await _count(session, WebhookEvent) == 0
    await process_webhooks()
    assert await _count(session, Appointment) == 0


async def test_stale_timestamp_is_401_and_fresh_one_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    stale_at = datetime.fromtimestamp(time.time() - 3600, UTC).isoformat()
    fresh_at = datetime.fromtimestamp(time.time(), UTC).isoformat()

    stale = await _post(client, ghl_example("AppointmentCreate", timestamp=stale_at))
    assert stale.status_code == 401
    assert await _count(session, WebhookEvent) == 0

    fresh = await _post(client, ghl_example("AppointmentCreate", timestamp=fresh_at))
    assert fresh.status_code == 200


async def test_malformed_json_is_400_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await _post(client, b'{"type": "AppointmentCreate", ')

    assert response.status_code == 400
    assert await _count(session, WebhookEvent) == 0


async def test_missing_fields_is_422_kept_as_failed(
    client: httpx.AsyncClient, session: AsyncSession, process_webhooks: ProcessWebhooks
) -> None:
    await make_workspace(session, ghl_location_id=LOCATION)
    document = ghl_example("AppointmentCreate")
    del document["appointment"]["startTime"]
    no_contact = ghl_example("AppointmentCreate")
    no_contact["appointment"] = {**no_contact["appointment"], "id": "x2", "contactId": None}

    response = await _post(client, document)
    contactless = await _post(client, no_contact)

    assert response.status_code == 422
    assert "startTime" in response.json()["detail"]
    assert contactless.status_code == 422
    await process_webhooks()
    assert await _count(session, Appointment) == 0
    failed = await session.scalars(select(WebhookEvent.status))
    assert set(failed.all()) == {"failed"}


async def test_unknown_location_is_404_kept_and_replayable_once_registered(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    process_webhooks: ProcessWebhooks,
) -> None:
    response = await _post(client, ghl_example("AppointmentCreate"))

    assert response.status_code == 404
    await process_webhooks()
    assert await _count(session, Appointment) == 0
    event_id = response.json()["eventId"]

    workspace = await make_workspace(session, ghl_location_id=LOCATION)
    replayed = await client.post(
        f"/v1/admin/webhook-events/{event_id}/replay", headers=admin_headers
    )

    assert replayed.status_code == 200
    assert replayed.json()["status"] == "processed"
    assert replayed.json()["workspaceId"] == str(workspace.id)
    await process_webhooks()
    (row,) = await _appointments(session)
    assert row.ghl_calendar_id == CALENDAR


async def test_other_event_types_are_stored_and_acknowledged(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await _post(client, {"type": "ContactCreate", "locationId": LOCATION})

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await _count(session, WebhookEvent) == 1


def test_default_legacy_key_is_the_published_highlevel_key() -> None:
    published = Path(__file__).parent / "fixtures" / "ghl" / "webhook-public-key.pem"
    assert published.read_text().split() == GHL_WEBHOOK_RSA_PUBLIC_KEY.split()
