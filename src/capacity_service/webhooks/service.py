"""Receipt stores and queues; processing applies a stored event, in a savepoint.

Receipt decides from the body alone what it can (a payload lacking what its event type needs
is kept as failed and answered 422; an unknown HighLevel location is kept and answered 404),
stores the raw event and queues its processing in the request's transaction, which commits
before the 2xx is sent. A crash before that commit means no 2xx, so the provider delivers
again. The worker then applies the event; the upsert is idempotent and ordered by provider
versions, so events may be processed in any order and more than once. A redelivery of a
processed event changes nothing; of a failed one it is another attempt; of one still waiting
it queues its processing again if the job was lost.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity_service.appointments.service import (
    LeadIdentityMissing,
    missing_lead_identity,
    record_provider_appointment,
)
from capacity_service.exceptions import NotFound
from capacity_service.kit.enums import Provider
from capacity_service.models import WebhookEvent
from capacity_service.providers.http import describe_validation_error
from capacity_service.providers.types import ProviderAppointment
from capacity_service.webhooks.dispatch import processing_job, queue_processing
from capacity_service.webhooks.repository import ReceiptRepository, WebhookEventRepository

logger = logging.getLogger("capacity_service.webhooks")

RECEIVED, PROCESSED, IGNORED, FAILED = "received", "processed", "ignored", "failed"


class InvalidPayload(Exception):
    """The body lacks what its event type needs; kept as failed, answered 422."""


class UnknownWorkspace(Exception):
    """No workspace receives this event (e.g. an unregistered HighLevel location); kept as
    ignored with the reason, answered 404, replayable once the workspace exists."""


@dataclass(frozen=True, slots=True)
class Processed:
    """What a processor did: `processed`, or `ignored` (an event type the service skips)."""

    status: str
    workspace_id: uuid.UUID | None = None
    note: str | None = None


Processor = Callable[[AsyncSession, WebhookEvent], Awaitable[Processed]]

M = TypeVar("M", bound=BaseModel)


def parse_part(model: type[M], data: Any, *, field: str | None = None) -> M:
    """The body (or its `field`) as `model`, else InvalidPayload naming the fields at fault but
    never their values, which may be personal data."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = describe_validation_error(exc)
        raise InvalidPayload(f"{field}: {detail}" if field else detail) from None


async def record_appointment(
    session: AsyncSession, workspace_id: uuid.UUID, appointment: ProviderAppointment
) -> Processed:
    """Write what the event reported; one that names no lead identity is an invalid payload."""
    try:
        await record_provider_appointment(session, workspace_id, appointment)
    except LeadIdentityMissing as exc:
        raise InvalidPayload(str(exc)) from None
    return Processed(PROCESSED, workspace_id)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What receipt decides from the body, before anything is stored: queue the event for
    processing (`received`), keep it as `ignored` (a type the service skips), or refuse it
    (kept all the same, for a replay after a fix)."""

    status: str
    error: str | None = None
    workspace_id: uuid.UUID | None = None
    invalid: bool = False
    unknown_workspace: bool = False

    @classmethod
    def accept(cls, workspace_id: uuid.UUID | None) -> "Verdict":
        return cls(RECEIVED, workspace_id=workspace_id)

    @classmethod
    def reject(cls, reason: object) -> "Verdict":
        return cls(FAILED, f"invalid payload: {reason}", invalid=True)

    @classmethod
    def unknown(cls, reason: str) -> "Verdict":
        return cls(IGNORED, reason, unknown_workspace=True)


def verdict_of(result: ProviderAppointment | Processed, workspace_id: uuid.UUID | None) -> Verdict:
    """Accept an appointment state whose lead can be found; an ignored type stays ignored."""
    if isinstance(result, Processed):
        return Verdict(IGNORED, result.note, workspace_id)
    missing = missing_lead_identity(result.provider, result.contact)
    if missing is not None:
        return Verdict.reject(missing)
    return Verdict.accept(workspace_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    event: WebhookEvent
    duplicate: bool
    invalid: bool = False
    unknown_workspace: bool = False


def _needs_processing(status: str, error: str | None) -> bool:
    return not (status == PROCESSED or (status == IGNORED and error is None))


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the sender is told: the stored event, its status, and whether it was known."""

    event_id: uuid.UUID
    status: str
    error: str | None
    duplicate: bool
    invalid: bool = False
    unknown_workspace: bool = False


