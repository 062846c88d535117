"""Attribution backfill: fill NULL calendar / event type attribution on historical appointments.

`backfill_appointment_attribution` (runner.py) does the work; `service.request_backfill` queues a
run for the job worker; the admin endpoints start and read runs.
"""
