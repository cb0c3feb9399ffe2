"""Sends a few calls with Segment's official Python SDK (segment-analytics-python) to a Cohort server.

Usage: send_with_segment_python.py HOST_URL WRITE_KEY
Prints one JSON line {"errors": [...]} and exits non-zero if the SDK reported any error.
"""
import json
import sys

import segment.analytics as analytics

host, write_key = sys.argv[1], sys.argv[2]
errors = []
analytics.write_key = write_key
analytics.host = host
analytics.max_retries = 0
analytics.on_error = lambda error, batch: errors.append(repr(error))

analytics.identify("sdk-user-1", {"email": "sdk@example.com", "firstName": "Sam", "address": {"country": "DE"}})
analytics.track("sdk-user-1", "Order Completed", {"order_id": "sdk-o-1", "total": 99.5, "currency": "EUR"})
analytics.page("sdk-user-1", "Shop", "Home", {"path": "/home?utm=x"})
analytics.alias("sdk-anon-1", "sdk-user-1")
analytics.flush()
analytics.shutdown()
print(json.dumps({"errors": errors}))
sys.exit(1 if errors else 0)
