"""The provider test double: HighLevel and Calendly over HTTP from in-memory state.

    with run_fake_provider_server() as fake:
        fake.state.add_ghl_calendar(location_id="loc1", slots=[...])
        clients = build_provider_clients(
            ghl_base_url=fake.ghl_base_url, calendly_base_url=fake.calendly_base_url
        )

Or standalone: `python -m capacity_service.providers.fake --port 8900 --latency-ms 100`.
"""

from capacity_service.providers.fake.app import CONTROL_ACTIONS, create_fake_provider_app
from capacity_service.providers.fake.server import FakeProviderServer, run_fake_provider_server
from capacity_service.providers.fake.state import (
    DEFAULT_CALENDLY_ORGANIZATION,
    FakeProviderState,
)

__all__ = [
    "CONTROL_ACTIONS",
    "DEFAULT_CALENDLY_ORGANIZATION",
    "FakeProviderServer",
    "FakeProviderState",
    "create_fake_provider_app",
    "run_fake_provider_server",
]
