"""Data-quality signals: whether a workspace's % booked can be trusted, and why not."""
