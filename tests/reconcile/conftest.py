from tests.bookings.stubs import providers

__all__ = ["providers"]
