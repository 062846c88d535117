"""The availability cache: open provider slots per workspace source, refreshed by jobs."""
