from tests.bookings.stubs import provider_client, providers

__all__ = ["provider_client", "providers"]
