"""Sends a few calls with RudderStack's official Python SDK (rudder-sdk-python) to a Cohort server, with the SDK's
defaults (gzip on), only the data plane URL changed.

Usage: send_with_rudderstack_python.py DATA_PLANE_URL WRITE_KEY
Prints one JSON line {"errors": [...], "gzip": true} and exits non-zero if the SDK reported any error.
"""
import json
import sys

import rudderstack.analytics as analytics

data_plane_url, write_key = sys.argv[1], sys.argv[2]
errors = []
analytics.write_key = write_key
analytics.dataPlaneUrl = data_plane_url
analytics.max_retries = 0
analytics.on_error = lambda error, batch: errors.append(repr(error))

analytics.identify("rs-user-1", {"email": "rudder@example.com", "firstName": "Rui", "address": {"country": "PT"}})
analytics.track("rs-user-1", "Order Completed", {"order_id": "rs-o-1", "total": 42.0, "currency": "EUR"})
analytics.screen("rs-user-1", "App", "Basket", {"items": 2})
analytics.flush()
analytics.shutdown()
print(json.dumps({"errors": errors, "gzip": analytics.gzip}))
sys.exit(1 if errors else 0)
