"""Workspace change notifications from PostgreSQL, and the in-memory caches they invalidate.

Triggers (migration `workspace_change_notifications`) `NOTIFY workspace_changed, '<workspace
id>'` on every committed write to the tables the analytics answer is computed from; each API
process holds one listening connection (`listener.py`) that evicts that workspace from its
caches (`cache.py`).
"""
