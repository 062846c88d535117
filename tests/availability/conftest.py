"""Provider credentials for the availability tests; the test double comes from tests/support."""

GHL_TOKEN = "ghl-token-availability"
CALENDLY_TOKEN = "calendly-token-availability"
LOCATION_ID = "loc-availability"
