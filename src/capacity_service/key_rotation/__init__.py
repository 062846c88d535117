"""Re-encrypting every stored secret with the newest key of CAPACITY_ENCRYPTION_KEY."""
