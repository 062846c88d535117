"""Retention: deleting webhook raw bodies and job logs once they are no longer needed."""
