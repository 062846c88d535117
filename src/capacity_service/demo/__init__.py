"""`capacity-service demo`: a clearly named demo workspace with real numbers on the dashboard.

The demo runs the service together with the provider test double in one process, creates the
workspace through the admin API, fills its availability through the same refresh the jobs run,
and books appointments through signed HighLevel and Calendly webhooks, so every figure on the
dashboard has travelled the production paths.
"""

DEMO_NAME_PREFIX = "Demo — "
DEMO_LOCATION_PREFIX = "demo-"
