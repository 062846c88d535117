"""Booking at a provider for a lead, attributed to the calendar or event type booked on."""
