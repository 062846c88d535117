"""Which provider identifier is each availability source of a workspace.

A source (DEFAULT, DIRECT_BOOK) is one identifier: a HighLevel calendar id or a Calendly event
type URI. When a workspace has both for one source, `*_source_provider` picks the one that
produces the availability; the other stays usable for booking.
"""

from dataclasses import dataclass

from capacity_service.kit.enums import AvailabilitySource, Provider
from capacity_service.models import Workspace


@dataclass(frozen=True)
class SourceConfig:
    source: AvailabilitySource
    provider: Provider
    identifier: str


class AmbiguousSourceError(ValueError):
    """Both providers are configured for one source and none is chosen."""


def _pick(
    source: AvailabilitySource,
    ghl_calendar_id: str | None,
    calendly_event_type_uri: str | None,
    chosen: Provider | None,
) -> SourceConfig | None:
    if chosen is Provider.GHL:
        return SourceConfig(source, Provider.GHL, ghl_calendar_id) if ghl_calendar_id else None
    if chosen is Provider.CALENDLY:
        if calendly_event_type_uri:
            return SourceConfig(source, Provider.CALENDLY, calendly_event_type_uri)
        return None
    if ghl_calendar_id and calendly_event_type_uri:
        field = (
            "defaultSourceProvider"
            if source is AvailabilitySource.DEFAULT
            else "directBookSourceProvider"
        )
        raise AmbiguousSourceError(
            f"{source.value} has both a HighLevel calendar and a Calendly event type; set {field}"
        )
    if ghl_calendar_id:
        return SourceConfig(source, Provider.GHL, ghl_calendar_id)
    if calendly_event_type_uri:
        return SourceConfig(source, Provider.CALENDLY, calendly_event_type_uri)
    return None


def configured_sources(
    workspace: Workspace, *, strict: bool = False
) -> dict[AvailabilitySource, SourceConfig | None]:
    """Each source's configuration, or None when unconfigured.

    With `strict=False` an ambiguous source resolves to HighLevel, so reads never fail on a
    configuration that the write path would have rejected anyway.
    """

    def pick(
        source: AvailabilitySource, ghl: str | None, cal: str | None, chosen: Provider | None
    ) -> SourceConfig | None:
        try:
            return _pick(source, ghl, cal, chosen)
        except AmbiguousSourceError:
            if strict:
                raise
            return _pick(source, ghl, cal, Provider.GHL)

    return {
        AvailabilitySource.DEFAULT: pick(
            AvailabilitySource.DEFAULT,
            workspace.ghl_default_calendar_id,
            workspace.calendly_default_event_type_uri,
            workspace.default_source_provider,
        ),
        AvailabilitySource.DIRECT_BOOK: pick(
            AvailabilitySource.DIRECT_BOOK,
            workspace.ghl_direct_book_calendar_id,
            workspace.calendly_direct_book_event_type_uri,
            workspace.direct_book_source_provider,
        ),
    }
