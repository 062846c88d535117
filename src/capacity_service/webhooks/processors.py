"""Which processor applies a stored event of each provider."""

from capacity_service.kit.enums import Provider
from capacity_service.webhooks import calendly, ghl
from capacity_service.webhooks.service import Processor

PROCESSORS: dict[Provider, Processor] = {
    Provider.CALENDLY: calendly.process,
    Provider.GHL: ghl.process,
}
