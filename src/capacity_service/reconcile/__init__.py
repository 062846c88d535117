"""Reconcile: read appointments back from the providers and write them through the upsert."""
