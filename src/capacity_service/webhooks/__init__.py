"""Provider webhooks: verified, stored raw before they are acknowledged, processed idempotently."""
