"""Capacity alerts: over-capacity, under-used, no availability and data-quality failures."""