async def receive(
    receipts: ReceiptRepository,
    sessionmaker: async_sessionmaker[AsyncSession],
    verdict: Verdict,
    *,
    provider: Provider,
    event_key: str,
    event_type: str | None,
    workspace_id: uuid.UUID | None,
    raw_body: bytes,
) -> Receipt:
    """Store the delivery with its verdict and queue it when accepted; a redelivery gets the
    stored event (see the module's rules). A new delivery is one atomic statement, and a
    redelivery of one that is waiting or done one read (and, if waiting, the job queued unless
    one is live); only a redelivery of a failed or refused event takes a transaction, to decide
    again under the event's row lock."""
    event_id = uuid.uuid4()
    inserted = await receipts.insert_new(
        event_id=event_id,
        provider=provider,
        event_key=event_key,
        event_type=event_type,
        workspace_id=verdict.workspace_id or workspace_id,
        raw_body=raw_body,
        status=verdict.status,
        error=verdict.error,
        job=processing_job(event_id),
    )
    if inserted:
        return Receipt(
            event_id,
            verdict.status,
            verdict.error,
            duplicate=False,
            invalid=verdict.invalid,
            unknown_workspace=verdict.unknown_workspace,
        )
    known = await receipts.known(provider=provider, event_key=event_key)
    if known is None:
        raise LookupError(f"webhook event {provider.value}/{event_key} vanished")
    if known.status == RECEIVED:
        await queue_processing(receipts.connection, known.id)  # a no-op unless its job was lost
    if not _needs_processing(known.status, known.error) or known.status == RECEIVED:
        return Receipt(known.id, known.status, known.error, duplicate=True)
    async with sessionmaker() as session, session.begin():
        return await _redelivered(
            WebhookEventRepository(session), verdict, provider=provider, event_key=event_key
        )


async def _redelivered(
    repository: WebhookEventRepository, verdict: Verdict, *, provider: Provider, event_key: str
) -> Receipt:
    """A delivery already stored, row-locked while its fate is decided."""
    event = await repository.lock_by_key(provider=provider, event_key=event_key)
    if event.status == RECEIVED:
        await queue_processing(repository.session, event.id)  # a no-op unless its job was lost
    elif _needs_processing(
        event.status, event.error
    ):  # failed, or refused for an unknown location: try again
        if verdict.status == RECEIVED:
            event = await repository.mark_received(event.id, workspace_id=verdict.workspace_id)
            await queue_processing(repository.session, event.id)
        else:
            event = await repository.record_outcome(
                event.id,
                status=verdict.status,
                error=verdict.error,
                workspace_id=verdict.workspace_id,
            )
            return Receipt(
                event.id,
                event.status,
                event.error,
                duplicate=True,
                invalid=verdict.invalid,
                unknown_workspace=verdict.unknown_workspace,
            )
    return Receipt(event.id, event.status, event.error, duplicate=True)


async def process_stored(
    session: AsyncSession, processor: Processor, event: WebhookEvent, *, duplicate: bool = False
) -> Outcome:
    """Run the processor in a savepoint and record its outcome on the event row."""
    repository = WebhookEventRepository(session)
    invalid = unknown = False
    workspace_id: uuid.UUID | None = None
    try:
        async with session.begin_nested():
            done = await processor(session, event)
        status, error, workspace_id = done.status, done.note, done.workspace_id
    except InvalidPayload as exc:
        status, error, invalid = FAILED, f"invalid payload: {exc}", True
    except UnknownWorkspace as exc:
        status, error, unknown = IGNORED, str(exc), True
    except Exception as exc:  # any failure is kept on the event for a replay
        logger.exception("webhook event %s (%s) failed", event.id, event.provider.value)
        status, error = FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    recorded = await repository.record_outcome(
        event.id, status=status, error=error, workspace_id=workspace_id
    )
    return Outcome(event=recorded, duplicate=duplicate, invalid=invalid, unknown_workspace=unknown)


async def replay(
    session: AsyncSession, processors: dict[Provider, Processor], event_id: uuid.UUID
) -> Outcome:
    """Process a stored event again from its raw body (after a fix or a configuration change).

    The signature was checked when it was received; a processed event is processed again
    harmlessly, because the upsert is idempotent.
    """
    event = await WebhookEventRepository(session).lock(event_id)
    if event is None:
        raise NotFound(f"webhook event {event_id} not found")
    return await process_stored(session, processors[event.provider], event)
