"""HighLevel (LeadConnector) API v2."""

from capacity_service.providers.ghl.client import GhlClient

__all__ = ["GhlClient"]
