"""capacity-service: how full each client's calendars really are."""

__version__ = "0.1.0"
