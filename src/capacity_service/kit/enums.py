"""Vocabulary shared by the database, the wire and the provider mappers."""

import enum


class AppointmentStatus(enum.StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELED = "CANCELED"
    RESCHEDULED = "RESCHEDULED"
    SHOWED = "SHOWED"
    NO_SHOW = "NO_SHOW"


class Provider(enum.StrEnum):
    GHL = "ghl"
    CALENDLY = "calendly"


class AvailabilitySource(enum.StrEnum):
    DEFAULT = "DEFAULT"
    DIRECT_BOOK = "DIRECT_BOOK"
