"""Appointments: the one upsert that writes them, their lead rollup, and the list endpoint."""
