"""Every table, imported here so that Alembic and the tests see one complete metadata."""

from capacity_service.models.alert import Alert
from capacity_service.models.alert_delivery import AlertDelivery
from capacity_service.models.api_key import ApiKey
from capacity_service.models.appointment import Appointment
from capacity_service.models.availability_cache import WorkspaceAvailabilityCache
from capacity_service.models.backfill_run import BackfillRun
from capacity_service.models.base import Base
from capacity_service.models.booking_request import BookingRequest
from capacity_service.models.campaign import Campaign
from capacity_service.models.lead import Lead
from capacity_service.models.webhook_event import WebhookEvent
from capacity_service.models.workspace import Workspace
from capacity_service.models.workspace_alert_settings import (
    WorkspaceAlertMemory,
    WorkspaceAlertSettings,
)
from capacity_service.models.workspace_provider_sync import WorkspaceProviderSync

__all__ = [
    "Alert",
    "AlertDelivery",
    "ApiKey",
    "Appointment",
    "BackfillRun",
    "Base",
    "BookingRequest",
    "Campaign",
    "Lead",
    "WebhookEvent",
    "Workspace",
    "WorkspaceAlertMemory",
    "WorkspaceAlertSettings",
    "WorkspaceAvailabilityCache",
    "WorkspaceProviderSync",
]
