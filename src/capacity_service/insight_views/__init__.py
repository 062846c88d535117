"""Capacity insight views: pacing forecast, weekday x hour heatmap, minutes-weighted % booked
and what-if, all from the availability cache and the database."""
