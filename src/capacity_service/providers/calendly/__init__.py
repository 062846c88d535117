"""Calendly API v2."""

from capacity_service.providers.calendly.client import CalendlyClient, event_uri_of_invitee

__all__ = ["CalendlyClient", "event_uri_of_invitee"]
