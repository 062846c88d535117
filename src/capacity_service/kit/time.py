"""Time helpers: the service thinks in aware UTC datetimes and speaks ISO-8601 UTC strings."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Normalise to aware UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """ISO-8601 in UTC with a `Z` suffix and millisecond precision, as every payload carries."""
    return to_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_utc_or_none(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)
